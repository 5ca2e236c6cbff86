import * as tf from '@tensorflow/tfjs-core';
import { meanAll } from './reduce';
import { assertImagePair, zeroIfNaN } from './checks';

/** PSNR is clamped to this range before it becomes a loss (as the reference). */
export const PSNR_LOSS_CAP_DB = 50;

/**
 * Batch PSNR in dB for images in [0, 1]: 10·log10(1 / MSE) with the MSE over the whole batch (one scalar, as kornia's
 * `metrics.psnr`). Identical inputs give +Infinity. Differentiable. For evaluation use `psnrMetric` (per image, [0,255]).
 */
export function psnrValue(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  assertImagePair('psnrValue', pred, target);
  return tf.tidy(() => {
    const mse = meanAll(tf.squaredDifference(pred, target));
    return tf.mul(tf.neg(tf.log(mse)), 10 / Math.LN10) as tf.Scalar;
  });
}

/**
 * The reference's PSNR loss: psnr = clamp(batch PSNR, 0, 50); loss = max(0, (50 - psnr) / 50); NaN -> 0.
 * The MSE is floored at 1e-10 before the log. That changes no value (any MSE below 1e-5 already clamps to 50 dB) but
 * keeps the gradient at 0 instead of NaN when pred equals target.
 */
export function psnrLoss(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  assertImagePair('psnrLoss', pred, target);
  return tf.tidy(() => {
    const mse = meanAll(tf.squaredDifference(pred, target));
    const psnr = tf.clipByValue(tf.mul(tf.neg(tf.log(tf.maximum(mse, 1e-10))), 10 / Math.LN10), 0, PSNR_LOSS_CAP_DB);
    const loss = tf.relu(tf.div(tf.sub(PSNR_LOSS_CAP_DB, psnr), PSNR_LOSS_CAP_DB)) as tf.Scalar;
    return zeroIfNaN(loss, mse);
  });
}
