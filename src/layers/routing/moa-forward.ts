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
 * Asymmetric Mixture-of-Attention (the reference's MoA) on query [B, P, Tq, d] and the projected key/value
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
  const x = tf.reshape(query, [n, d]) as tf.Tensor2D;
  const host = r.indices ? hostDispatch(r.indices, k, w.numExperts, tq) : null;
  const q = host ? routedQueriesSparse(x, r, w, host, g, tq) : routedQueriesDense(x, r, w, g, tq);
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

  const y = host ? combineSparse(attended, r, w, host, n) : combineDense(attended, r, w, g, tq);
  return tf.reshape(y, [b, p, tq, d]) as tf.Tensor4D;
}

interface HostDispatch {
  counts: Int32Array;
  order: tf.Tensor1D;
  tokens: tf.Tensor1D;
  /** Attention-layout row of each grouped entry (attentionRows). */
  rows: tf.Tensor1D;
}

function hostDispatch(indices: Int32Array, k: number, numExperts: number, tq: number): HostDispatch {
  const plan = planDispatch(indices, k, numExperts);
  return {
    counts: plan.counts,
    order: int32(plan.order),
    tokens: int32(plan.tokens),
    rows: int32(attentionRows(plan.order, k, tq)),
  };
}

/** Each routed (token, slot) through its own query expert only, in the attention layout [G, k * Tq, headDim]. */
function routedQueriesSparse(x: tf.Tensor2D, r: Route, w: MoaParams, h: HostDispatch, g: number, tq: number) {
  const { k, headDim } = w;
  const n = x.shape[0];
  const grouped = gatherRows(x, h.tokens);
  const qGrouped = perExpert(grouped, h.counts, (rows, e) => matMul(rows, expertSlice(w.queryExperts, e)) as tf.Tensor2D);
  return tf.reshape(tf.mul(scatterAddRows(qGrouped, h.rows, n * k), headDim ** -0.5), [g, k * tq, headDim]) as tf.Tensor3D;
}

/** Σ_s gate_s (a_s @ Wo[e_s]) over each token's routed rows: [N, d]. */
function combineSparse(attended: tf.Tensor2D, r: Route, w: MoaParams, h: HostDispatch, n: number): tf.Tensor2D {
  const aGrouped = gatherRows(attended, h.rows);
  const out = perExpert(aGrouped, h.counts, (rows, e) => matMul(rows, expertSlice(w.outputExperts, e)) as tf.Tensor2D);
  const gate = gatherRows(tf.reshape(r.gates, [n * w.k, 1]) as tf.Tensor2D, h.order);
  return scatterAddRows(tf.mul(out, gate) as tf.Tensor2D, h.tokens, n);
}

/**
 * routedQueriesSparse with tensor ops only (routing decided on the device): every query expert on every token, the
 * routed one picked per slot by the one-hot. E / k times the query-expert work, no host read.
 */
function routedQueriesDense(x: tf.Tensor2D, r: Route, w: MoaParams, g: number, tq: number) {
  const { k, headDim, numExperts: e } = w;
  const n = x.shape[0];
  const d = x.shape[1];
  const wq = tf.reshape(tf.transpose(w.queryExperts, [1, 0, 2]), [d, e * headDim]) as tf.Tensor2D;
  const all = tf.reshape(matMul(x, wq), [n, e, headDim]) as tf.Tensor3D;
  const slots = matMul(r.slotOneHot, all); // [N, k, headDim]
  const scaled = tf.mul(slots, headDim ** -0.5);
  return tf.reshape(tf.transpose(tf.reshape(scaled, [g, tq, k, headDim]), [0, 2, 1, 3]), [g, k * tq, headDim]) as tf.Tensor3D;
}

/** combineSparse with tensor ops only: every output expert on every routed row, masked by the one-hot and gate. */
function combineDense(attended: tf.Tensor2D, r: Route, w: MoaParams, g: number, tq: number): tf.Tensor2D {
  const { k, headDim, numExperts: e } = w;
  const n = g * tq;
  const d = w.outputExperts.shape[2]!;
  const bySlot = tf.reshape(tf.transpose(tf.reshape(attended, [g, k, tq, headDim]), [0, 2, 1, 3]), [n * k, headDim]);
  const wo = tf.reshape(tf.transpose(w.outputExperts, [1, 0, 2]), [headDim, e * d]) as tf.Tensor2D;
  const all = tf.reshape(matMul(bySlot as tf.Tensor2D, wo), [n * k, e, d]) as tf.Tensor3D;
  const weights = tf.reshape(tf.mul(r.slotOneHot, tf.expandDims(r.gates, 2)), [n * k, 1, e]) as tf.Tensor3D;
  return tf.sum(tf.reshape(matMul(weights, all), [n, k, d]), 1) as tf.Tensor2D;
}
