import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { layerNorm } from '../../src/ops';
import { maxAbsDiff, randomTensor, tensorLeak } from '../helpers/gradcheck';

/** LayerNorm composed from tfjs ops (tfjs's own gradients), the reference for the kernels. */
function composed(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

// d = 128 and 16 run the SIMD kernel on wasm (rows of whole vectors); 6 and 1 the JavaScript one.
const CASES: [number[], number][] = [
  [[2, 5, 128], 1e-5],
  [[37, 16], 1e-5],
  [[3, 4, 6], 0.1],
  [[9, 1], 1e-5],
];

describe(`layerNorm kernels (${tf.getBackend()})`, () => {
  it('match the composed layer norm: value and the x, gamma, beta gradients', () => {
    for (const [shape, eps] of CASES) {
      const d = shape[shape.length - 1]!;
      const x = tf.add(tf.mul(randomTensor(shape, 1), 3), 0.5);
      const gamma = randomTensor([d], 2) as tf.Tensor1D;
      const beta = randomTensor([d], 3) as tf.Tensor1D;
      const dy = randomTensor(shape, 4);
      const loss = (f: typeof composed) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(f(a, g, b, eps), dy)) as tf.Scalar;
      const kernel = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, e: number) =>
        layerNorm(a, g as tf.Tensor1D, b as tf.Tensor1D, e);
      const y = kernel(x, gamma, beta, eps);
      const want = composed(x, gamma, beta, eps);
      expect(maxAbsDiff(y, want), `${shape}`).toBeLessThan(2e-5);
      const got = tf.grads(loss(kernel))([x, gamma, beta]);
      const ref = tf.grads(loss(composed))([x, gamma, beta]);
      for (let i = 0; i < 3; i++) {
        const scale = Math.max(
          1,
          tf.tidy(() => tf.max(tf.abs(ref[i]!)).dataSync()[0]!),
        );
        expect(maxAbsDiff(got[i]!, ref[i]!) / scale, `${['dx', 'dgamma', 'dbeta'][i]} ${shape}`).toBeLessThan(2e-5);
      }
      tf.dispose([x, gamma, beta, dy, y, want, ...got, ...ref]);
    }
  });

  it('uses eps (a constant row normalises to beta) and refuses gamma/beta of the wrong length', () => {
    const x = tf.fill([2, 8], 3);
    const gamma = tf.ones([8]) as tf.Tensor1D;
    const beta = tf.linspace(0, 7, 8) as tf.Tensor1D;
    const y = layerNorm(x, gamma, beta);
    expect(Array.from(y.dataSync())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7]);
    expect(() => layerNorm(x, tf.ones([4]) as tf.Tensor1D, beta)).toThrow(/gamma must be \[8\]/);
    expect(tensorLeak(() => tf.dispose(layerNorm(x, gamma, beta)))).toBe(0);
    tf.dispose([x, gamma, beta, y]);
  });
});
