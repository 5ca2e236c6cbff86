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
const TAPS = gaussianTaps();

/**
 * Gaussian filter evaluated only where the window fits inside the image ((H - 10) x (W - 10) outputs): skimage computes
 * the full map and then crops a 5-pixel border before averaging, so the border mode never matters.
 */
function filterValid(src: Float64Array, h: number, w: number): Float64Array {
  const n = TAPS.length;
  const ho = h - n + 1;
  const wo = w - n + 1;
  const rows = new Float64Array(ho * w);
  for (let y = 0; y < ho; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += TAPS[k]! * src[(y + k) * w + x]!;
      rows[y * w + x] = s;
    }
  }
  const out = new Float64Array(ho * wo);
  for (let y = 0; y < ho; y++) {
    for (let x = 0; x < wo; x++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += TAPS[k]! * rows[y * w + x + k]!;
      out[y * wo + x] = s;
    }
  }
  return out;
}

/** Mean SSIM of two images on the [0, 255] scale (skimage conventions, see `ssimMetric`). */
export function ssim255(pred: Rgb255, target: Rgb255): number {
  assertSameSize('ssimMetric', pred, target);
  const { height: h, width: w } = pred;
  const win = 2 * RADIUS + 1;
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
      (m) => filterValid(m, h, w),
    ) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    let sum = 0;
    for (let i = 0; i < ux.length; i++) {
      const mx = ux[i]!;
      const my = uy[i]!;
      const vx = uxx[i]! - mx * mx;
      const vy = uyy[i]! - my * my;
      const vxy = uxy[i]! - mx * my;
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
 * Inputs as `psnrMetric`; `gtMean: true` scores the GT-mean-aligned output.
 */
export function ssimMetric(pred: MetricImage, target: MetricImage, options: MetricOptions = {}): number {
  const t = toRgb255(target, 'ssimMetric target', options.clip);
  let p = toRgb255(pred, 'ssimMetric pred', options.clip);
  assertSameSize('ssimMetric', p, t);
  if (options.gtMean) p = gtMeanAlign(p, t);
  return ssim255(p, t);
}
