import { describe, expect, it } from 'vitest';
import { floatToHalf, safetensorsToFloat16 } from '../../src/io/float16';
import { entryToFloat32, float32Entry, readSafetensors, writeSafetensors } from '../../src/io/safetensors';

describe('float16 storage', () => {
  it('rounds to the nearest half (IEEE 754 bit patterns)', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff], // largest finite half
      [65520, 0x7c00], // rounds up to Inf
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -26, 0x0000], // below half of it: zero
      [1 + 2 ** -11, 0x3c00], // exactly half way: to even (down)
      [1 + 3 * 2 ** -11, 0x3c02], // half way: to even (up)
      [0.1, 0x2e66],
      [Infinity, 0x7c00],
    ];
    for (const [v, bits] of cases) expect(floatToHalf(v), String(v)).toBe(bits);
    expect(floatToHalf(NaN) & 0x7c00).toBe(0x7c00);
    expect(floatToHalf(NaN) & 0x3ff).not.toBe(0);
  });

  it('round-trips through the safetensors reader within half precision, other dtypes untouched', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10 ** ((i % 9) - 5));
    const ints = { dtype: 'I64' as const, shape: [2], bytes: new Uint8Array(new BigInt64Array([3n, 7n]).buffer) };
    const f32 = writeSafetensors([
      ['w', float32Entry(values, [10, 100])],
      ['idx', ints],
    ], { format: 'pt' });
    const half = readSafetensors(safetensorsToFloat16(f32));
    expect(half.metadata).toEqual({ format: 'pt' });
    const w = half.tensors.get('w')!;
    expect(w.dtype).toBe('F16');
    expect(w.shape).toEqual([10, 100]);
    const back = entryToFloat32(w);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      // Relative error 2^-11 for normal halves, absolute 2^-25 in the subnormal range.
      expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(Math.max(Math.abs(v) * 2 ** -11, 2 ** -25));
    }
    expect(Array.from(half.tensors.get('idx')!.bytes)).toEqual(Array.from(ints.bytes));
  });

  it('refuses values float16 cannot hold, naming the tensor', () => {
    const f32 = writeSafetensors([['big', float32Entry(new Float32Array([1, 1e6]), [2])]]);
    expect(() => safetensorsToFloat16(f32)).toThrow(/'big' holds 1000000/);
  });
});
