import type { RgbImage } from './image';
import { Rng } from '../random/rng';

/**
 * Synthetic low-light pairs, protocol `lowlight-v1` (docs/lowlight-synthesis.md): darken in linear light, add
 * shot and read noise there, re-encode to 8-bit sRGB. The target of a pair is the original photo.
 */
export const LOWLIGHT_V1 = 'lowlight-v1';

/** Everything drawn for one synthetic image; stored with each pair so it can be reproduced. */
export interface LowLightParams {
  protocol: typeof LOWLIGHT_V1;
  /** The seed the generator started from (the parameters and the noise follow from it). */
  seed: number;
  /** Exposure loss s in stops, U[3, 6]. */
  exposureStops: number;
  /** Per-channel white-balance gains g_c, U[0.9, 1.1] each (R, G, B). */
  gains: [number, number, number];
  /** Shot-noise scale k, log-uniform in [1e-4, 4e-3]. */
  shotNoise: number;
  /** Read-noise sigma r, U[0, 0.002]. */
  readNoise: number;
}

/** Draw the protocol's parameters, in the documented order: s, g_R, g_G, g_B, k, r. */
export function drawLowLightParams(rng: Rng): LowLightParams {
  const exposureStops = rng.uniform(3, 6);
  const gains: [number, number, number] = [rng.uniform(0.9, 1.1), rng.uniform(0.9, 1.1), rng.uniform(0.9, 1.1)];
  const shotNoise = Math.exp(rng.uniform(Math.log(1e-4), Math.log(4e-3)));
  const readNoise = rng.uniform(0, 0.002);
  return { protocol: LOWLIGHT_V1, seed: rng.seed, exposureStops, gains, shotNoise, readNoise };
}

/** sRGB decoding (IEC 61966-2-1) of one value in [0,1]. */
export function srgbToLinear(x: number): number {
  return x <= 0.04045 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
}

/** sRGB encoding of one linear value in [0,1]. */
export function linearToSrgb(v: number): number {
  return v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055;
}

/**
 * The sensor model of both protocols for one linear value `e`: shot noise (scale `k`) and read noise (sigma `r`),
 * drawn from `rng` in that order (n1, n2), clipped to [0, 1] and quantised to 8-bit sRGB. Returns the code, 0..255.
 */
export function noisyCode(e: number, k: number, r: number, rng: Rng): number {
  const n1 = rng.normal();
  const n2 = rng.normal();
  const v = e + Math.sqrt(k * (e > 0 ? e : 0)) * n1 + r * n2;
  return Math.round(255 * linearToSrgb(v < 0 ? 0 : v > 1 ? 1 : v));
}

/**
 * Make the low-light version of `photo` with parameters and noise drawn from `seed`.
 * The generator draws the parameters first, then for each pixel (row-major) and channel (R, G, B) one standard-normal
 * pair (n1 for shot noise, n2 for read noise). Same photo + same seed = same output, bit for bit.
 */
export function synthesizeLowLight(photo: RgbImage, seed: number): { low: RgbImage; params: LowLightParams } {
  const rng = new Rng(seed);
  const params = drawLowLightParams(rng);
  return { low: applyLowLight(photo, params, rng), params };
}

/** Apply given parameters; the noise comes from `rng` (positioned right after the parameter draws for the protocol). */
export function applyLowLight(photo: RgbImage, params: LowLightParams, rng: Rng): RgbImage {
  const { width, height, data } = photo;
  const n = width * height * 3;
  if (data.length !== n) throw new Error(`synthesizeLowLight: image data has ${data.length} values, expected ${n}`);
  const scale = Math.pow(2, -params.exposureStops);
  const gain = params.gains.map((g) => g * scale);
  const { shotNoise: k, readNoise: r } = params;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = data[i]!;
    const linear = srgbToLinear(x < 0 ? 0 : x > 1 ? 1 : x);
    out[i] = noisyCode(linear * gain[i % 3]!, k, r, rng) / 255;
  }
  return { width, height, data: out };
}
