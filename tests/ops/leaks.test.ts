// No op leaves tensors behind: the tensor count is unchanged after a warm forward + gradient call.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { indicesToMask, stopGradient, topkMask } from '../../src/ops';
import { randomTensor, tensorLeak } from '../helpers/gradcheck';
import { distinctScores, OP_CASES } from './cases';

describe(`tensor leaks (${tf.getBackend()})`, () => {
  for (const c of OP_CASES) {
    it(`${c.name}: forward + gradient`, () => {
      const inputs = c.inputs();
      const leaked = tensorLeak(() => {
        const y = c.f(...inputs);
        const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(c.f(...xs)))(inputs);
        tf.dispose([y, ...grads]);
      });
      expect(leaked).toBe(0);
      tf.dispose(inputs);
    });
  }

  it('stopGradient, topkMask and indicesToMask (outside any tidy)', () => {
    const s = distinctScores(3, 5);
    const x = randomTensor([3, 5], 9);
    const leaked = tensorLeak(() => {
      const { indices, mask } = topkMask(s, 2);
      const m = indicesToMask(indices, 5);
      const y = stopGradient(x);
      const [g] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(a, stopGradient(a))))([x]);
      tf.dispose([indices, mask, m, y, g!]);
    });
    expect(leaked).toBe(0);
    tf.dispose([s, x]);
  });
});
