// The MASR-Net model: presets, config, reference weight import/export, tfjs save/load, parity check, counters.
export {
  MASRNet,
  type EnhanceTiledOptions,
  type ExposureOptions,
  type EnhanceWithMapsResult,
  type ComputeLossOptions,
  type ParamCounts,
  type LoadSafetensorsOptions,
} from './masr-net';
export {
  trainStep,
  trainStepAsync,
  batchGradients,
  clipByGlobalNorm,
  defaultMicroBatch,
  type TrainStepOptions,
  type TrainStepResult,
  type BatchGradients,
} from './train-step';
export {
  presetConfig,
  mergeConfig,
  validateConfig,
  type MASRNetConfig,
  type MASRNetOverrides,
  type MASRNetPreset,
  type MasrAttentionConfig,
  type MasrMoeConfig,
  type MasrDecoderConfig,
  type MasrBlockConfig,
  type MasrBlockKind,
  type LegacyStackFields,
  type MasrDenoiserConfig,
  DEFAULT_DENOISER,
} from './config';
export { countFlops, type FlopsBreakdown } from './flops';
export { MasrNetwork, ROUTING_LAYER_NAMES, type RoutingLayerName, type ForwardResult } from './network';
export {
  runParity,
  formatParityTable,
  type ParityReport,
  type ParityStage,
  type ParityRouting,
  type ParityOptions,
} from './parity';
export { fileSystemHandler } from './fs-handler';
export { PRETRAINED, pretrainedNames, type PretrainedEntry, type PretrainedSource } from './pretrained';
