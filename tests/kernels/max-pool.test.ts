// The one-pass 2x2 max-pool gradient against a plain JavaScript reference, and PyTorch's tie rule. (Not against
// tfjs's wasm MaxPoolGrad: in tfjs 4.22 it drops the gradient of every window whose maximum is negative.)
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MAX_POOL_2X2_GRAD_KERNEL } from '../../src/kernels/max-pool';
import { maxPool2x2 } from '../../src/ops';
import { randomTensor } from '../helpers/gradcheck';

/** d/dx of sum(maxPool(x) * dy), first maximum of each window in row-major order. */
function referenceGrad(x: tf.Tensor4D, dy: tf.Tensor): number[] {
  const [b, h, w, c] = x.shape;
  const xv = x.arraySync();
  const dv = dy.arraySync() as number[][][][];
  const dx = xv.map((r) => r.map((p) => p.map((q) => q.map(() => 0))));
  for (let n = 0; n < b; n++)
    for (let i = 0; i < h >> 1; i++)
      for (let j = 0; j < w >> 1; j++)
        for (let k = 0; k < c; k++) {
          let best = [2 * i, 2 * j];
          for (const [di, dj] of [
            [0, 1],
            [1, 0],
            [1, 1],
          ]) {
            if (xv[n]![2 * i + di!]![2 * j + dj!]![k]! > xv[n]![best[0]!]![best[1]!]![k]!)
              best = [2 * i + di!, 2 * j + dj!];
          }
          dx[n]![best[0]!]![best[1]!]![k] = dv[n]![i]![j]![k]!;
        }
  return dx.flat(3);
}

describe(`maxPool2x2 gradient kernel (${tf.getBackend()})`, () => {
  it('is registered and matches a JavaScript reference, negative windows included', () => {
    expect(tf.getKernel(MAX_POOL_2X2_GRAD_KERNEL, tf.getBackend())).toBeDefined();
    for (const shape of [
      [1, 8, 8, 64],
      [2, 9, 6, 3],
      [3, 4, 5, 1],
    ] as [number, number, number, number][]) {
      const x = randomTensor(shape, shape[3]) as tf.Tensor4D;
      const dy = randomTensor([shape[0], shape[1] >> 1, shape[2] >> 1, shape[3]], 7);
      const ours = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(maxPool2x2(a as tf.Tensor4D), dy)))(x);
      expect(Array.from(ours.dataSync())).toEqual(referenceGrad(x, dy));
      tf.dispose([x, dy, ours]);
    }
  });

  it('sends a tie to the first maximum in row-major order (PyTorch)', () => {
    // One window [[5, 5], [5, 1]] and one [[0, 2], [2, 2]].
    const x = tf.tensor4d([5, 5, 0, 2, 5, 1, 2, 2], [1, 2, 4, 1]);
    const g = tf.grad((a: tf.Tensor) =>
      tf.sum(tf.mul(maxPool2x2(a as tf.Tensor4D), tf.tensor4d([3, 7], [1, 1, 2, 1]))),
    )(x);
    expect(Array.from(g.dataSync())).toEqual([3, 0, 0, 7, 0, 0, 0, 0]);
    tf.dispose([x, g]);
  });
});
