// Evaluation metrics as papers report them: PSNR / SSIM on RGB [0, 255] (skimage conventions, float64, per image),
// with and without GT-mean brightness alignment. Plain JS on CPU: inputs are RgbPixels arrays or tensors (read back).
export { psnrMetric, psnr255 } from './psnr';
export { ssimMetric, ssim255, type SsimWindowName } from './ssim';
export { evaluatePair, type PairScores } from './evaluate';
export { gtMeanAlign, meanGray } from './gt-mean';
export { toRgb255, type RgbPixels, type MetricImage, type Rgb255 } from './image';
export type { MetricOptions, PsnrMetricOptions } from './options';
