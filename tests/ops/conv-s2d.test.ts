import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { reflectConv } from '../../src/layers/basic/reflect-conv';
import { conv2d, reflectPad, spaceToDepthConv2d } from '../../src/ops';
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
  it('equals conv2d: outputs and the gradients for input, filter and bias', () => {
    type Conv = (x: tf.Tensor4D, f: tf.Tensor4D, b: tf.Tensor1D) => tf.Tensor4D;
    const plainConv: Conv = (x, f, b) => conv2d(x, f, { bias: b });
    for (const [xs, fs] of CASES) {
      const x = randomTensor(xs, 1) as tf.Tensor4D;
      const f = randomTensor(fs, 2) as tf.Tensor4D;
      const bias = randomTensor([fs[3]], 4) as tf.Tensor1D;
      const r = randomTensor([xs[0], xs[1] - fs[0] + 1, xs[2] - fs[1] + 1, fs[3]], 3);
      const plain = plainConv(x, f, bias);
      const blocked = spaceToDepthConv2d(x, f, bias);
      expect(blocked.shape).toEqual(plain.shape);
      const scale = fs[0] * fs[1] * fs[2];
      expect(maxAbsDiff(blocked, plain) / scale, `${xs} * ${fs}`).toBeLessThan(1e-6);
      const loss = (op: Conv) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor1D), r)) as tf.Scalar;
      const g1 = tf.grads(loss(plainConv))([x, f, bias]);
      const g2 = tf.grads(loss(spaceToDepthConv2d))([x, f, bias]);
      const pixels = xs[0] * xs[1] * xs[2];
      expect(maxAbsDiff(g2[0]!, g1[0]!) / scale, `dx ${xs} * ${fs}`).toBeLessThan(1e-6);
      expect(maxAbsDiff(g2[1]!, g1[1]!) / pixels, `dfilter ${xs} * ${fs}`).toBeLessThan(1e-6);
      expect(maxAbsDiff(g2[2]!, g1[2]!) / pixels, `dbias ${xs} * ${fs}`).toBeLessThan(1e-6);
      tf.dispose([x, f, bias, r, plain, blocked, ...g1, ...g2]);
    }
  });

  it('reflectConv uses it for 7x7 few-channel filters on wasm and even sizes only, with the same values', async () => {
    for (const [h, w] of [
      [8, 10],
      [7, 10],
    ]) {
      const x = randomTensor([1, h, w, 9], 5) as tf.Tensor4D;
      const f = randomTensor([7, 7, 9, 9], 6) as tf.Tensor4D;
      const bias = randomTensor([9], 7) as tf.Tensor1D;
      let y: tf.Tensor | undefined;
      const info = await tf.profile(() => (y = reflectConv(x, f, bias)));
      const blocked = info.kernels.some((k) => k.name === 'FusedConv2D' && k.inputShapes[0]?.[3] === 36);
      expect(blocked, `${h}x${w}`).toBe(tf.getBackend() === 'wasm' && h % 2 === 0);
      const padded = reflectPad(x, [
        [3, 3],
        [3, 3],
      ]);
      const plain = conv2d(padded, f, { bias });
      expect(maxAbsDiff(y!, plain)).toBeLessThan(1e-4);
      tf.dispose([x, f, bias, y!, padded, plain]);
    }
  });

  it('refuses odd output sizes, channel mismatches and a wrong bias by name, and keeps the tensor count', () => {
    const x = tf.zeros([1, 8, 8, 2]) as tf.Tensor4D;
    expect(() => spaceToDepthConv2d(x, tf.zeros([2, 3, 2, 1]) as tf.Tensor4D)).toThrow(/output 7x6 .* must be even/);
    expect(() => spaceToDepthConv2d(x, tf.zeros([3, 3, 4, 1]) as tf.Tensor4D)).toThrow(/2 channels, the filter 4/);
    expect(() => spaceToDepthConv2d(x, tf.zeros([3, 3, 2, 2]) as tf.Tensor4D, tf.zeros([3]) as tf.Tensor1D)).toThrow(
      /bias must be \[2\] \(the filter's Cout\), got \[3\]/,
    );
    const f = tf.ones([3, 3, 2, 2]) as tf.Tensor4D;
    expect(tensorLeak(() => tf.dispose(spaceToDepthConv2d(x, f)))).toBe(0);
    tf.dispose([x, f]);
  });
});
