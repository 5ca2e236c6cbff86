import * as tf from '@tensorflow/tfjs-core';

/** Floor of the mean intensities in ispGainMap: keeps the ratio finite and bounded on black pixels. */
const GAIN_FLOOR = 0.01;

/**
 * How much the ISP amplified each pixel, as a map a denoiser can be conditioned on: log of the ratio of the mean
 * channel intensity after the ISP to that before, with both floored at 0.01. input and output [B, H, W, 3] in
 * [0, 1] -> [B, H, W, 1]: 0 where the ISP kept the brightness, log(16) ≈ 2.8 where it brightened 4 stops. Noise in
 * the input is multiplied by about the same gain, so this is also the log of the noise amplification.
 */
export function ispGainMap(input: tf.Tensor4D, output: tf.Tensor4D): tf.Tensor4D {
  if (input.rank !== 4 || input.shape[3] !== 3 || !tf.util.arraysEqual(input.shape, output.shape))
    throw new Error(
      `ispGainMap: input and output must both be [B, H, W, 3] of the same shape, got [${input.shape}] and [${output.shape}]`,
    );
  return tf.tidy(() => {
    const mean = (x: tf.Tensor4D) => tf.maximum(tf.mean(x, 3, true), GAIN_FLOOR);
    return tf.log(tf.div(mean(output), mean(input))) as tf.Tensor4D;
  });
}
