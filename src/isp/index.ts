// The ISP stage of MASR-Net: differentiable per-pixel colour matrix, gamma and saturation (channel-last images in [0, 1]).
export {
  applyColorMatrix,
  colorMatrixFromParams,
  colorCorrectionStrength,
  type ColorMatrixOptions,
} from './color-matrix';
export { applyGamma } from './gamma';
export { applySaturation, saturationFactor } from './saturation';
export {
  applyIsp,
  ispDisplayMaps,
  type ApplyIspOptions,
  type IspDisplayMaps,
  type IspMaps,
  type IspRawMaps,
} from './pipeline';
export type { IspApplyOptions, IspOp } from './op';
export { ISP_OPS, ispOpsInApplyOrder } from './registry';
export { ispGainMap } from './gain';
export { applyExposureGains } from './exposure-gains';
export {
  DEFAULT_AUTO_EXPOSURE,
  POOLED_AUTO_EXPOSURE,
  applyExposureGain,
  autoExposeImage,
  autoExposureGain,
  autoExposureGains,
  type AutoExposureConfig,
} from './auto-exposure';
