import * as tf from '@tensorflow/tfjs-core';
import { stopGradient } from '../ops';

/**
 * Throws unless `pred` and `target` are NHWC tensors of the same shape (and, with `rgb`, 3 channels).
 * The reference silently returns 0 on a shape mismatch; a loud error is more useful in a library.
 */
export function assertImagePair(loss: string, pred: tf.Tensor, target: tf.Tensor, rgb = false): void {
  for (const [name, t] of [
    ['pred', pred],
    ['target', target],
  ] as const) {
    if (!(t instanceof tf.Tensor)) throw new TypeError(`${loss}: ${name} must be a tf.Tensor`);
    if (t.rank !== 4) throw new Error(`${loss}: ${name} must be an NHWC tensor [B, H, W, C], got shape [${t.shape}]`);
    if (rgb && t.shape[3] !== 3) throw new Error(`${loss}: ${name} must have 3 (RGB) channels, got shape [${t.shape}]`);
  }
  if (!tf.util.arraysEqual(pred.shape, target.shape)) {
    throw new Error(`${loss}: pred [${pred.shape}] and target [${target.shape}] must have the same shape`);
  }
}

/**
 * The reference's "loss is NaN/Inf -> 0" guards, without a host sync: 0 when `value` is not finite or `probe` holds a
 * NaN, else `value`. `probe` is a quantity taken before the loss's clamps: torch's clamp propagates NaN (so the
 * reference sees a NaN loss) but tfjs-wasm's clipByValue/maximum turn NaN into a bound, which would otherwise give a
 * finite, wrong loss there. The tests run on stop-gradient copies (comparisons have no gradient in tfjs).
 */
export function zeroIfNaN(value: tf.Scalar, probe: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const v = stopGradient(value);
    const bad = tf.logicalOr(tf.logicalOr(tf.isNaN(v), tf.isInf(v)), tf.any(tf.isNaN(stopGradient(probe))));
    return tf.where(bad, tf.zerosLike(value), value) as tf.Scalar;
  });
}
