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
 * The SSIM map of NHWC images [B, H, W, C]: the five statistics are stacked on the channel axis so the Gaussian runs
 * once (a depthwise separable filter) and split back with contiguous-row copies.
 */
function ssimChannels(x: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor4D {
  const kernel = gaussianKernel1d(SSIM_LOSS_WINDOW, SSIM_LOSS_SIGMA);
  const stacked = tf.concat([x, y, tf.square(x), tf.square(y), tf.mul(x, y)], 3) as tf.Tensor4D;
  const [mu1, mu2, e11, e22, e12] = tf.split(separableFilterReflect(stacked, kernel), 5, 3) as tf.Tensor4D[];
  const mu11 = tf.square(mu1!);
  const mu22 = tf.square(mu2!);
  const mu12 = tf.mul(mu1!, mu2!);
  const s11 = tf.sub(e11!, mu11);
  const s22 = tf.sub(e22!, mu22);
  const s12 = tf.sub(e12!, mu12);
  const num = tf.mul(tf.add(tf.mul(mu12, 2), C1), tf.add(tf.mul(s12, 2), C2));
  const den = tf.mul(tf.add(tf.add(mu11, mu22), C1), tf.add(tf.add(s11, s22), C2));
  return tf.div(num, tf.add(den, EPS)) as tf.Tensor4D;
}

/**
 * The kornia-style SSIM map [B, H, W, C]: Gaussian window 11, sigma 1.5, reflect padding, C1 = 1e-4, C2 = 9e-4,
 * +1e-12 in the denominator (not clamped).
 */
export function ssimMap(pred: tf.Tensor4D, target: tf.Tensor4D): tf.Tensor4D {
  assertImagePair('ssimMap', pred, target);
  return tf.tidy(() => ssimChannels(pred, target));
}

/** The reference's SSIM loss: 1 - mean(clamp(ssimMap, 0, 1)); NaN/Inf -> 0. Needs H, W > 5. */
export function ssimLoss(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  assertImagePair('ssimLoss', pred, target);
  return tf.tidy(() => {
    const map = ssimChannels(pred as tf.Tensor4D, target as tf.Tensor4D);
    return zeroIfNaN(tf.sub(1, meanAll(tf.clipByValue(map, 0, 1))) as tf.Scalar, map);
  });
}
