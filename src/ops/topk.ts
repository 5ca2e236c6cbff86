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
  if (scores.rank !== 2) throw new Error(`topkMask: scores must be [N, E], got shape [${scores.shape}]`);
  const e = scores.shape[1];
  if (!Number.isInteger(k) || k < 1 || k > e) throw new Error(`topkMask: k must be an integer in [1, ${e}], got ${k}`);
  return tf.tidy(() => {
    const { indices } = tf.topk(stopGradient(scores), k, true);
    return { indices: indices as tf.Tensor2D, mask: indicesToMask(indices as tf.Tensor2D, e) };
  });
}

/** [N, k] int32 expert ids (distinct per row) -> [N, E] float32 0/1 mask (no gradient). */
export function indicesToMask(indices: tf.Tensor2D, numExperts: number): tf.Tensor2D {
  if (indices.rank !== 2 || indices.dtype !== 'int32') {
    throw new Error(`indicesToMask: indices must be a [N, k] int32 tensor, got ${indices.dtype} [${indices.shape}]`);
  }
  // oneHot in int32, then cast: the wasm backend's float32 oneHot writes integer bits (1 reads as 1.4e-45).
  return tf.tidy(() => tf.cast(tf.sum(tf.oneHot(indices, numExperts), 1), 'float32') as tf.Tensor2D);
}
