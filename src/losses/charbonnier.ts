import * as tf from '@tensorflow/tfjs-core';
import { meanAll } from './reduce';
import { assertImagePair } from './checks';

/** Charbonnier (smooth L1) loss: mean(sqrt((pred - target)^2 + eps^2)), as the reference's `CharbonnierLoss`. */
export function charbonnierLoss(pred: tf.Tensor, target: tf.Tensor, eps = 1e-3): tf.Scalar {
  assertImagePair('charbonnierLoss', pred, target);
  if (!(eps > 0)) throw new Error(`charbonnierLoss: eps must be > 0, got ${eps}`);
  return tf.tidy(() => {
    const d = tf.sub(pred, target);
    return meanAll(tf.sqrt(tf.add(tf.square(d), eps * eps))) as tf.Scalar;
  });
}
