import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { conv2d, spaceToDepthConv2d } from '../../src/ops';
import { maxAbsDiff, randomTensor, tensorLeak } from '../helpers/gradcheck';

// [input shape, filter shape]: odd and even kernels, rectangular ones, 1x1, and MASR-Net's 7x7 9->9.
const CASES: [[number, number, number, number], [number, number, number, number]][] = [
  [
    [2, 14, 12, 9],
    [7, 7, 9, 9],
  ],
  [
    [1, 10, 12, 3],
    [5, 3, 3, 4],
  ],
  [
    [1, 9, 11, 2],
    [4, 2, 2, 5],
  ],
  [
    [1, 6, 4, 1],
    [1, 1, 1, 1],
  ],
];

describe(`spaceToDepthConv2d (${tf.getBackend()})`, () => {
  it('equals conv2d: outputs and the gradients for input and filter', () => {
    for (const [xs, fs] of CASES) {
      const x = randomTensor(xs, 1) as tf.Tensor4D;
      const f = randomTensor(fs, 2) as tf.Tensor4D;
      const r = randomTensor([xs[0], xs[1] - fs[0] + 1, xs[2] - fs[1] + 1, fs[3]], 3);
      const plain = conv2d(x, f);
      const blocked = spaceToDepthConv2d(x, f);
      expect(blocked.shape).toEqual(plain.shape);
      const scale = fs[0] * fs[1] * fs[2];
      expect(maxAbsDiff(blocked, plain) / scale, `${xs} * ${fs}`).toBeLessThan(1e-6);
      const loss = (op: typeof conv2d) => (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), r)) as tf.Scalar;
      const [gx1, gf1] = tf.grads(loss(conv2d))([x, f]);
      const [gx2, gf2] = tf.grads(loss(spaceToDepthConv2d))([x, f]);
      expect(maxAbsDiff(gx2!, gx1!) / scale, `dx ${xs} * ${fs}`).toBeLessThan(1e-6);
      expect(maxAbsDiff(gf2!, gf1!) / (xs[0] * xs[1] * xs[2]), `dfilter ${xs} * ${fs}`).toBeLessThan(1e-6);
      tf.dispose([x, f, r, plain, blocked, gx1!, gf1!, gx2!, gf2!]);
    }
  });

  it('refuses odd output sizes and channel mismatches by name, and keeps the tensor count', () => {
    const x = tf.zeros([1, 8, 8, 2]) as tf.Tensor4D;
    expect(() => spaceToDepthConv2d(x, tf.zeros([2, 3, 2, 1]) as tf.Tensor4D)).toThrow(/output 7x6 .* must be even/);
    expect(() => spaceToDepthConv2d(x, tf.zeros([3, 3, 4, 1]) as tf.Tensor4D)).toThrow(/2 channels, the filter 4/);
    const f = tf.ones([3, 3, 2, 2]) as tf.Tensor4D;
    expect(tensorLeak(() => tf.dispose(spaceToDepthConv2d(x, f)))).toBe(0);
    tf.dispose([x, f]);
  });
});
