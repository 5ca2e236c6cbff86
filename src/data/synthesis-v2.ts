import type { RgbImage } from './image';
import { Rng } from '../random/rng';
import { noisyCode, srgbToLinear } from './synthesis';

/**
 * Synthetic low-light pairs, protocol `lowlight-v2` (docs/lowlight-synthesis.md, second part): `lowlight-v1`'s
 * darkening in linear light plus three things real dark photos have and v1 lacks, so that a model trained on it
 * learns to leave alone what is already well exposed:
 * - a share of pairs with little or no darkening ('keep', with the low noise of a well-exposed shot) and a share of
 *   mild ones, besides v1's 3–6 stops;
 * - exposure varying across the frame (a linear ramp in stops along a random direction);
 * - highlights kept: the brightest pixels lose less exposure than the mid-tones (lamps, skies), as in real scenes
 *   where light sources stay bright.
 */
export const LOWLIGHT_V2 = 'lowlight-v2';

export type LowLightV2Regime = 'keep' | 'mild' | 'dark';

/** Everything drawn for one v2 image; with the clean photo it reproduces the pair exactly. */
export interface LowLightV2Params {
  protocol: typeof LOWLIGHT_V2;
  seed: number;
  /** keep (15%): U[0, 0.25] stops; mild (25%): U[0.25, 3]; dark (60%): U[3, 6] as v1. */
  regime: LowLightV2Regime;
  /** Exposure loss in stops at the frame centre for mid-tones. */
  exposureStops: number;
  /** Change of the loss across the frame along `rampAngle` (half before the centre, half after); 0 in half the pairs. */
  rampStops: number;
  /** Direction of the ramp, radians. */
  rampAngle: number;
  /** Share of the loss spared at full linear brightness (0 = none; U[0.3, 0.9] in 30% of mild/dark pairs). */
  highlightKeep: number;
  /** Per-channel white-balance gains: U[0.9, 1.1] (keep: U[0.98, 1.02]). */
  gains: [number, number, number];
  /** Shot-noise scale: log-uniform in [1e-4, 4e-3] (keep: [1e-6, 1e-4]). */
  shotNoise: number;
  /** Read-noise sigma: U[0, 0.002] (keep: U[0, 5e-4]). */
  readNoise: number;
}

/** Draw the parameters, in the documented order: regime, s, ramp (flag, stops, angle), highlight (flag, keep), gains, k, r. */
export function drawLowLightV2Params(rng: Rng): LowLightV2Params {
  const u = rng.next();
  const regime: LowLightV2Regime = u < 0.15 ? 'keep' : u < 0.4 ? 'mild' : 'dark';
  const keep = regime === 'keep';
  const exposureStops = keep ? rng.uniform(0, 0.25) : regime === 'mild' ? rng.uniform(0.25, 3) : rng.uniform(3, 6);
  const ramped = rng.bool(0.5);
  const rampStops = rng.uniform(-2, 2);
  const rampAngle = rng.uniform(0, 2 * Math.PI);
  const kept = rng.bool(0.3);
  const highlight = rng.uniform(0.3, 0.9);
  const g = keep ? 0.02 : 0.1;
  const gains: [number, number, number] = [
    rng.uniform(1 - g, 1 + g),
    rng.uniform(1 - g, 1 + g),
    rng.uniform(1 - g, 1 + g),
  ];
  const [kLo, kHi] = keep ? [1e-6, 1e-4] : [1e-4, 4e-3];
  const shotNoise = Math.exp(rng.uniform(Math.log(kLo), Math.log(kHi)));
  const readNoise = rng.uniform(0, keep ? 5e-4 : 0.002);
  return {
    protocol: LOWLIGHT_V2,
    seed: rng.seed,
    regime,
    exposureStops,
    rampStops: ramped && !keep ? rampStops : 0,
    rampAngle,
    highlightKeep: kept && !keep ? highlight : 0,
    gains,
    shotNoise,
    readNoise,
  };
}

/** Smooth 0→1 step of linear brightness: where highlights start to be spared (0.2) and are fully spared (0.9). */
function highlightWeight(linear: number): number {
  const t = Math.min(1, Math.max(0, (linear - 0.2) / 0.7));
  return t * t * (3 - 2 * t);
}

/**
 * The per-pixel, per-channel linear scale the protocol applies to `photo` (exposure × gains, before noise): the
 * exact inverse-exposure oracle divides by it. Deterministic in (photo, params).
 */
export function lowLightV2Scale(photo: RgbImage, params: LowLightV2Params): Float32Array {
  const { width, height, data } = photo;
  const out = new Float32Array(width * height * 3);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const dx = Math.cos(params.rampAngle);
  const dy = Math.sin(params.rampAngle);
  // The ramp's extent: projections of the frame's corners span [-extent, extent].
  const extent = Math.max(1e-6, Math.abs(dx) * cx + Math.abs(dy) * cy);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = ((x - cx) * dx + (y - cy) * dy) / (2 * extent); // in [-0.5, 0.5]
      const base = Math.max(0, params.exposureStops + params.rampStops * t);
      const p = (y * width + x) * 3;
      // Luminance of the clean pixel in linear light decides how much of the loss its highlights are spared.
      const lum =
        0.2126 * srgbToLinear(clamp01(data[p]!)) +
        0.7152 * srgbToLinear(clamp01(data[p + 1]!)) +
        0.0722 * srgbToLinear(clamp01(data[p + 2]!));
      const stops = base * (1 - params.highlightKeep * highlightWeight(lum));
      const scale = Math.pow(2, -stops);
      for (let c = 0; c < 3; c++) out[p + c] = scale * params.gains[c]!;
    }
  }
  return out;
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Make the v2 low-light version of `photo` from `seed`: parameters first, then per pixel and channel (n1, n2). */
export function synthesizeLowLightV2(photo: RgbImage, seed: number): { low: RgbImage; params: LowLightV2Params } {
  const rng = new Rng(seed);
  const params = drawLowLightV2Params(rng);
  return { low: applyLowLightV2(photo, params, rng), params };
}

/** Apply given v2 parameters; the noise comes from `rng`. */
export function applyLowLightV2(photo: RgbImage, params: LowLightV2Params, rng: Rng): RgbImage {
  const { width, height, data } = photo;
  const n = width * height * 3;
  if (data.length !== n) throw new Error(`synthesizeLowLightV2: image data has ${data.length} values, expected ${n}`);
  const scale = lowLightV2Scale(photo, params);
  const { shotNoise: k, readNoise: r } = params;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = noisyCode(srgbToLinear(clamp01(data[i]!)) * scale[i]!, k, r, rng) / 255;
  }
  return { width, height, data: out };
}
