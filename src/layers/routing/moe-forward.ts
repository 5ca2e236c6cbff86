import * as tf from '@tensorflow/tfjs-core';
import { checkpoint, gatherRows, matMul, scatterAddRows } from '../../ops';
import { int32, perExpert, planDispatch } from './dispatch';
import type { Expert } from './experts';
import type { Route } from './router';

/** How routed expert outputs are combined: see {@link sparseDispatch}. */
export interface DispatchOptions {
  numExperts: number;
  /** Experts per token (the route's k). */
  k: number;
  /** 'sum': gate-weighted sum over a token's k experts, [N, out]. 'slots': one gate-weighted row per slot, [N * k, out]. */
  mode: 'sum' | 'slots';
}

/** One expert applied to its rows [M, in] -> [M, out]. */
export type ExpertFn = (rows: tf.Tensor2D, expert: number) => tf.Tensor2D;

/**
 * The sparse MoE dispatch and combine for tokens x [N, d] routed by `r` (see route): gather each expert's routed
 * tokens (ops.gatherRows), run only those rows through `expertFn(rows, e)`, weight each output row by its gate and
 * scatter-add it back to its token ('sum': [N, out]) or its slot ('slots': [N * k, out], slot = position in the
 * route's slot order) with ops.scatterAddRows. Cost grows with k/E, not E. Needs a routing decided on the host
 * (Route.indices); call inside a tidy.
 */
export function sparseDispatch(x: tf.Tensor2D, r: Route, expertFn: ExpertFn, options: DispatchOptions): tf.Tensor2D {
  const n = x.shape[0];
  if (!r.indices) throw new Error('sparseDispatch needs a routing decided on the host (Route.indices)');
  const plan = planDispatch(r.indices, options.k, options.numExperts);
  const tokens = int32(plan.tokens);
  const order = int32(plan.order);
  const outputs = perExpert(gatherRows(x, tokens), plan.counts, expertFn);
  const gate = gatherRows(tf.reshape(r.gates, [n * options.k, 1]) as tf.Tensor2D, order);
  const weighted = tf.mul(outputs, gate) as tf.Tensor2D;
  return options.mode === 'sum' ? scatterAddRows(weighted, tokens, n) : scatterAddRows(weighted, order, n * options.k);
}

/**
 * The same result as {@link sparseDispatch} computed densely with tensor ops only: every expert on every token,
 * masked by the gates. Costs E full expert passes; works with a routing decided on the device (no Route.indices).
 */
export function denseDispatch(x: tf.Tensor2D, r: Route, expertFn: ExpertFn, options: DispatchOptions): tf.Tensor2D {
  const n = x.shape[0];
  const all = tf.stack(
    Array.from({ length: options.numExperts }, (_, e) => expertFn(x, e)),
    1,
  ) as tf.Tensor3D; // [N, E, out]
  if (options.mode === 'sum') return tf.sum(tf.mul(all, tf.expandDims(r.denseGates, 2)), 1) as tf.Tensor2D;
  const slotWeights = tf.mul(r.slotOneHot, tf.expandDims(r.gates, 2)) as tf.Tensor3D; // [N, k, E]
  return tf.reshape(matMul(slotWeights, all), [n * options.k, all.shape[2]]) as tf.Tensor2D;
}

/**
 * `expert.forward` with its hidden activations recomputed in the backward pass instead of held by the tape (the expert
 * FFNs' 256/512-wide hidden layers are most of a training step's memory; see ops/checkpoint).
 */
export function checkpointedExpert(expert: Expert): ExpertFn {
  return (rows, e) =>
    checkpoint(
      (r) => expert.forward(r as tf.Tensor2D, e),
      [rows],
      expert.weights().map((v) => v.read() as tf.Variable),
    );
}

export interface MoeExperts extends DispatchOptions {
  expert: Expert;
}

/** MixtureOfExperts' sparse path: {@link sparseDispatch} with checkpointed experts. */
export function sparseMoe(x: tf.Tensor2D, r: Route, ex: MoeExperts): tf.Tensor2D {
  return sparseDispatch(x, r, checkpointedExpert(ex.expert), ex);
}

/** MixtureOfExperts' dense path (tests, benchmarks, routing on the device). */
export function denseMoe(x: tf.Tensor2D, r: Route, ex: MoeExperts): tf.Tensor2D {
  return denseDispatch(x, r, (rows, e) => ex.expert.forward(rows, e), ex);
}
