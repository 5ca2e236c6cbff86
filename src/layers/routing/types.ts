import type * as tf from '@tensorflow/tfjs-core';

/** Weights of the three load-balancing terms in a layer's auxiliary loss. */
export interface AuxLossWeights {
  /** Squared coefficient of variation of the per-expert gate mass. Reference 0.05. */
  cv: number;
  /** Switch-Transformer balance term (prob mass x gate mass). Reference 0.01. */
  switch: number;
  /** Router z-loss, mean logsumexp(logits)^2. Reference 0.001. */
  z: number;
}

/** The reference weights: layer aux = 0.05 cv + 0.01 switch + 0.001 z. */
export const DEFAULT_AUX_WEIGHTS: Readonly<AuxLossWeights> = Object.freeze({ cv: 0.05, switch: 0.01, z: 0.001 });

/** The auxiliary losses of one routing layer call: each term unweighted, and the weighted total. */
export interface AuxLosses {
  cv: tf.Scalar;
  switch: tf.Scalar;
  z: tf.Scalar;
  /** weights.cv * cv + weights.switch * switch + weights.z * z. */
  total: tf.Scalar;
}

/**
 * Routing of one call. N = all tokens flattened in order (batch, window, token), k = slots per token.
 * Slot order: MixtureOfAttention and MixtureOfExperts 'sum' use selection order (slot 0 = most probable expert,
 * or the sampled/overridden order); MixtureOfExperts 'slots' uses ascending expert id, i.e. the output slot order.
 */
export interface RoutingDecision {
  /** [N, k] int32 expert ids. */
  indices: tf.Tensor2D;
  /** [N, k] gate of each chosen expert: prob / (sum of the chosen probs + 1e-6). */
  gates: tf.Tensor2D;
}

export function resolveAuxWeights(w: Partial<AuxLossWeights> | undefined): AuxLossWeights {
  const out = { ...DEFAULT_AUX_WEIGHTS, ...(w ?? {}) };
  for (const key of ['cv', 'switch', 'z'] as const) {
    if (!Number.isFinite(out[key]) || out[key] < 0) {
      throw new Error(`auxWeights.${key} must be a finite number >= 0, got ${out[key]}`);
    }
  }
  return out;
}
