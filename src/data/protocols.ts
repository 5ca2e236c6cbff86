import type { RgbImage } from './image';
import { linearToSrgb, srgbToLinear, synthesizeLowLight, LOWLIGHT_V1, type LowLightParams } from './synthesis';
import { lowLightV2Scale, synthesizeLowLightV2, LOWLIGHT_V2, type LowLightV2Params } from './synthesis-v2';

/** The synthetic darkening protocols (docs/lowlight-synthesis.md). */
export const SYNTHESIS_PROTOCOLS = [LOWLIGHT_V1, LOWLIGHT_V2] as const;
export type SynthesisProtocol = (typeof SYNTHESIS_PROTOCOLS)[number];
export type SynthesisParams = LowLightParams | LowLightV2Params;

/** Check a protocol name (from options or files), naming the known ones. */
export function checkProtocol(name: string): SynthesisProtocol {
  if (!(SYNTHESIS_PROTOCOLS as readonly string[]).includes(name))
    throw new Error(`unknown synthesis protocol '${name}': known are ${SYNTHESIS_PROTOCOLS.join(', ')}`);
  return name as SynthesisProtocol;
}

/** Darken `photo` with a protocol from `seed`; same inputs, same output bit for bit. */
export function synthesize(
  protocol: SynthesisProtocol,
  photo: RgbImage,
  seed: number,
): { low: RgbImage; params: SynthesisParams } {
  return protocol === LOWLIGHT_V2 ? synthesizeLowLightV2(photo, seed) : synthesizeLowLight(photo, seed);
}

/** The per-pixel, per-channel linear scale a pair's darkening applied to its clean photo (before noise). */
export function exposureScale(photo: RgbImage, params: SynthesisParams): Float32Array {
  if (params.protocol === LOWLIGHT_V2) return lowLightV2Scale(photo, params);
  const out = new Float32Array(photo.width * photo.height * 3);
  const s = Math.pow(2, -params.exposureStops);
  for (let i = 0; i < out.length; i++) out[i] = s * params.gains[i % 3]!;
  return out;
}

/**
 * The exact inverse-exposure oracle: the low image brought back to linear light, divided by the recorded exposure
 * and gains, re-encoded to sRGB. Noise (amplified by the same gain) and 8-bit quantisation are kept; clipped to [0, 1].
 */
export function inverseExposureOracle(low: RgbImage, photo: RgbImage, params: SynthesisParams): RgbImage {
  if (low.width !== photo.width || low.height !== photo.height)
    throw new Error(
      `inverseExposureOracle: low ${low.width}x${low.height} and photo ${photo.width}x${photo.height} differ`,
    );
  const scale = exposureScale(photo, params);
  const out = new Float32Array(low.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = srgbToLinear(Math.min(1, Math.max(0, low.data[i]!))) / scale[i]!;
    out[i] = linearToSrgb(Math.min(1, Math.max(0, v)));
  }
  return { width: low.width, height: low.height, data: out };
}
