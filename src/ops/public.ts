// The `ops` namespace of the public API (`import { ops } from 'masr-net'`): the library's backend-safe differentiable
// ops. Each matches the tfjs (or PyTorch) forward and has a gradient that is correct on cpu, wasm and tfjs-node, where
// the stock tfjs op has none on wasm (conv2d's filter gradient, GELU, reflect padding, depth-to-space) or a wrong one
// (resizeBilinear's half-pixel centres, gather's segment sum). Use them in custom layers and eager training loops.
export { conv2d, convOutSize, type Conv2dOptions, type ConvPadding } from './conv';
export { reflectConv as reflectConv2d } from '../layers/basic/reflect-conv';
export { gelu } from './gelu';
export { reflectPad, type SpatialPads } from './pad';
export { resizeBilinear } from './resize';
export { depthToSpace, spaceToDepth } from './depth-space';
export { gatherRows, scatterAddRows } from './gather';
export { topkMask, indicesToMask, type TopKSelection } from './topk';
export { rgbToHsv, hsvToRgb } from './hsv';
export { linear, layerNorm, groupNorm } from './nn';
export { matMul } from './matmul';
export { maxPool2x2 } from './pool';
export { checkpoint } from './checkpoint';
export { stopGradient, withGradient } from './gradient';
