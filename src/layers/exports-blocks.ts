// The non-routing layers: each an exported tfjs-layers Layer (className 'Masr…', serialisable), usable alone, in
// tf.model / fit, and in eager loops.

// MASR-Net's own blocks (src/layers/masr).
export { PatchEmbedding, type PatchEmbeddingOptions } from './masr/patch-embedding';
export { EispGenerator, type EispGeneratorOptions } from './masr/eisp-generator';
export { QKIspGenerator, type QKIspGeneratorOptions } from './masr/qk-isp-generator';
export { KVFeatureGenerator, type KVFeatureGeneratorOptions } from './masr/kv-feature-generator';
export { ispGuidedEncoder, type IspGuidedEncoderLayers } from './masr/isp-guided-encoder';
export { MasrBlock, type MasrBlockOptions, type ProjectedKeyValue } from './masr/masr-block';
export { NeighbourSearcher, DEFAULT_NEIGHBOUR_INDICES, type NeighbourSearcherOptions } from './masr/neighbour-searcher';
export { IspDecoder, type IspDecoderOptions } from './masr/isp-decoder';
export { EnhancedFFN, type EnhancedFFNOptions } from './masr/enhanced-ffn';
export { AntiCheckerboard, type SmoothingOptions } from './masr/anti-checkerboard';
export { MultiScaleParamSmoother } from './masr/param-smoother';
export { BoundaryAwareSmoothing } from './masr/boundary-smoothing';
export {
  CoarseFineMap,
  windowParamsToMap,
  type CoarseFineMapOptions,
  type CoarseFineOptions,
} from './masr/coarse-fine-map';
export { MapGenerator, type MapGeneratorOptions, type StageRecorder } from './masr/map-generator';

// Generic layers and helpers that the MASR blocks are built from (src/layers/basic; the rest of that folder is
// exported by basic/index).
export { WindowPartition, windowPartition, windowReverse, type WindowPartitionOptions } from './basic/window-partition';
export { Linear, type LinearOptions } from './basic/linear';
export { LayerNorm, type LayerNormOptions } from './basic/layer-norm';
export { CompositeLayer } from './basic/composite';
export type { ReferenceWeight, ReferenceLayout } from './basic/common';

// Denoising head (src/layers/denoise).
export { ResidualDenoiser, type ResidualDenoiserOptions } from './denoise/residual-denoiser';
