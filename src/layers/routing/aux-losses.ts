import * as tf from '@tensorflow/tfjs-core';
import type { AuxLosses, AuxLossWeights } from './types';

/** L1 normalisation of a non-negative vector: v / max(sum v, 1e-12) (PyTorch F.normalize(p=1)). */
function l1Normalize(v: tf.Tensor1D): tf.Tensor1D {
  return tf.div(v, tf.maximum(tf.sum(v), 1e-12));
}

/**
 * The reference's load-balancing losses (each term defined below), from
 * probs [N, E] (softmax of the logits), dense gates [N, E] (renormalised chosen gates, zeros elsewhere) and the
 * logits [N, E] the softmax saw. All three terms are differentiable (gate mass, not counts).
 *  - cv = Var_unbiased(u) / (mean(u)^2 + 1e-10), u = L1norm(sum_n gates); 0 when E = 1.
 *  - switch = E * sum_e L1norm(sum_n probs)_e * u_e.
 *  - z = mean_n logsumexp(logits_n)^2.
 */
export function computeAuxLosses(
  probs: tf.Tensor2D,
  denseGates: tf.Tensor2D,
  logits: tf.Tensor2D,
  weights: AuxLossWeights,
): AuxLosses {
  const e = probs.shape[1];
  const u = l1Normalize(tf.sum(denseGates, 0));
  let cv: tf.Scalar;
  if (e === 1) {
    cv = tf.scalar(0);
  } else {
    const mean = tf.mean(u);
    const variance = tf.div(tf.sum(tf.square(tf.sub(u, mean))), e - 1);
    cv = tf.div(variance, tf.add(tf.square(mean), 1e-10));
  }
  const balance = tf.mul(tf.sum(tf.mul(l1Normalize(tf.sum(probs, 0)), u)), e) as tf.Scalar;
  const z = tf.mean(tf.square(tf.logSumExp(logits, 1))) as tf.Scalar;
  const total = tf.addN([tf.mul(cv, weights.cv), tf.mul(balance, weights.switch), tf.mul(z, weights.z)]) as tf.Scalar;
  return { cv, switch: balance, z, total };
}
