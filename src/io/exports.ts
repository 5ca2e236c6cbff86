export {
  readSafetensors,
  writeSafetensors,
  type SafetensorsFile,
  type SafetensorsEntry,
  type SafetensorsDtype,
} from './safetensors';
