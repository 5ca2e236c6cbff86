import * as tf from '@tensorflow/tfjs-core';
import { stopGradient } from './gradient';

export interface TopKSelection {
  /** Chosen expert per token and slot, [N, k] int32, slot 0 = largest. */
  indices: tf.Tensor2D;
  /** 1 where an expert is chosen, [N, E] float32; carries no gradient. */
  mask: tf.Tensor2D;
}

/**
 * The top-k routing choice of `scores` [N, E] without a TopK gradient (tfjs has none): the selection is a constant,
 * gradients reach the scores only through whatever the caller multiplies by `mask`.
 */
export function topkMask(scores: tf.Tensor2D, k: number): TopKSelection {
  const e = scores.shape[1];
  if (!Number.isInteger(k) || k < 1 || k > e) throw new Error(`topkMask: k must be an integer in [1, ${e}], got ${k}`);
  return tf.tidy(() => {
    const { indices } = tf.topk(stopGradient(scores), k, true);
    return { indices: indices as tf.Tensor2D, mask: indicesToMask(indices as tf.Tensor2D, e) };
  });
}

/** [N, k] int32 expert ids -> [N, E] float32 0/1 mask (no gradient). */
export function indicesToMask(indices: tf.Tensor2D, numExperts: number): tf.Tensor2D {
  return tf.tidy(() => tf.sum(tf.oneHot(indices, numExperts, 1, 0, 'float32'), 1) as tf.Tensor2D);
}
