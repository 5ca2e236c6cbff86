// ispGainMap: golden values (the log ratio of mean intensities, floored), its gradient, clear errors.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ispGainMap } from '../../src/index';
import { gradCheck, randomTensor } from '../helpers/gradcheck';

describe('ispGainMap', () => {
  it('is log(mean out / mean in) per pixel, with both means floored at 0.01', () => {
    // Pixel 1: mean 0.1 -> 0.4 (4x). Pixel 2: black -> 0.02 (floor 0.01: 2x). Pixel 3: kept. Pixel 4: darkened 2x.
    const input = tf.tensor4d([0.1, 0.1, 0.1, 0, 0, 0, 0.5, 0.2, 0.8, 0.3, 0.3, 0.6], [1, 2, 2, 3]);
    const output = tf.tensor4d([0.2, 0.4, 0.6, 0.02, 0.02, 0.02, 0.5, 0.2, 0.8, 0.2, 0.2, 0.2], [1, 2, 2, 3]);
    const gain = ispGainMap(input, output);
    expect(gain.shape).toEqual([1, 2, 2, 1]);
    const want = [Math.log(4), Math.log(2), 0, Math.log(0.2 / 0.4)];
    Array.from(gain.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    tf.dispose([input, output, gain]);
  });

  it('has the gradient of its numeric differences', () => {
    const input = randomTensor([1, 3, 2, 3], 5, 0.05, 0.5);
    const output = randomTensor([1, 3, 2, 3], 6, 0.1, 0.9);
    const check = gradCheck((a, b) => ispGainMap(a as tf.Tensor4D, b as tf.Tensor4D), [input, output], { eps: 1e-3 });
    expect(Math.max(...check.maxRelError)).toBeLessThan(2e-2);
    tf.dispose([input, output]);
  });

  it('names the bad shapes', () => {
    const a = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const b = tf.zeros([1, 2, 3, 3]) as tf.Tensor4D;
    expect(() => ispGainMap(a, b)).toThrow(
      /ispGainMap: input and output must both be \[B, H, W, 3\].*\[1,2,2,3\] and \[1,2,3,3\]/,
    );
    tf.dispose([a, b]);
  });
});
