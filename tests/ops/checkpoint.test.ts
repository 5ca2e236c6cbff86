import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { checkpoint, gelu, matMul } from '../../src/ops';
import { dropout } from '../../src/layers/basic/common';
import { maxAbsDiff, randomTensor } from '../helpers/gradcheck';

describe(`checkpoint (${tf.getBackend()})`, () => {
  const x = randomTensor([6, 5], 3);
  const w = tf.variable(randomTensor([5, 4], 4));
  const r = randomTensor([6, 4], 5);
  const block = (xi: tf.Tensor) => gelu(matMul(gelu(xi), w));

  it('gives the same value and the same input and variable gradients as the plain function', () => {
    const plain = tf.variableGrads(() => tf.sum(tf.mul(block(x), r)) as tf.Scalar, [w]);
    const ckpt = tf.variableGrads(() => tf.sum(tf.mul(checkpoint(block, [x], [w]), r)) as tf.Scalar, [w]);
    expect(maxAbsDiff(ckpt.value, plain.value)).toBeLessThan(1e-6);
    expect(maxAbsDiff(ckpt.grads[w.name]!, plain.grads[w.name]!)).toBeLessThan(1e-6);
    const gx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(block(xi), r)))(x);
    const gxc = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(checkpoint(block, [xi], [w]), r)))(x);
    expect(maxAbsDiff(gxc, gx)).toBeLessThan(1e-6);
  });

  it('recomputes dropout with the same mask, so gradients match the forward it took', () => {
    const f = (xi: tf.Tensor) => dropout(gelu(xi), 0.5, true);
    // d/dx sum(dropout(gelu(x))) is zero exactly where the forward dropped the unit.
    let forward!: Float32Array;
    const g = tf.grad((xi: tf.Tensor) => {
      const y = checkpoint(f, [xi]);
      forward = y.dataSync() as Float32Array;
      return tf.sum(y);
    })(x);
    const grads = g.dataSync();
    for (let i = 0; i < grads.length; i++) expect(grads[i] === 0).toBe(forward[i] === 0);
    expect(forward.some((v) => v === 0)).toBe(true);
  });

  it('a listed variable the function does not use gets a zero gradient instead of an error', () => {
    const unused = tf.variable(randomTensor([3], 10));
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.mul(checkpoint(block, [x], [w, unused]), r)) as tf.Scalar,
      [w, unused],
    );
    expect(Array.from(grads[unused.name]!.dataSync())).toEqual([0, 0, 0]);
    expect(tf.sum(tf.abs(grads[w.name]!)).dataSync()[0]).toBeGreaterThan(0);
  });

  it('constants reach the function but get no gradient, and nothing leaks', () => {
    const c = randomTensor([6, 4], 9);
    const step = () =>
      tf.tidy(() => {
        const g = tf.grad((xi: tf.Tensor) => tf.sum(checkpoint((a, k) => tf.mul(block(a!), k!), [xi], [w], [c])))(x);
        g.dataSync();
      });
    step();
    const before = tf.memory().numTensors;
    step();
    step();
    expect(tf.memory().numTensors).toBe(before);
  });
});
