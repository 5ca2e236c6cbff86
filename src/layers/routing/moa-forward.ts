import * as tf from '@tensorflow/tfjs-core';
import { gatherRows, matMul, scatterAddRows } from '../../ops';
import { int32, perExpert, planDispatch } from './dispatch';
import { expertSlice } from './expert-stack';
import { positionBiasScores } from './position-bias';
import type { Route } from './router';

export interface MoaParams {
  numExperts: number;
  k: number;
  headDim: number;
  /** [E, d, headDim] query experts (no bias). */
  queryExperts: tf.Tensor;
  /** [E, headDim, d] output experts (no bias). */
  outputExperts: tf.Tensor;
  positionBias: { weight: tf.Tensor2D; layout: 'reference' | 'aligned' } | null;
  /** Attention-probability dropout rate (0 = off). */
  dropout: number;
  dropoutSeed?: number;
}

/**
 * Row of routed entry p = n * k + s (token n = g * Tq + t of window g) in the attention layout
 * [G, k, Tq] -> (g * k + s) * Tq + t, so the k heads of a window are contiguous and no transpose is needed.
 */
function attentionRows(order: Int32Array, k: number, tq: number): Int32Array {
  const rows = new Int32Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const p = order[i]!;
    const n = Math.floor(p / k);
    const s = p - n * k;
    const g = Math.floor(n / tq);
    rows[i] = (g * k + s) * tq + (n - g * tq);
  }
  return rows;
}

/**
 * Asymmetric Mixture-of-Attention (reference MoA.py, §3) on query [B, P, Tq, d] and the projected key/value
 * [B, P, Tk, headDim] (the layer applies the shared K/V projections): each routed (token, slot) gets q = (x @ Wq[e]) * headDim^-0.5 through its expert only; scores against the shared
 * single-head K of the same window, optional position bias, softmax over the Tk source tokens, dropout, a = p @ V;
 * out = Σ_s gate_s (a_s @ Wo[e_s]). Returns [B, P, Tq, d].
 */
export function mixtureOfAttention(
  query: tf.Tensor4D,
  projectedKey: tf.Tensor4D,
  projectedValue: tf.Tensor4D,
  r: Route,
  w: MoaParams,
): tf.Tensor4D {
  const [b, p, tq, d] = query.shape;
  const tk = projectedKey.shape[2];
  const { k, headDim } = w;
  const g = b * p;
  const n = g * tq;
  const plan = planDispatch(r.indices, k, w.numExperts);
  const tokens = int32(plan.tokens);
  const rows = int32(attentionRows(plan.order, k, tq));

  const grouped = gatherRows(tf.reshape(query, [n, d]) as tf.Tensor2D, tokens);
  const qGrouped = perExpert(grouped, plan.counts, (x, e) => matMul(x, expertSlice(w.queryExperts, e)) as tf.Tensor2D);
  const q = tf.reshape(tf.mul(scatterAddRows(qGrouped, rows, n * k), headDim ** -0.5), [g, k * tq, headDim]);
  const kk = tf.reshape(projectedKey, [g, tk, headDim]) as tf.Tensor3D;
  const vv = tf.reshape(projectedValue, [g, tk, headDim]) as tf.Tensor3D;

  let scores: tf.Tensor = matMul(q as tf.Tensor3D, kk, false, true); // [G, k*Tq, Tk]
  if (w.positionBias) {
    const bias = positionBiasScores(w.positionBias.weight, w.positionBias.layout, tk, headDim);
    scores = tf.reshape(tf.add(tf.reshape(scores, [g, k, tq, tk]), bias), [g, k * tq, tk]);
  }
  let probs = tf.softmax(scores);
  if (w.dropout > 0) probs = tf.dropout(probs, w.dropout, undefined, w.dropoutSeed);
  const attended = tf.reshape(matMul(probs as tf.Tensor3D, vv), [n * k, headDim]) as tf.Tensor2D;

  const aGrouped = gatherRows(attended, rows);
  const out = perExpert(aGrouped, plan.counts, (x, e) => matMul(x, expertSlice(w.outputExperts, e)) as tf.Tensor2D);
  const gate = gatherRows(tf.reshape(r.gates, [n * k, 1]) as tf.Tensor2D, int32(plan.order));
  const y = scatterAddRows(tf.mul(out, gate) as tf.Tensor2D, tokens, n);
  return tf.reshape(y, [b, p, tq, d]) as tf.Tensor4D;
}
