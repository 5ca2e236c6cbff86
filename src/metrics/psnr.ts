import { gtMeanAlign } from './gt-mean';
import { assertSameSize, toRgb255, type MetricImage, type Rgb255 } from './image';
import type { PsnrMetricOptions } from './options';

/** PSNR (dB) of two images already on the [0, 255] scale, as skimage `peak_signal_noise_ratio` (float64 MSE). */
export function psnr255(pred: Rgb255, target: Rgb255, dataRange = 255, maxDb = Infinity): number {
  assertSameSize('psnrMetric', pred, target);
  if (!(dataRange > 0)) throw new Error(`psnrMetric: dataRange must be > 0, got ${dataRange}`);
  let se = 0;
  for (let i = 0; i < pred.data.length; i++) {
    const d = pred.data[i]! - target.data[i]!;
    se += d * d;
  }
  const mse = se / pred.data.length;
  const db = mse === 0 ? Infinity : 10 * Math.log10((dataRange * dataRange) / mse);
  return Math.min(db, maxDb);
}

/**
 * Evaluation PSNR in dB of one RGB image against its reference, computed on [0, 255] RGB with data range 255 (the same
 * number as PSNR on [0, 1] with data range 1), as papers report it. Inputs: `RgbPixels` (float [0, 1] or 8-bit) or a
 * tensor [H, W, 3] / [1, H, W, 3] in [0, 1]. Identical images give +Infinity (or `maxDb` when set).
 * With `gtMean: true` the output is first brightness-aligned to the reference (see `gtMeanAlign`).
 */
export function psnrMetric(pred: MetricImage, target: MetricImage, options: PsnrMetricOptions = {}): number {
  const t = toRgb255(target, 'psnrMetric target', options.clip);
  let p = toRgb255(pred, 'psnrMetric pred', options.clip);
  assertSameSize('psnrMetric', p, t);
  if (options.gtMean) p = gtMeanAlign(p, t);
  return psnr255(p, t, options.dataRange ?? 255, options.maxDb ?? Infinity);
}
