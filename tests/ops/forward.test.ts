// Forward semantics of the backend-safe ops: equality with the plain tfjs op where one exists, PyTorch golden values
// computed by hand, plain-JS float64 references, and the argument errors.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  conv2d,
  gatherRows,
  gelu,
  groupNorm,
  indicesToMask,
  layerNorm,
  linear,
  matMul,
  reflectPad,
  resizeBilinear,
  scatterAddRows,
  topkMask,
} from '../../src/ops';
import { gradCheck, maxAbsDiff, randomArray, randomTensor } from '../helpers/gradcheck';
import { CONV_CASES, distinctScores } from './cases';

const t4 = (v: number[], shape: [number, number, number, number]) => tf.tensor4d(v, shape);

describe(`reflectPad (${tf.getBackend()})`, () => {
  it('matches PyTorch: [1,2,3,4] padded by 2 is [3,2,1,2,3,4,3,2]', () => {
    const x = t4([1, 2, 3, 4], [1, 1, 4, 1]);
    const y = reflectPad(x, [
      [0, 0],
      [2, 2],
    ]);
    expect(Array.from(y.dataSync())).toEqual([3, 2, 1, 2, 3, 4, 3, 2]);
    tf.dispose([x, y]);
  });

  it('equals tf.mirrorPad(reflect) for asymmetric widths up to size - 1', () => {
    const x = randomTensor([2, 4, 5, 3], 31) as tf.Tensor4D;
    for (const pads of [
      [
        [2, 1],
        [3, 4],
      ],
      [
        [3, 0],
        [0, 1],
      ],
      [
        [0, 0],
        [0, 0],
      ],
    ] as [[number, number], [number, number]][]) {
      const y = reflectPad(x, pads);
      const ref = tf.mirrorPad(x, [[0, 0], pads[0], pads[1], [0, 0]], 'reflect');
      expect(y.shape).toEqual(ref.shape);
      expect(maxAbsDiff(y, ref)).toBe(0);
      tf.dispose([y, ref]);
    }
    x.dispose();
  });

  it('zero pads still return a new tensor: disposing it leaves the input alive', () => {
    const x = randomTensor([1, 2, 3, 1], 30) as tf.Tensor4D;
    const y = reflectPad(x, [
      [0, 0],
      [0, 0],
    ]);
    expect(y).not.toBe(x);
    y.dispose();
    expect(x.isDisposed).toBe(false);
    x.dispose();
  });

  it('rejects widths PyTorch rejects (>= input size) and non-NHWC input', () => {
    const x = tf.zeros([1, 3, 3, 1]) as tf.Tensor4D;
    expect(() =>
      reflectPad(x, [
        [3, 0],
        [0, 0],
      ]),
    ).toThrow(/input size 3/);
    expect(() =>
      reflectPad(tf.zeros([3, 3]) as unknown as tf.Tensor4D, [
        [1, 1],
        [1, 1],
      ]),
    ).toThrow(/rank 4/);
    x.dispose();
  });
});

describe(`resizeBilinear (${tf.getBackend()})`, () => {
  it('matches PyTorch align_corners=False golden values (2x2 -> 4x4)', () => {
    const x = t4([1, 2, 3, 4], [1, 2, 2, 1]);
    const y = resizeBilinear(x, [4, 4]);
    // F.interpolate(tensor([[1,2],[3,4]]), size=(4,4), mode='bilinear', align_corners=False)
    const golden = [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4];
    expect(maxAbsDiff(y, golden)).toBeLessThan(1e-6);
    tf.dispose([x, y]);
  });

  it('matches hand-computed PyTorch values for downsampling (no antialias) and non-integer ratios', () => {
    // 1x4 -> 1x2: source x = (o + 0.5) * 2 - 0.5 = 0.5, 2.5 -> [1.5, 3.5].
    const a = t4([1, 2, 3, 4], [1, 1, 4, 1]);
    const ya = resizeBilinear(a, [1, 2]);
    expect(maxAbsDiff(ya, [1.5, 3.5])).toBeLessThan(1e-6);
    // 3x1 -> 5x1: source y = max((o + 0.5) * 0.6 - 0.5, 0) = 0, 0.4, 1, 1.6, 2.2 (clamped to the last row).
    const b = t4([1, 2, 3], [1, 3, 1, 1]);
    const yb = resizeBilinear(b, [5, 1]);
    expect(maxAbsDiff(yb, [1, 1.4, 2, 2.6, 3])).toBeLessThan(1e-6);
    tf.dispose([a, ya, b, yb]);
  });

  it('equals tf.image.resizeBilinear(x, size, alignCorners=false, halfPixelCenters=true)', () => {
    const x = randomTensor([2, 5, 6, 3], 32) as tf.Tensor4D;
    for (const size of [
      [10, 12],
      [13, 7],
      [2, 3],
      [5, 6],
      [1, 1],
      [40, 48],
    ] as [number, number][]) {
      const y = resizeBilinear(x, size);
      const ref = tf.image.resizeBilinear(x, size, false, true);
      expect(y.shape).toEqual(ref.shape);
      expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5);
      tf.dispose([y, ref]);
    }
    x.dispose();
  });

  it('an unchanged size still returns a new tensor: disposing it leaves the input alive', () => {
    const x = randomTensor([1, 2, 3, 1], 30) as tf.Tensor4D;
    const y = resizeBilinear(x, [2, 3]);
    expect(y).not.toBe(x);
    expect(maxAbsDiff(y, x)).toBe(0);
    y.dispose();
    expect(x.isDisposed).toBe(false);
    x.dispose();
  });

  it('rejects a bad size', () => {
    const x = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
    expect(() => resizeBilinear(x, [0, 2])).toThrow(/positive integers/);
    expect(() => resizeBilinear(x, [1.5, 2])).toThrow(/positive integers/);
    x.dispose();
  });
});

describe(`conv2d forward (${tf.getBackend()})`, () => {
  for (const [i, c] of CONV_CASES.entries()) {
    it(`equals tf.conv2d: ${c.name}`, () => {
      const x = randomTensor(c.x, 300 + i) as tf.Tensor4D;
      const w = randomTensor(c.filter, 400 + i) as tf.Tensor4D;
      const y = conv2d(x, w, { strides: c.strides, padding: c.padding });
      const pad = typeof c.padding === 'object' ? [[0, 0], ...c.padding, [0, 0]] : c.padding;
      const ref =
        typeof c.padding === 'number'
          ? tf.conv2d(x, w, c.strides, [
              [0, 0],
              [c.padding, c.padding],
              [c.padding, c.padding],
              [0, 0],
            ])
          : tf.conv2d(x, w, c.strides, pad as 'valid');
      expect(y.shape).toEqual(ref.shape);
      expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5);
      tf.dispose([x, w, y, ref]);
    });
  }

  it('names the bad argument', () => {
    const x = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    expect(() => conv2d(x, tf.zeros([3, 3, 2, 4]) as tf.Tensor4D)).toThrow(/3 channels.*Cin = 2/);
    expect(() => conv2d(x, tf.zeros([5, 5, 3, 4]) as tf.Tensor4D)).toThrow(/too small/);
    expect(() => conv2d(tf.zeros([4, 4, 3]) as unknown as tf.Tensor4D, tf.zeros([1, 1, 3, 1]) as tf.Tensor4D)).toThrow(
      /rank 4/,
    );
    x.dispose();
  });
});

describe(`gatherRows / scatterAddRows (${tf.getBackend()})`, () => {
  it('gatherRows equals tf.gather on axis 0, duplicates included', () => {
    const x = randomTensor([6, 4], 33) as tf.Tensor2D;
    const i = tf.tensor1d([5, 0, 5, 2, 2, 1, 3], 'int32');
    const y = gatherRows(x, i);
    const ref = tf.gather(x, i);
    expect(y.shape).toEqual([7, 4]);
    expect(maxAbsDiff(y, ref)).toBe(0);
    tf.dispose([x, i, y, ref]);
  });

  it('scatterAddRows sums duplicate rows into a zero [numRows, D] (float64 JS reference)', () => {
    const src = randomArray(6 * 2, 34);
    const rows = [1, 3, 1, 0, 4, 1];
    const ref = new Float64Array(5 * 2);
    rows.forEach((r, k) => {
      ref[2 * r] += src[2 * k]!;
      ref[2 * r + 1] += src[2 * k + 1]!;
    });
    const s = tf.tensor2d(src, [6, 2]);
    const i = tf.tensor1d(rows, 'int32');
    const y = scatterAddRows(s, i, 5);
    expect(y.shape).toEqual([5, 2]);
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-6);
    tf.dispose([s, i, y]);
  });

  it('handle empty index lists (an expert that received no tokens), forward and gradient', () => {
    const x = randomTensor([4, 3], 46) as tf.Tensor2D;
    const none = tf.tensor1d([], 'int32');
    const [gx] = tf.grads((a: tf.Tensor) => {
      const rows = gatherRows(a as tf.Tensor2D, none);
      expect(rows.shape).toEqual([0, 3]);
      const back = scatterAddRows(rows, none, 4);
      expect(back.shape).toEqual([4, 3]);
      return tf.add(tf.sum(back), tf.sum(a));
    })([x]);
    expect(Array.from(gx!.dataSync())).toEqual(new Array(12).fill(1));
    tf.dispose([x, none, gx!]);
  });

  it('reject float or rank-2 indices and a row-count mismatch', () => {
    const x = tf.zeros([3, 2]) as tf.Tensor2D;
    expect(() => gatherRows(x, tf.tensor1d([0, 1]))).toThrow(/int32/);
    expect(() => gatherRows(x, tf.tensor2d([[0]], [1, 1], 'int32') as unknown as tf.Tensor1D)).toThrow(/rank-1/);
    expect(() => scatterAddRows(x, tf.tensor1d([0, 1], 'int32'), 4)).toThrow(/3 rows but indices has 2/);
    x.dispose();
  });

  it('MoE dispatch/combine: indices made inside the loss (from topkMask) still serve the backward pass', () => {
    // tf.grads runs the forward in a tidy scope: indices created there are disposed before backprop, so the ops
    // must keep their own reference. Bilinear in (x, table), so a large step is exact.
    const scores = distinctScores(5, 4);
    const f = (x: tf.Tensor, table: tf.Tensor) => {
      const { indices } = topkMask(scores, 2);
      const expert = tf.reshape(indices, [-1]) as tf.Tensor1D;
      const token = tf.tensor1d([0, 0, 1, 1, 2, 2, 3, 3, 4, 4], 'int32');
      const rows = tf.mul(gatherRows(x as tf.Tensor2D, token), gatherRows(table as tf.Tensor2D, expert));
      return scatterAddRows(rows as tf.Tensor2D, token, 5);
    };
    const x = randomTensor([5, 3], 35);
    const table = randomTensor([4, 3], 36);
    const { maxAbsError } = gradCheck(f, [x, table], { eps: 0.5 });
    expect(Math.max(...maxAbsError)).toBeLessThan(1e-5);
    tf.dispose([scores, x, table]);
  });
});

describe(`topkMask (${tf.getBackend()})`, () => {
  it('selects the same experts as tf.topk, largest first, and marks exactly k per row', () => {
    const s = distinctScores(5, 6);
    const { indices, mask } = topkMask(s, 3);
    const ref = tf.topk(s, 3);
    expect(indices.dtype).toBe('int32');
    expect(mask.dtype).toBe('float32');
    expect(Array.from(indices.dataSync())).toEqual(Array.from(ref.indices.dataSync()));
    const m = mask.arraySync();
    const idx = indices.arraySync();
    m.forEach((row, r) => {
      expect(row.reduce((a, b) => a + b, 0)).toBe(3);
      for (const e of idx[r]!) expect(row[e]).toBe(1);
    });
    tf.dispose([s, indices, mask, ref.values, ref.indices]);
  });

  it('indicesToMask gives exact 0/1 floats', () => {
    const i = tf.tensor2d(
      [
        [2, 0],
        [1, 3],
      ],
      [2, 2],
      'int32',
    );
    const m = indicesToMask(i, 4);
    expect(Array.from(m.dataSync())).toEqual([1, 0, 1, 0, 0, 1, 0, 1]);
    tf.dispose([i, m]);
  });

  it('rejects a bad k', () => {
    const s = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => topkMask(s, 4)).toThrow(/k must be an integer in \[1, 3\]/);
    expect(() => topkMask(s, 0)).toThrow(/k must be/);
    s.dispose();
  });
});

describe(`gelu / matMul / linear / layerNorm / groupNorm (${tf.getBackend()})`, () => {
  it('gelu is the exact erf form (golden values from 0.5 x (1 + erf(x / sqrt 2)) in float64)', () => {
    const xs = [-3, -1.5, -1, -0.5, 0, 0.3, 1, 2, 3];
    const golden = [
      -0.00404969409489031, -0.10021080190328713, -0.15865525393145707, -0.15426876936299344, 0, 0.18537342665668577,
      0.8413447460685429, 1.9544997361036416, 2.99595030590511,
    ];
    const x = tf.tensor1d(xs);
    const y = gelu(x);
    expect(maxAbsDiff(y, golden)).toBeLessThan(1e-6);
    tf.dispose([x, y]);
  });

  it('matMul equals tf.matMul for 2-D, batched and shared-weight products with transpose flags', () => {
    const pairs: [number[], number[], boolean, boolean][] = [
      [[3, 4], [4, 5], false, false],
      [[2, 4, 3], [2, 5, 4], true, true],
      [[2, 3, 4], [4, 5], false, false],
      [[2, 3, 4], [5, 4], false, true],
    ];
    pairs.forEach(([sa, sb, ta, tb], k) => {
      const a = randomTensor(sa, 60 + k);
      const b = randomTensor(sb, 70 + k);
      const y = matMul(a, b, ta, tb);
      // tf.matMul broadcasts a rank-2 b over a's batch.
      const ref = tf.matMul(a, b, ta, tb);
      expect(y.shape).toEqual(ref.shape);
      expect(maxAbsDiff(y, ref)).toBeLessThan(1e-6);
      tf.dispose([a, b, y, ref]);
    });
    expect(() => matMul(tf.zeros([2, 3]), tf.zeros([4, 5]))).toThrow(/inner dimensions/);
  });

  it('linear is x @ w + b over the last axis of any rank (float64 reference)', () => {
    const [xv, wv, bv] = [randomArray(2 * 3 * 4, 37), randomArray(4 * 5, 38), randomArray(5, 39)];
    const ref = new Float64Array(6 * 5);
    for (let r = 0; r < 6; r++)
      for (let o = 0; o < 5; o++) {
        let s = bv[o]!;
        for (let k = 0; k < 4; k++) s += xv[r * 4 + k]! * wv[k * 5 + o]!;
        ref[r * 5 + o] = s;
      }
    const [x, w, b] = [tf.tensor3d(xv, [2, 3, 4]), tf.tensor2d(wv, [4, 5]), tf.tensor1d(bv)];
    const y = linear(x, w, b);
    expect(y.shape).toEqual([2, 3, 5]);
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-6);
    const y0 = linear(x, w);
    const refNoBias = ref.map((v, i) => v - bv[i % 5]!);
    expect(maxAbsDiff(y0, refNoBias)).toBeLessThan(1e-6);
    expect(() => linear(x, tf.zeros([3, 5]) as tf.Tensor2D)).toThrow(/last dim 4/);
    tf.dispose([x, w, b, y, y0]);
  });

  /** Normalise `v` over the index groups produced by `groupOf` (biased variance), then channel affine. */
  function normRef(v: Float32Array, n: number, groupOf: (i: number) => number, chanOf: (i: number) => number) {
    const sum = new Float64Array(n);
    const sq = new Float64Array(n);
    const cnt = new Float64Array(n);
    v.forEach((x, i) => {
      sum[groupOf(i)] += x;
      cnt[groupOf(i)] += 1;
    });
    v.forEach((x, i) => {
      const g = groupOf(i);
      sq[g] += (x - sum[g]! / cnt[g]!) ** 2;
    });
    return (gamma: Float32Array, beta: Float32Array, eps: number) =>
      Array.from(v, (x, i) => {
        const g = groupOf(i);
        const c = chanOf(i);
        return ((x - sum[g]! / cnt[g]!) / Math.sqrt(sq[g]! / cnt[g]! + eps)) * gamma[c]! + beta[c]!;
      });
  }

  it('layerNorm normalises the last axis with biased variance and eps 1e-5', () => {
    const [xv, gv, bv] = [randomArray(3 * 6, 40, -2, 2), randomArray(6, 41, 0.5, 1.5), randomArray(6, 42)];
    const ref = normRef(
      xv,
      3,
      (i) => Math.floor(i / 6),
      (i) => i % 6,
    )(gv, bv, 1e-5);
    const [x, g, b] = [tf.tensor2d(xv, [3, 6]), tf.tensor1d(gv), tf.tensor1d(bv)];
    const y = layerNorm(x, g, b);
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5);
    tf.dispose([x, g, b, y]);
  });

  it('groupNorm (NHWC) normalises contiguous channel groups over H, W and the group', () => {
    const [B, H, W, C, G] = [2, 3, 3, 6, 3];
    const [xv, gv, bv] = [randomArray(B * H * W * C, 43, -2, 2), randomArray(C, 44, 0.5, 1.5), randomArray(C, 45)];
    const groupOf = (i: number) => Math.floor(i / (H * W * C)) * G + Math.floor((i % C) / (C / G));
    const ref = normRef(xv, B * G, groupOf, (i) => i % C)(gv, bv, 1e-5);
    const [x, g, b] = [tf.tensor4d(xv, [B, H, W, C]), tf.tensor1d(gv), tf.tensor1d(bv)];
    const y = groupNorm(x, G, g, b);
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5);
    expect(() => groupNorm(x, 4, g, b)).toThrow(/6 channels are not divisible into 4 groups/);
    tf.dispose([x, g, b, y]);
  });
});
