import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { batchMatMulSimdActive } from '../../src/kernels/batch-matmul';
import { maxAbsDiff, randomArray, tensorLeak } from '../helpers/gradcheck';

/** Float64 reference product of [batch, m, k] · [batch, k, n] (flat arrays), optionally transposed operands. */
function reference(
  a: Float32Array,
  b: Float32Array,
  batch: number,
  [m, k, n]: [number, number, number],
  ta = false,
  tb = false,
): Float64Array {
  const out = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) {
          const av = ta ? a[t * m * k + q * m + i]! : a[t * m * k + i * k + q]!;
          const bv = tb ? b[t * k * n + j * k + q]! : b[t * k * n + q * n + j]!;
          s += av * bv;
        }
        out[t * m * n + i * n + j] = s;
      }
    }
  }
  return out;
}

/** Worst |got - want| relative to the sum of |a||b| terms of that output (float32 rounding scales with it). */
function worstRelative(got: ArrayLike<number>, want: Float64Array, scale: number): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / scale);
  return worst;
}

// Shapes that reach every block of the kernel: 2- and 1-row blocks, 16- and 4-column blocks, scalar column tails,
// k = 1, MASR-Net's attention shapes, and batch shapes of rank 1 and 2.
const CASES: [number[], number, number, number][] = [
  [[3], 6, 24, 64],
  [[5], 6, 64, 24],
  [[4], 6, 3, 64],
  [[4], 6, 64, 3],
  [[2, 3], 5, 7, 21],
  [[7], 1, 1, 1],
  [[2], 3, 5, 17],
  [[3], 2, 9, 4],
  [[2], 4, 4, 33],
];

describe(`batched matMul (${tf.getBackend()})`, () => {
  it.runIf(tf.getBackend() === 'wasm')('runs in batch-matmul.wat on wasm', () => {
    expect(batchMatMulSimdActive(tf.backend(), tf.getBackend())).toBe(true);
    expect((tf.getKernel('BatchMatMul', 'wasm') as { masrOverride?: boolean }).masrOverride).toBe(true);
  });

  it('matches a float64 product for every block shape', () => {
    for (const [batchShape, m, k, n] of CASES) {
      const batch = batchShape.reduce((p, s) => p * s, 1);
      const av = randomArray(batch * m * k, m + k, -2, 2);
      const bv = randomArray(batch * k * n, k + n, -2, 2);
      const a = tf.tensor(av, [...batchShape, m, k]);
      const b = tf.tensor(bv, [...batchShape, k, n]);
      const c = tf.matMul(a, b);
      expect(c.shape).toEqual([...batchShape, m, n]);
      // Each term is at most 4 in size: float32 error stays below a few ulps of 4k.
      expect(
        worstRelative(c.dataSync(), reference(av, bv, batch, [m, k, n]), 4 * k),
        `${batchShape} ${m}x${k}x${n}`,
      ).toBeLessThan(1e-6);
      tf.dispose([a, b, c]);
    }
  });

  it("leaves transposed, single and broadcast products to tfjs's kernel, with the same results", () => {
    const [m, k, n] = [3, 5, 6];
    const av = randomArray(2 * m * k, 1);
    const bv = randomArray(2 * k * n, 2);
    const check = (a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean, batch: number) => {
      const c = tf.matMul(a, b, ta, tb);
      expect(worstRelative(c.dataSync(), reference(av, bv, batch, [m, k, n], ta, tb), k)).toBeLessThan(1e-6);
      tf.dispose([a, b, c]);
    };
    check(tf.tensor(av, [2, k, m]), tf.tensor(bv, [2, k, n]), true, false, 2);
    check(tf.tensor(av, [2, m, k]), tf.tensor(bv, [2, n, k]), false, true, 2);
    check(tf.tensor(av.subarray(0, m * k), [1, m, k]), tf.tensor(bv.subarray(0, k * n), [1, k, n]), false, false, 1);
    // Broadcast batch: [1, m, k] · [2, k, n].
    const a = tf.tensor(av.subarray(0, m * k), [1, m, k]);
    const b = tf.tensor(bv, [2, k, n]);
    const c = tf.matMul(a, b);
    const want = reference(new Float32Array([...av.subarray(0, m * k), ...av.subarray(0, m * k)]), bv, 2, [m, k, n]);
    expect(worstRelative(c.dataSync(), want, k)).toBeLessThan(1e-6);
    tf.dispose([a, b, c]);
  });

  it('is right when the same data is B in products of different shapes (tfjs-wasm caches packings by data)', () => {
    tf.tidy(() => {
      const dy = tf.tensor2d(randomArray(12 * 128, 9), [12, 128]);
      const sums = (t: tf.Tensor2D) => tf.matMul(tf.ones([1, t.shape[0]]) as tf.Tensor2D, t);
      const first = sums(dy);
      const wide = tf.reshape(dy, [4, 384]) as tf.Tensor2D;
      const second = sums(wide);
      const want = (t: tf.Tensor2D) => {
        const v = t.dataSync();
        const [r, c] = t.shape;
        return Array.from({ length: c }, (_, j) => {
          let s = 0;
          for (let i = 0; i < r; i++) s += v[i * c + j]!;
          return s;
        });
      };
      expect(maxAbsDiff(first, want(dy))).toBeLessThan(1e-4);
      expect(maxAbsDiff(second, want(wide))).toBeLessThan(1e-4);
      // The same shape with transposeB is another packing too.
      const square = tf.reshape(dy, [48, 32]) as tf.Tensor2D;
      const a = tf.tensor2d(randomArray(3 * 32, 10), [3, 32]);
      const t1 = tf.matMul(a, square, false, true);
      const t2 = tf.matMul(a, tf.transpose(square));
      expect(maxAbsDiff(t1, t2)).toBeLessThan(1e-5);
    });
  });

  it('gives zeros for k = 0, empty outputs for m or n = 0, and keeps the tensor count', () => {
    tf.tidy(() => {
      const z = tf.matMul(tf.zeros([3, 2, 0]), tf.zeros([3, 0, 4]));
      expect(z.shape).toEqual([3, 2, 4]);
      expect(Array.from(z.dataSync())).toEqual(new Array(24).fill(0));
      expect(tf.matMul(tf.zeros([3, 0, 2]), tf.zeros([3, 2, 4])).shape).toEqual([3, 0, 4]);
    });
    const a = tf.ones([4, 3, 5]);
    const b = tf.ones([4, 5, 2]);
    expect(tensorLeak(() => tf.dispose(tf.matMul(a, b)))).toBe(0);
    tf.dispose([a, b]);
  });
});
