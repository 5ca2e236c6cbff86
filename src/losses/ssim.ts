import * as tf from '@tensorflow/tfjs-core';
import { meanAll } from './reduce';
import { assertImagePair, zeroIfNaN } from './checks';
import { gaussianKernel1d, separableFilterReflect } from './gaussian';

/** SSIM loss settings of the reference (kornia `metrics.ssim(window_size=11, max_val=1)`). */
export const SSIM_LOSS_WINDOW = 11;
export const SSIM_LOSS_SIGMA = 1.5;
const C1 = 0.01 ** 2;
const C2 = 0.03 ** 2;
const EPS = 1e-12;

/**
 * kornia-style SSIM map [B, H, W, C] for images in [0, 1]: Gaussian window 11 / sigma 1.5, reflect padding (so the map
 * has the input's size and includes the border), C1 = 1e-4, C2 = 9e-4, +1e-12 in the denominator. Not clamped.
 */
export function ssimMap(pred: tf.Tensor4D, target: tf.Tensor4D): tf.Tensor4D {
  assertImagePair('ssimMap', pred, target);
  const kernel = gaussianKernel1d(SSIM_LOSS_WINDOW, SSIM_LOSS_SIGMA);
  return tf.tidy(() => {
    const c = pred.shape[3];
    // Filter the five statistics in one pass by stacking them on the channel axis.
    const stacked = tf.concat([pred, target, tf.square(pred), tf.square(target), tf.mul(pred, target)], 3);
    const [mu1, mu2, e11, e22, e12] = tf.split(
      separableFilterReflect(stacked as tf.Tensor4D, kernel),
      [c, c, c, c, c],
      3,
    );
    const mu11 = tf.square(mu1!);
    const mu22 = tf.square(mu2!);
    const mu12 = tf.mul(mu1!, mu2!);
    const s11 = tf.sub(e11!, mu11);
    const s22 = tf.sub(e22!, mu22);
    const s12 = tf.sub(e12!, mu12);
    const num = tf.mul(tf.add(tf.mul(mu12, 2), C1), tf.add(tf.mul(s12, 2), C2));
    const den = tf.mul(tf.add(tf.add(mu11, mu22), C1), tf.add(tf.add(s11, s22), C2));
    return tf.div(num, tf.add(den, EPS)) as tf.Tensor4D;
  });
}

/** The reference's SSIM loss: 1 - mean(clamp(ssimMap, 0, 1)); NaN/Inf -> 0. Needs H, W > 5. */
export function ssimLoss(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  assertImagePair('ssimLoss', pred, target);
  return tf.tidy(() => {
    const map = ssimMap(pred as tf.Tensor4D, target as tf.Tensor4D);
    return zeroIfNaN(tf.sub(1, meanAll(tf.clipByValue(map, 0, 1))) as tf.Scalar, map);
  });
}
