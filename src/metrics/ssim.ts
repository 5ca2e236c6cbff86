import { gtMeanAlign } from './gt-mean';
import { assertSameSize, toRgb255, type MetricImage, type Rgb255 } from './image';
import type { MetricOptions } from './options';

const SIGMA = 1.5;
/** skimage truncates its Gaussian at 3.5 sigma: radius int(3.5 * 1.5 + 0.5) = 5, an 11-tap window. */
const RADIUS = Math.floor(3.5 * SIGMA + 0.5);
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

function gaussianTaps(): Float64Array {
  const k = new Float64Array(2 * RADIUS + 1);
  let sum = 0;
  for (let i = -RADIUS; i <= RADIUS; i++) sum += k[i + RADIUS] = Math.exp((-0.5 / (SIGMA * SIGMA)) * i * i);
  return k.map((v) => v / sum);
}

/** A separable SSIM window: the 1-D taps and whether (co)variances use the sample (N-1) normalisation. */
interface SsimWindow {
  taps: Float64Array;
  sampleCovariance: boolean;
}

/**
 * The SSIM windows: 'gaussian11' is the literature's protocol (Gaussian sigma 1.5, population covariances);
 * 'uniform7' is skimage's default `structural_similarity` (7x7 mean filter, sample covariances), which is what the
 * reference's test.py reports.
 */
export type SsimWindowName = 'gaussian11' | 'uniform7';

const WINDOWS: Record<SsimWindowName, SsimWindow> = {
  gaussian11: { taps: gaussianTaps(), sampleCovariance: false },
  uniform7: { taps: new Float64Array(7).fill(1 / 7), sampleCovariance: true },
};

/**
 * Gaussian filter evaluated only where the window fits inside the image ((H - 10) x (W - 10) outputs): skimage computes
 * the full map and then crops a 5-pixel border before averaging, so the border mode never matters.
 */
function filterValid(src: Float64Array, h: number, w: number, taps: Float64Array): Float64Array {
  const n = taps.length;
  const ho = h - n + 1;
  const wo = w - n + 1;
  const rows = new Float64Array(ho * w);
  for (let y = 0; y < ho; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += taps[k]! * src[(y + k) * w + x]!;
      rows[y * w + x] = s;
    }
  }
  const out = new Float64Array(ho * wo);
  for (let y = 0; y < ho; y++) {
    for (let x = 0; x < wo; x++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += taps[k]! * rows[y * w + x + k]!;
      out[y * wo + x] = s;
    }
  }
  return out;
}

/** Mean SSIM of two images on the [0, 255] scale (skimage conventions, see `ssimMetric`). */
export function ssim255(pred: Rgb255, target: Rgb255, window: SsimWindowName = 'gaussian11'): number {
  assertSameSize('ssimMetric', pred, target);
  const spec = WINDOWS[window];
  if (!spec) throw new Error(`ssimMetric: window must be 'gaussian11' or 'uniform7', got '${String(window)}'`);
  const { height: h, width: w } = pred;
  const win = spec.taps.length;
  // skimage's cov_norm: NP / (NP - 1) with NP = win * win for sample covariances.
  const covNorm = spec.sampleCovariance ? (win * win) / (win * win - 1) : 1;
  if (h < win || w < win) throw new Error(`ssimMetric: images must be at least ${win}x${win}, got ${h}x${w}`);
  const n = h * w;
  let total = 0;
  for (let c = 0; c < 3; c++) {
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = pred.data[3 * i + c]!;
      y[i] = target.data[3 * i + c]!;
    }
    const [ux, uy, uxx, uyy, uxy] = [x, y, x.map((v) => v * v), y.map((v) => v * v), x.map((v, i) => v * y[i]!)].map(
      (m) => filterValid(m, h, w, spec.taps),
    ) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    let sum = 0;
    for (let i = 0; i < ux.length; i++) {
      const mx = ux[i]!;
      const my = uy[i]!;
      const vx = covNorm * (uxx[i]! - mx * mx);
      const vy = covNorm * (uyy[i]! - my * my);
      const vxy = covNorm * (uxy[i]! - mx * my);
      sum += ((2 * mx * my + C1) * (2 * vxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
    }
    total += sum / ux.length;
  }
  return total / 3;
}

/**
 * Evaluation SSIM of one RGB image against its reference, exactly as skimage
 * `structural_similarity(pred, target, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255,
 * channel_axis=-1)` computes it on [0, 255] RGB: per channel, an 11-tap Gaussian (sigma 1.5, truncated at 3.5 sigma),
 * population (co)variances, C1 = (0.01·255)², C2 = (0.03·255)², the map cropped by 5 pixels on each side, averaged,
 * then averaged over the 3 channels. Computed in float64. Images must be at least 11x11. Identical images give 1.
 * Inputs as `psnrMetric`; `gtMean: true` scores the GT-mean-aligned output. `window: 'uniform7'` instead computes
 * skimage's default SSIM (7x7 uniform window, sample covariances: the reference test.py's protocol); SSIM is scale
 * invariant with C1, C2 scaled by the data range, so this equals it on [0, 1] images with data_range=1.
 */
export function ssimMetric(
  pred: MetricImage,
  target: MetricImage,
  options: MetricOptions & { window?: SsimWindowName } = {},
): number {
  const t = toRgb255(target, 'ssimMetric target', options.clip);
  let p = toRgb255(pred, 'ssimMetric pred', options.clip);
  assertSameSize('ssimMetric', p, t);
  if (options.gtMean) p = gtMeanAlign(p, t);
  return ssim255(p, t, options.window);
}
