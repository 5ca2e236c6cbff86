import * as tf from '@tensorflow/tfjs-core';
import { checkpoint, gatherRows, matMul, scatterAddRows } from '../../ops';
import { int32, perExpert, planDispatch } from './dispatch';
import { expertFfn, type ExpertLinear } from './expert-stack';
import type { Route } from './router';

export interface MoeExperts {
  numExperts: number;
  k: number;
  /** The expert FFN stack (GELU between its layers). */
  layers: readonly ExpertLinear[];
  /** The per-expert output projection applied right after the FFN (no activation between), or empty. */
  outputLayers: readonly ExpertLinear[];
  mode: 'sum' | 'slots';
}

function fullExpert(x: tf.Tensor2D, ex: MoeExperts, e: number): tf.Tensor2D {
  const h = expertFfn(x, ex.layers, e);
  return ex.outputLayers.length > 0 ? expertFfn(h, ex.outputLayers, e) : h;
}

/**
 * fullExpert with its hidden activations recomputed in the backward pass instead of held by the tape (the expert
 * FFNs' 256/512-wide hidden layers are most of a training step's memory; see ops/checkpoint).
 */
function checkpointedExpert(x: tf.Tensor2D, ex: MoeExperts, e: number): tf.Tensor2D {
  const vars = [...ex.layers, ...ex.outputLayers].flatMap((l) => [l.weight, ...(l.bias ? [l.bias] : [])]);
  return checkpoint(
    (rows) => fullExpert(rows as tf.Tensor2D, ex, e),
    [x],
    vars.map((v) => v.read() as tf.Variable),
  );
}

/**
 * Sparse top-k dispatch of tokens x [N, d]: gather each expert's routed tokens, run only those rows through that
 * expert, weight by the gate and scatter-add back (mode 'sum': [N, out]) or into the token's slot ('slots':
 * [N * k, out], slot = position in the route's slot order). Cost grows with k/E, not E.
 */
export function sparseMoe(x: tf.Tensor2D, r: Route, ex: MoeExperts): tf.Tensor2D {
  const n = x.shape[0];
  if (!r.indices) throw new Error('sparseMoe needs a routing decided on the host (Route.indices)');
  const plan = planDispatch(r.indices, ex.k, ex.numExperts);
  const tokens = int32(plan.tokens);
  const order = int32(plan.order);
  const outputs = perExpert(gatherRows(x, tokens), plan.counts, (rows, e) => checkpointedExpert(rows, ex, e));
  const gate = gatherRows(tf.reshape(r.gates, [n * ex.k, 1]) as tf.Tensor2D, order);
  const weighted = tf.mul(outputs, gate) as tf.Tensor2D;
  return ex.mode === 'sum' ? scatterAddRows(weighted, tokens, n) : scatterAddRows(weighted, order, n * ex.k);
}

/**
 * The same result computed densely: every expert on every token, masked by the gates. Costs E full expert
 * passes; kept for tests and the sparse-vs-dense benchmark.
 */
export function denseMoe(x: tf.Tensor2D, r: Route, ex: MoeExperts): tf.Tensor2D {
  const n = x.shape[0];
  const all = tf.stack(
    Array.from({ length: ex.numExperts }, (_, e) => fullExpert(x, ex, e)),
    1,
  ) as tf.Tensor3D; // [N, E, out]
  if (ex.mode === 'sum') return tf.sum(tf.mul(all, tf.expandDims(r.denseGates, 2)), 1) as tf.Tensor2D;
  const slotWeights = tf.mul(r.slotOneHot, tf.expandDims(r.gates, 2)) as tf.Tensor3D; // [N, k, E]
  return tf.reshape(matMul(slotWeights, all), [n * ex.k, all.shape[2]]) as tf.Tensor2D;
}
