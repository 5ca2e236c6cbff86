// Data: image files, paired/unpaired folders and dataset layouts, synthetic low-light pairs, augmentation, batching.
export { InputError } from './errors';
export { writeFileAtomic } from './atomic';
export { decodeBmp, encodeBmp, isBmp, type BmpPixels } from './bmp';
export {
  IMAGE_EXTENSIONS,
  decodeImage,
  readImage,
  encodeImage,
  writeImage,
  formatForPath,
  isImagePath,
  toUint8,
  type RgbImage,
  type DecodedImage,
  type EncodeOptions,
  type ImageFormat,
} from './image';
export { Rng, hashSeed } from '../random/rng';
export {
  LOWLIGHT_V1,
  synthesizeLowLight,
  applyLowLight,
  drawLowLightParams,
  srgbToLinear,
  linearToSrgb,
  type LowLightParams,
} from './synthesis';
export {
  LOWLIGHT_V2,
  synthesizeLowLightV2,
  applyLowLightV2,
  drawLowLightV2Params,
  lowLightV2Scale,
  type LowLightV2Params,
  type LowLightV2Regime,
} from './synthesis-v2';
export {
  SYNTHESIS_PROTOCOLS,
  checkProtocol,
  synthesize,
  exposureScale,
  inverseExposureOracle,
  type SynthesisProtocol,
  type SynthesisParams,
} from './protocols';
export { gammaToMean, equalizeValue } from './baselines';
export { augmentPair, drawAugment, applyAugment, cropSize, type AugmentOptions, type AugmentParams } from './augment';
export {
  listImages,
  listImagesDeep,
  matchByName,
  pairFolders,
  pairKey,
  describePairing,
  naturalCompare,
  type ImagePair,
  type PairingReport,
} from './folders';
export {
  detectLayout,
  findPairedDataset,
  type PairedLayout,
  type PairedDataset,
  type FindPairedOptions,
  type Split,
} from './layouts';
export {
  loadSample,
  sampleJob,
  sourceSize,
  synthesisSeed,
  type PairSource,
  type SampleJob,
  type Sample,
} from './samples';
export { openSampleReader, InThreadReader, WorkerReader, type SampleReader } from './sample-reader';
export { BatchLoader, stackSamples, type BatchLoaderOptions, type Batch } from './loader';
export { imageToTensor, tensorToImage, batchToTensors } from './tensor';
