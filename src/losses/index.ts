// Training losses (differentiable, NHWC RGB in [0, 1], cpu and wasm): the reference's terms and the MASR composite.
export { charbonnierLoss } from './charbonnier';
export { psnrLoss, psnrValue, PSNR_LOSS_CAP_DB } from './psnr';
export { ssimLoss, ssimMap, SSIM_LOSS_WINDOW, SSIM_LOSS_SIGMA } from './ssim';
export { labColorLoss, rgbToLabAB } from './lab';
export {
  VggPerceptualLoss,
  VGG16_CONV_INDICES,
  VGG16_CONV_CHANNELS,
  type VggConvWeights,
  type VggPerceptualLossOptions,
} from './vgg';
export {
  masrCompositeLoss,
  DEFAULT_LOSS_WEIGHTS,
  type MasrLossWeights,
  type MasrCompositeLossOptions,
  type MasrCompositeLossResult,
} from './composite';
