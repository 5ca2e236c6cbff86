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
  /** The quantile of the per-pixel max(R, G, B) taken as the photo's white point. Default 0.999. */
  quantile: number;
  /** The linear-light white point it is brought to. Default 0.954 (the training photos' geometric mean). */
  target: number;
  /**
   * The largest gain (for the darkest inputs). Gains below 1 are never applied, so a photo whose white point is
   * already at or above the target passes unchanged. Default 64 (6 stops).
   */
  maxGain: number;
}

/** The safetensors metadata key recording the autoExposure that weights were trained with (JSON). */
export const AUTO_EXPOSURE_KEY = 'masr_net_auto_exposure';

export const DEFAULT_AUTO_EXPOSURE: AutoExposureConfig = { quantile: 0.999, target: 0.954, maxGain: 64 };

/**
 * The gain of one photo: HWC sRGB `data` in [0, 1] of `pixels` pixels (from `offset`). Plain JS, so the data loader
 * (a worker thread) and the model compute the same number.
 */
export function autoExposureGain(
  data: ArrayLike<number>,
  pixels: number,
  config: AutoExposureConfig,
  offset = 0,
): number {
  if (!(pixels > 0)) throw new Error(`autoExposureGain: pixels must be positive, got ${pixels}`);
  const brightest = new Float32Array(pixels);
  for (let i = 0, j = offset; i < pixels; i++, j += 3) {
    brightest[i] = Math.max(data[j]!, data[j + 1]!, data[j + 2]!);
  }
  brightest.sort();
  // sRGB decoding is monotonic: the quantile of the decoded values is the decoded quantile.
  const white = srgbToLinear(brightest[Math.min(pixels - 1, Math.floor(config.quantile * pixels))]!);
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
  const gain = autoExposureGain(image.data, image.width * image.height, config);
  return { image: applyExposureGain(image, gain), gain };
}

/** The gain of each image of a batch [B, H, W, 3] already read into `data`. */
export function autoExposureGains(data: ArrayLike<number>, shape: readonly number[], config: AutoExposureConfig) {
  const [b, h, w] = shape as [number, number, number];
  return Array.from({ length: b }, (_, i) => autoExposureGain(data, h * w, config, i * h * w * 3));
}
