// White-point exposure normalisation: one linear-light gain per photo, computed on the whole photo.
//
// Why: MASR-Net's maps are predicted from 8-pixel windows and trained on 128-pixel crops, so the network never sees
// a photo's white point and cannot tell a dark photo from a dark region. On lowlight-v1 validation the shipped model's
// remaining error is mostly one global exposure per photo (docs/model-card.md, "What limits PSNR: global exposure").
// Bringing the input's white point to the training photos' before the network gives it that global cue. The gain must
// come from the whole photo: the trainer computes it before cropping, `MASRNet.enhanceTiled` before tiling.
// Plain JS (no tfjs), so the data loader's worker threads can import it; exposure-gains.ts applies gains to tensors.
import { linearToSrgb, srgbToLinear } from '../data/synthesis';

/** The white-point normalisation of `MASRNetConfig.autoExposure`. */
export interface AutoExposureConfig {
  /** The quantile of the per-pixel (or per-box, see `pool`) max(R, G, B) taken as the photo's white point. Default 0.999. */
  quantile: number;
  /**
   * The linear-light white point it is brought to. Default 0.954 (the training photos' geometric mean; with `pool: 4`
   * that statistic is lower, 0.929).
   */
  target: number;
  /**
   * The largest gain (for the darkest inputs). Gains below 1 are never applied, so a photo whose white point is
   * already at or above the target passes unchanged. Default 64 (6 stops).
   */
  maxGain: number;
  /**
   * Side, in pixels, of the boxes averaged (in linear light) before the quantile; 1 (the default, and what configs
   * without the field mean) takes single pixels. Why: on a dark noisy photo the noise lifts the brightest single
   * pixels, so a per-pixel white point over-states the exposure and the gain comes out too small (by 0.23 stops on
   * the median lowlight-v1 validation photo); averaging 4x4 boxes first leaves 0.04 stops (with target 0.929).
   */
  pool?: number;
}

/** The safetensors metadata key recording the autoExposure that weights were trained with (JSON). */
export const AUTO_EXPOSURE_KEY = 'masr_net_auto_exposure';

export const DEFAULT_AUTO_EXPOSURE: AutoExposureConfig = { quantile: 0.999, target: 0.954, maxGain: 64, pool: 1 };

/** The noise-robust white point the shipped auto-exposure weights use: 4x4 box means, target 0.929. */
export const POOLED_AUTO_EXPOSURE: AutoExposureConfig = { quantile: 0.999, target: 0.929, maxGain: 64, pool: 4 };

/** The autoExposure recorded in safetensors metadata (`AUTO_EXPOSURE_KEY`), or undefined; throws naming the key. */
export function recordedAutoExposure(metadata: Record<string, string>): AutoExposureConfig | undefined {
  const text = metadata[AUTO_EXPOSURE_KEY];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as AutoExposureConfig;
  } catch {
    throw new Error(`the safetensors metadata '${AUTO_EXPOSURE_KEY}' is not JSON: ${text.slice(0, 80)}`);
  }
}

/** Whether two settings normalise alike (a missing `pool` is 1: what weights saved before the field meant). */
export function sameAutoExposure(a: AutoExposureConfig | null, b: AutoExposureConfig | null): boolean {
  if (!a || !b) return a === b;
  return (
    a.quantile === b.quantile && a.target === b.target && a.maxGain === b.maxGain && (a.pool ?? 1) === (b.pool ?? 1)
  );
}

/** The per-box max(R, G, B) of the linear-light means of `pool` x `pool` boxes (whole boxes only), sRGB-encoded. */
function pooledBrightest(data: ArrayLike<number>, width: number, height: number, pool: number, offset: number) {
  const w = Math.floor(width / pool);
  const h = Math.floor(height / pool);
  const sums = new Float64Array(w * 3);
  const brightest = new Float32Array(w * h);
  for (let by = 0; by < h; by++) {
    sums.fill(0);
    for (let y = by * pool; y < (by + 1) * pool; y++) {
      for (let x = 0, j = offset + y * width * 3; x < w * pool; x++, j += 3) {
        const b = 3 * Math.floor(x / pool);
        sums[b] += srgbToLinear(data[j]!);
        sums[b + 1] += srgbToLinear(data[j + 1]!);
        sums[b + 2] += srgbToLinear(data[j + 2]!);
      }
    }
    for (let bx = 0; bx < w; bx++) {
      const m = Math.max(sums[3 * bx]!, sums[3 * bx + 1]!, sums[3 * bx + 2]!) / (pool * pool);
      brightest[by * w + bx] = linearToSrgb(Math.min(1, m));
    }
  }
  return brightest;
}

/**
 * The gain of one photo: HWC sRGB `data` in [0, 1], `width` x `height` pixels (from `offset`). Plain JS, so the data
 * loader (a worker thread) and the model compute the same number.
 */
export function autoExposureGain(
  data: ArrayLike<number>,
  width: number,
  height: number,
  config: AutoExposureConfig,
  offset = 0,
): number {
  if (!(width > 0 && height > 0))
    throw new Error(`autoExposureGain: width and height must be positive, got ${width}x${height}`);
  const asked = config.pool ?? 1;
  if (!Number.isInteger(asked) || asked < 1)
    throw new Error(`autoExposureGain: config.pool must be a positive integer, got ${String(asked)}`);
  // The box shrinks to the photo's shorter side.
  const pool = Math.min(asked, width, height);
  let brightest: Float32Array;
  if (pool === 1) {
    brightest = new Float32Array(width * height);
    for (let i = 0, j = offset; i < brightest.length; i++, j += 3) {
      brightest[i] = Math.max(data[j]!, data[j + 1]!, data[j + 2]!);
    }
  } else {
    brightest = pooledBrightest(data, width, height, pool, offset);
  }
  brightest.sort();
  const n = brightest.length;
  // sRGB decoding is monotonic: the quantile of the decoded values is the decoded quantile.
  const white = srgbToLinear(brightest[Math.min(n - 1, Math.floor(config.quantile * n))]!);
  if (!(white > 0)) return config.maxGain;
  return Math.min(config.maxGain, Math.max(1, config.target / white));
}

/** One sRGB value times `gain` in linear light, clipped to [0, 1]. */
const gained = (v: number, gain: number) => linearToSrgb(Math.min(1, srgbToLinear(v) * gain));

type Image = { width: number; height: number; data: Float32Array };

/** `image` (HWC sRGB in [0, 1]) times `gain` in linear light, clipped to [0, 1]. The same image when the gain is 1. */
export function applyExposureGain<T extends Image>(image: T, gain: number): T {
  return gain === 1 ? image : { ...image, data: image.data.map((v) => gained(v, gain)) };
}

/** `image` (HWC sRGB in [0, 1]) brought to the white point, and the gain used. The same image when the gain is 1. */
export function autoExposeImage<T extends Image>(image: T, config: AutoExposureConfig): { image: T; gain: number } {
  const gain = autoExposureGain(image.data, image.width, image.height, config);
  return { image: applyExposureGain(image, gain), gain };
}

/** The gain of each image of a batch [B, H, W, 3] already read into `data`. */
export function autoExposureGains(data: ArrayLike<number>, shape: readonly number[], config: AutoExposureConfig) {
  const [b, h, w] = shape as [number, number, number];
  return Array.from({ length: b }, (_, i) => autoExposureGain(data, w, h, config, i * h * w * 3));
}
