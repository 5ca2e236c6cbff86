// Backend-safe differentiable primitives: forward-identical to tfjs/PyTorch, with gradients that are correct on
// cpu and wasm. Internal: library code uses these instead of the tfjs ops whose gradients are wrong or missing.
export { stopGradient, stopGradientOf, withGradient } from './gradient';
export { gelu } from './gelu';
export { reflectPad, type SpatialPads } from './pad';
export { resizeBilinear, bilinearMatrix } from './resize';
export { conv2d, convOutSize, type Conv2dOptions, type ConvPadding } from './conv';
export { spaceToDepthConv2d } from './conv-s2d';
export { gatherRows, scatterAddRows } from './gather';
export { topkMask, indicesToMask, type TopKSelection } from './topk';
export { rgbToHsv, hsvToRgb, rgbToHsvPlanes, hsvToRgbPlanes, splitChannels, mergeChannels } from './hsv';
export { linear, layerNorm, groupNorm } from './nn';
export { matMul, matMulBias } from './matmul';
export { checkpoint, scopedRandomSeed } from './checkpoint';
export { maxPool2x2 } from './pool';
export { depthToSpace, spaceToDepth } from './depth-space';
