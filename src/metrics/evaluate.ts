import { gtMeanAlign } from './gt-mean';
import { assertSameSize, toRgb255, type MetricImage } from './image';
import { psnr255 } from './psnr';
import { ssim255 } from './ssim';

/** The four numbers low-light papers report for one image: plain and GT-mean-aligned PSNR (dB) and SSIM. */
export interface PairScores {
  psnr: number;
  ssim: number;
  /** PSNR after GT-mean brightness alignment of the output. */
  psnrGtMean: number;
  /** SSIM after GT-mean brightness alignment of the output. */
  ssimGtMean: number;
  /** SSIM with skimage's default window (7x7 uniform, sample covariance): the reference test.py's number. */
  ssimUniform7: number;
}

/**
 * `psnrMetric` and `ssimMetric`, with and without GT-mean alignment, converting the images once.
 * `clip` clips out-of-range outputs to [0, 1] (default false: they throw); `maxDb` caps the PSNR (default none).
 */
export function evaluatePair(
  pred: MetricImage,
  target: MetricImage,
  options: { clip?: boolean; maxDb?: number } = {},
): PairScores {
  const t = toRgb255(target, 'evaluatePair target', options.clip);
  const p = toRgb255(pred, 'evaluatePair pred', options.clip);
  assertSameSize('evaluatePair', p, t);
  const aligned = gtMeanAlign(p, t);
  const maxDb = options.maxDb ?? Infinity;
  return {
    psnr: psnr255(p, t, 255, maxDb),
    ssim: ssim255(p, t),
    psnrGtMean: psnr255(aligned, t, 255, maxDb),
    ssimGtMean: ssim255(aligned, t),
    ssimUniform7: ssim255(p, t, 'uniform7'),
  };
}
