// Numeric-gradient check of every backend-safe op on the current backend (runs once per vitest project).
// Prints a table of the measured max |analytic - numeric| per op.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { stopGradient } from '../../src/ops';
import { gradCheck, maxAbsDiff, randomTensor } from '../helpers/gradcheck';
import { OP_CASES } from './cases';

const table: { op: string; maxAbsError: number; eps: number }[] = [];

afterAll(() => {
  const w = Math.max(...table.map((r) => r.op.length));
  const lines = table.map((r) => `${r.op.padEnd(w)}  ${r.maxAbsError.toExponential(2)}  (eps ${r.eps})`);
  console.log(`max |analytic - numeric| gradient error on ${tf.getBackend()}\n${lines.join('\n')}`);
});

describe(`numeric gradient checks (${tf.getBackend()})`, () => {
  it('stopGradient: identity forward, no gradient through it', () => {
    const x = randomTensor([3, 4], 3);
    // d/dx [x * stop(x)] = stop(x) = x, not 2x.
    const [g] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(a, stopGradient(a))))([x]);
    const err = maxAbsDiff(g!, x);
    table.push({ op: 'stopGradient (vs exact)', maxAbsError: err, eps: 0 });
    expect(err).toBe(0);
    const y = stopGradient(x);
    expect(maxAbsDiff(y, x)).toBe(0);
    tf.dispose([x, g!, y]);
  });

  it('stopGradient lets gradient-less ops (topk, equal, logicalAnd, argMax, oneHot) sit downstream', () => {
    const x = randomTensor([3, 5], 4);
    const [g] = tf.grads((a: tf.Tensor) => {
      const c = stopGradient(a);
      const mask = tf.cast(tf.logicalAnd(tf.equal(c, c), tf.greater(c, 0)), 'float32');
      const hot = tf.cast(tf.oneHot(tf.argMax(c, 1), 5), 'float32');
      const { indices } = tf.topk(c, 2);
      const top = tf.cast(tf.sum(tf.oneHot(indices, 5), 1), 'float32');
      return tf.sum(tf.mul(a, tf.addN([mask, hot, top])));
    })([x]);
    const expected = tf.tidy(() => {
      const top = tf.sum(tf.oneHot(tf.topk(x, 2).indices, 5), 1);
      return tf.cast(tf.addN([tf.cast(tf.greater(x, 0), 'int32'), tf.oneHot(tf.argMax(x, 1), 5), top]), 'float32');
    });
    expect(maxAbsDiff(g!, expected)).toBe(0);
    tf.dispose([x, g!, expected]);
  });

  it('stopGradient: a variable reached only through it gets no gradient (optimizers skip it), like torch detach', () => {
    const frozen = tf.variable(randomTensor([4], 5), true, 'sg_frozen');
    const live = tf.variable(randomTensor([4], 6), true, 'sg_live');
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(stopGradient(frozen), live)));
    expect(Object.keys(grads)).toEqual(['sg_live']);
    expect(maxAbsDiff(grads.sg_live!, frozen)).toBe(0);
    tf.dispose([value, grads.sg_live!, frozen, live]);
  });

  for (const c of OP_CASES) {
    it(c.name, () => {
      const inputs = c.inputs();
      const { maxAbsError } = gradCheck(c.f, inputs, { eps: c.eps });
      const err = Math.max(...maxAbsError);
      table.push({ op: c.name, maxAbsError: err, eps: c.eps });
      expect(err).toBeLessThan(c.tol);
      tf.dispose(inputs);
    });
  }
});
