// The non-routing MASR-Net blocks: each an exported tfjs-layers Layer (className 'Masr…', serialisable), usable alone,
// in tf.model / fit, and in eager loops.
export { PatchEmbedding, type PatchEmbeddingOptions } from './blocks/patch-embedding';
export { WindowPartition, windowPartition, windowReverse, type WindowPartitionOptions } from './blocks/window';
export { Linear, type LinearOptions } from './blocks/linear';
export { LayerNorm, type LayerNormOptions } from './blocks/layer-norm';
export { EispGenerator, type EispGeneratorOptions } from './blocks/eisp-generator';
export { QKIspGenerator, type QKIspGeneratorOptions } from './blocks/qk-isp-generator';
export { KVFeatureGenerator, type KVFeatureGeneratorOptions } from './blocks/kv-feature-generator';
export { ispGuidedEncoder, type IspGuidedEncoderLayers } from './blocks/isp-guided-encoder';
export { MasrBlock, type MasrBlockOptions, type ProjectedKeyValue } from './blocks/masr-block';
export {
  NeighbourSearcher,
  DEFAULT_NEIGHBOUR_INDICES,
  type NeighbourSearcherOptions,
} from './blocks/neighbour-searcher';
export { IspDecoder, type IspDecoderOptions } from './blocks/isp-decoder';
export { EnhancedFFN, type EnhancedFFNOptions } from './blocks/enhanced-ffn';
export { AntiCheckerboard, type SmoothingOptions } from './blocks/anti-checkerboard';
export { MultiScaleParamSmoother } from './blocks/param-smoother';
export { BoundaryAwareSmoothing } from './blocks/boundary-smoothing';
export {
  CoarseFineMap,
  windowParamsToMap,
  type CoarseFineMapOptions,
  type CoarseFineOptions,
} from './blocks/coarse-fine-map';
export { MapGenerator, type MapGeneratorOptions, type StageRecorder } from './blocks/map-generator';
export { CompositeLayer } from './blocks/composite';
export type { ReferenceWeight, ReferenceLayout } from './blocks/common';
export { ResidualDenoiser, type ResidualDenoiserOptions } from './denoise/residual-denoiser';
