import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { VggPerceptualLoss } from '../../src/losses';
import { conv2d } from '../../src/ops';
import { maxAbsDiff, randomTensor } from '../helpers/gradcheck';

describe(`frozen-filter paths (${tf.getBackend()})`, () => {
  it('conv2d with filterGradient: false has the same value and input gradient, and no filter gradient', () => {
    const x = randomTensor([2, 6, 7, 3], 1);
    const f = randomTensor([3, 3, 3, 4], 2) as tf.Tensor4D;
    const r = randomTensor([2, 6, 7, 4], 3);
    const loss = (frozen: boolean) => (xi: tf.Tensor) =>
      tf.sum(tf.mul(conv2d(xi as tf.Tensor4D, f, { padding: 1, filterGradient: !frozen }), r));
    expect(maxAbsDiff(tf.grad(loss(true))(x), tf.grad(loss(false))(x))).toBeLessThan(1e-6);
    expect(() =>
      tf.grads((fi: tf.Tensor) => tf.sum(conv2d(x as tf.Tensor4D, fi as tf.Tensor4D, { filterGradient: false })))([f]),
    ).toThrow();
  });

  it('computeAgainst(pred, targetFeatures(target)) equals compute(pred, target), value and gradient', () => {
    const vgg = VggPerceptualLoss.randomForTesting(5);
    const pred = randomTensor([1, 8, 12, 3], 6, 0, 1);
    const target = randomTensor([1, 8, 12, 3], 7, 0, 1);
    const packed = vgg.targetFeatures(target as tf.Tensor4D);
    const a = tf.grad((p: tf.Tensor) => vgg.compute(p, target))(pred);
    const b = tf.grad((p: tf.Tensor) => vgg.computeAgainst(p, packed))(pred);
    expect(
      Math.abs(vgg.compute(pred, target).dataSync()[0]! - vgg.computeAgainst(pred, packed).dataSync()[0]!),
    ).toBeLessThan(1e-6);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-6);
    expect(() => vgg.computeAgainst(randomTensor([1, 16, 12, 3], 8, 0, 1), packed)).toThrow(/do not match/);
    vgg.dispose();
  });
});
