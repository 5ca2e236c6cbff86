// Backend-safe building blocks for custom models: each a tfjs-layers Layer (className 'Masr…', serialisable) that
// trains with `fit` and in eager loops on cpu, wasm and tfjs-node.
export { MasrLayer } from './masr-layer';
export { DuplicateTfjsError, assertSingleTfjs } from './tfjs-copies';
export { Conv2D, type Conv2DOptions, type Conv2DPadding, type Conv2DActivation } from './conv2d';
export { GELU, type GELUOptions } from './gelu';
export { DepthToSpace, SpaceToDepth, type BlockSizeOptions } from './depth-space';
export { WindowReverse, type WindowReverseOptions } from './window-reverse';
export { ApplyIsp, type ApplyIspLayerOptions } from './apply-isp';
