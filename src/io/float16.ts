import { readSafetensors, writeSafetensors, entryToFloat32, type SafetensorsEntry } from './safetensors';

/** Round a float32 value to the nearest IEEE 754 half (round half to even), as its 16-bit pattern. */
export function floatToHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> Inf
  if (e <= 0) {
    // Subnormal half (or zero): shift the mantissa with its implicit bit in, rounding to even.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and to Inf at the top).
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/** A copy of a safetensors file with every F32 tensor stored as F16 (other dtypes and metadata unchanged). */
export function safetensorsToFloat16(bytes: Uint8Array): Uint8Array {
  const file = readSafetensors(bytes);
  const out: Array<[string, SafetensorsEntry]> = [];
  for (const [name, e] of file.tensors) {
    if (e.dtype !== 'F32') {
      out.push([name, e]);
      continue;
    }
    const values = entryToFloat32(e);
    const halves = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!) || Math.abs(values[i]!) > 65504)
        throw new Error(`safetensorsToFloat16: '${name}' holds ${values[i]}, outside float16's finite range`);
      halves[i] = floatToHalf(values[i]!);
    }
    out.push([name, { dtype: 'F16', shape: e.shape, bytes: new Uint8Array(halves.buffer) }]);
  }
  return writeSafetensors(out, file.metadata);
}
