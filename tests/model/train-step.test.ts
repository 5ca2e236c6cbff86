import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { batchGradients, trainStep } from '../../src/models';
import { randomTensor } from '../helpers/gradcheck';

describe(`batchGradients / trainStep (${tf.getBackend()})`, () => {
  const a = tf.variable(tf.scalar(2), true, 'ts_a');
  const b = tf.variable(tf.scalar(3), true, 'ts_b');
  const input = randomTensor([2, 2, 2, 3], 1, 0, 1) as tf.Tensor4D;
  const target = randomTensor([2, 2, 2, 3], 2, 0, 1) as tf.Tensor4D;
  // The first micro-batch's loss reaches only b, the second only a.
  const alternating = () => {
    let call = 0;
    return (x: tf.Tensor4D) => {
      const v = call++ % 2 === 0 ? b : a;
      const total = tf.mul(tf.sum(x), v) as tf.Scalar;
      return { total, terms: { part: total } };
    };
  };

  it('accumulates every micro-batch, also variables only an earlier one reached', () => {
    const whole = tf.tidy(() => [
      tf.sum(tf.slice(input, [0, 0, 0, 0], [1, -1, -1, -1])),
      tf.sum(tf.slice(input, [1, 0, 0, 0], [1, -1, -1, -1])),
    ]);
    const { grads, loss } = batchGradients(alternating(), [a, b], input, target, 1);
    // d/db of 0.5 * b * sum(x0) and d/da of 0.5 * a * sum(x1).
    expect(grads['ts_b']!.dataSync()[0]).toBeCloseTo(0.5 * whole[0]!.dataSync()[0]!, 5);
    expect(grads['ts_a']!.dataSync()[0]).toBeCloseTo(0.5 * whole[1]!.dataSync()[0]!, 5);
    expect(loss).toBeCloseTo(0.5 * (3 * whole[0]!.dataSync()[0]! + 2 * whole[1]!.dataSync()[0]!), 4);
    tf.dispose([...Object.values(grads), ...whole]);
  });

  it('micro-batches of one equal the whole batch for a mean loss', () => {
    const meanLoss = (x: tf.Tensor4D, y: tf.Tensor4D) => {
      const total = tf.mean(tf.square(tf.sub(tf.mul(x, a), y))) as tf.Scalar;
      return { total, terms: {} };
    };
    const whole = batchGradients(meanLoss, [a], input, target);
    const split = batchGradients(meanLoss, [a], input, target, 1);
    expect(split.loss).toBeCloseTo(whole.loss, 5);
    expect(split.grads['ts_a']!.dataSync()[0]).toBeCloseTo(whole.grads['ts_a']!.dataSync()[0]!, 5);
    tf.dispose([...Object.values(whole.grads), ...Object.values(split.grads)]);
  });

  it('rejects a non-positive clipNorm and leaves no tensors behind', () => {
    const opt = tf.train.sgd(0.1);
    expect(() => trainStep(alternating(), [a, b], opt, input, target, { clipNorm: 0 })).toThrow(/clipNorm must be > 0/);
    trainStep(alternating(), [a, b], opt, input, target, { microBatch: 1, clipNorm: 1 });
    const before = tf.memory().numTensors;
    trainStep(alternating(), [a, b], opt, input, target, { microBatch: 1, clipNorm: 1 });
    expect(tf.memory().numTensors).toBe(before);
  });
});
