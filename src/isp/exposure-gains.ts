// Applies white-point gains (auto-exposure.ts) to a batch of images on the tfjs backend: the same sRGB decoding, gain
// and clipping as autoExposeImage, in float32.
import * as tf from '@tensorflow/tfjs-core';

/** `images` [B, H, W, 3] (sRGB in [0, 1]) with image i multiplied by `gains[i]` in linear light, clipped to [0, 1]. */
export function applyExposureGains(images: tf.Tensor4D, gains: readonly number[]): tf.Tensor4D {
  if (gains.length !== images.shape[0])
    throw new Error(`applyExposureGains: ${gains.length} gains for a batch of ${images.shape[0]} images`);
  if (gains.every((g) => g === 1)) return images.clone();
  return tf.tidy(() => {
    const x = images;
    const linear = tf.where(tf.lessEqual(x, 0.04045), tf.div(x, 12.92), tf.pow(tf.div(tf.add(x, 0.055), 1.055), 2.4));
    const y = tf.minimum(tf.mul(linear, tf.tensor4d(gains as number[], [gains.length, 1, 1, 1])), 1);
    const srgb = tf.where(
      tf.lessEqual(y, 0.0031308),
      tf.mul(y, 12.92),
      tf.sub(tf.mul(tf.pow(y, 1 / 2.4), 1.055), 0.055),
    );
    return tf.clipByValue(srgb, 0, 1) as tf.Tensor4D;
  });
}
