import * as tf from '@tensorflow/tfjs-core';
import { matMul, stopGradient } from '../../ops';
import { computeAuxLosses } from './aux-losses';
import type { HostRng } from '../../random/host-rng';
import { oneHotSlots, selectExperts, sortSlotsAscending } from './selection';
import type { AuxLosses, AuxLossWeights } from './types';

/** torch.nan_to_num: NaN -> nan, +inf -> posinf, -inf -> neginf; gradient passes through the finite entries. */
export function nanToNum<T extends tf.Tensor>(x: T, posinf = 20, neginf = -20, nan = 0): T {
  return tf.tidy(() => {
    // The conditions are computed on a gradient-free copy: isNaN / isInf / greater have no gradient in tfjs.
    const c = stopGradient(x);
    const inf = tf.isInf(c);
    let y = tf.where(tf.isNaN(c), tf.fill(x.shape, nan), x);
    y = tf.where(tf.logicalAnd(inf, tf.greater(c, 0)), tf.fill(x.shape, posinf), y);
    y = tf.where(tf.logicalAnd(inf, tf.less(c, 0)), tf.fill(x.shape, neginf), y);
    return y as T;
  });
}

/** MoE router logits for tokens x [N, d]: clamp((x @ wGate) / sqrt(d), ±clamp), NaN -> 0 (the reference's router). */
export function routerLogits(x: tf.Tensor2D, wGate: tf.Tensor2D, clamp: number): tf.Tensor2D {
  return tf.tidy(() => {
    let logits = tf.div(matMul(x, wGate), Math.sqrt(x.shape[1])) as tf.Tensor2D;
    if (Number.isFinite(clamp)) logits = tf.clipByValue(logits, -clamp, clamp);
    return nanToNum(logits);
  });
}

/**
 * Noisy top-k gating (training only, reference `top_k_gating`): clean logits + N(0, 1) * (softplus(x @ wNoise) + 1e-3),
 * then NaN -> 0, ±inf -> ±20. `seed` makes the draw reproducible.
 */
export function noisyLogits(clean: tf.Tensor2D, x: tf.Tensor2D, wNoise: tf.Tensor2D, seed?: number): tf.Tensor2D {
  return tf.tidy(() => {
    const std = nanToNum(tf.add(tf.softplus(matMul(x, wNoise)), 1e-3), 1e3, 1e-3, 1e-3);
    const noise = tf.randomNormal(clean.shape, 0, 1, 'float32', seed);
    return nanToNum(tf.add(clean, tf.mul(noise, std)) as tf.Tensor2D);
  });
}

/**
 * Attention-gate logits (the reference's multi_attention_1): query tokens [G, Tq, d] against per-group expert keys
 * [G, E, d]: logits = q · key_e / sqrt(d), NaN -> 0, ±inf -> ±20, no clamp. Returns [G * Tq, E].
 */
export function attentionGateLogits(query: tf.Tensor3D, gateKeys: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const [g, tq, d] = query.shape;
    const scores = tf.div(matMul(query, gateKeys, false, true), Math.sqrt(d));
    return nanToNum(tf.reshape(scores, [g * tq, gateKeys.shape[1]]) as tf.Tensor2D);
  });
}

export interface RouteOptions {
  k: number;
  /** How many of the k slots are sampled (the reference's sample_topk); 0 = deterministic top-k. */
  sampleCount: number;
  /** [N * k] expert ids to use instead of the router's choice, or null. */
  override: Int32Array | null;
  /** 'ascending' reorders each token's slots by expert id (MoE 'slots' output). */
  slotOrder: 'selection' | 'ascending';
  rng: HostRng;
  auxWeights: AuxLossWeights;
}

export interface Route {
  /** [N * k] expert ids, slot order, on the host; null when routing was decided on the device (see routingOnHost). */
  indices: Int32Array | null;
  /** [N, k] int32 expert ids (the same choice as a tensor). */
  indexTensor: tf.Tensor2D;
  /** [N, k] gates with gradient to the logits: p_e / (sum of chosen p + 1e-6). */
  gates: tf.Tensor2D;
  /** [N, E] gates scattered to their experts (zeros elsewhere). */
  denseGates: tf.Tensor2D;
  /** [N, k, E] one-hot of `indices` (constant). */
  slotOneHot: tf.Tensor3D;
  aux: AuxLosses;
}

export type RoutingPlacement = 'auto' | 'host' | 'device';
let placement: RoutingPlacement = 'auto';

/**
 * Where routing decisions are made. 'host' reads the probs back and plans a sparse dispatch (only the chosen rows go
 * through each expert: the fast path where tensors live in host memory). 'device' keeps everything in tensor ops
 * (top-k, one-hot, dense expert mixing): no synchronous read, which WebGL would stall on and WebGPU cannot do.
 * 'auto' (default) picks 'host' on cpu, wasm and tensorflow, 'device' on any other backend. Returns the old value.
 */
export function setRoutingPlacement(p: RoutingPlacement): RoutingPlacement {
  if (p !== 'auto' && p !== 'host' && p !== 'device')
    throw new Error(`setRoutingPlacement: expected 'auto', 'host' or 'device', got '${String(p)}'`);
  const old = placement;
  placement = p;
  return old;
}

const HOST_MEMORY_BACKENDS = new Set(['cpu', 'wasm', 'tensorflow']);

/** Whether routing is decided on the host now (see setRoutingPlacement). */
export function routingOnHost(): boolean {
  return placement === 'host' || (placement === 'auto' && HOST_MEMORY_BACKENDS.has(tf.getBackend()));
}

/**
 * The same choice as selectExperts, made with tensor ops: the k - sampleCount most probable experts, then
 * sampleCount more drawn without replacement proportionally to prob + 1e-6, by the Gumbel-top-k trick (the same
 * distribution as successive draws; not the same random stream as the host path).
 */
function selectExpertsOnDevice(probs: tf.Tensor2D, k: number, sampleCount: number, seed: number): tf.Tensor2D {
  const e = probs.shape[1];
  const fixed = k - sampleCount;
  // Successive argMax over a masked copy instead of tf.topk: tfjs 4.22's WebGPU topk returned all-zero indices
  // inside the routing graph (alone it was right). Ties go to the lower id, as on the host.
  let score = stopGradient(probs) as tf.Tensor2D;
  const slots: tf.Tensor[] = [];
  for (let s = 0; s < k; s++) {
    if (s === fixed) {
      // The sampled slots: Gumbel-perturbed log-probabilities of the experts not yet taken.
      const u = tf.randomUniform(score.shape, 1e-12, 1, 'float32', seed);
      const gumbel = tf.sub(tf.log(tf.add(stopGradient(probs), 1e-6)), tf.log(tf.neg(tf.log(u))));
      score = tf.where(tf.isFinite(score), gumbel, score) as tf.Tensor2D;
    }
    const pick = tf.argMax(score, 1);
    slots.push(pick);
    score = tf.where(tf.greater(oneHotFloat(pick, e), 0), tf.fill(score.shape, -Infinity), score) as tf.Tensor2D;
  }
  return tf.cast(tf.stack(slots, 1), 'int32') as tf.Tensor2D;
}

/**
 * One-hot [..., E] float32 of int32 ids, by comparison. Not tf.oneHot: its int32 output summed on tfjs 4.22's WebGPU
 * backend gives float bit patterns read as integers (a tfjs bug: sum of an int32 one-hot there returned 1058258475
 * for 1), and a float one-hot is what the gates need anyway.
 */
function oneHotFloat(ids: tf.Tensor, e: number): tf.Tensor {
  return tf.cast(tf.equal(tf.expandDims(ids, -1), tf.range(0, e, 1, 'int32')), 'float32');
}

/** Each row's k ids in ascending order, with tensor ops (successive minima: a row's ids are distinct; no topk). */
function sortRowsAscending(indices: tf.Tensor2D): tf.Tensor2D {
  const k = indices.shape[1];
  let rest = tf.cast(indices, 'float32') as tf.Tensor2D;
  const sorted: tf.Tensor[] = [];
  for (let s = 0; s < k; s++) {
    const low = tf.min(rest, 1, true);
    sorted.push(low);
    rest = tf.where(tf.equal(rest, low), tf.fill(rest.shape, Infinity), rest) as tf.Tensor2D;
  }
  return tf.cast(tf.concat(sorted, 1), 'int32') as tf.Tensor2D;
}

/**
 * Softmax routing of N tokens from their logits [N, E]: choose k experts per token (on the host or the device, see
 * setRoutingPlacement), then build the gates from the probs through a constant one-hot (the selection itself
 * carries no gradient, the gate values do). Call inside a tidy.
 */
export function route(logits: tf.Tensor2D, opts: RouteOptions): Route {
  const [n, e] = logits.shape;
  const { k } = opts;
  const probs = tf.softmax(logits) as tf.Tensor2D;
  let indices: Int32Array | null = null;
  let indexTensor: tf.Tensor2D;
  let slotOneHot: tf.Tensor3D;
  if (opts.override || routingOnHost()) {
    if (opts.override) indices = opts.override.slice();
    else indices = selectExperts(probs.dataSync(), n, e, k, opts.sampleCount, opts.rng);
    if (opts.slotOrder === 'ascending') sortSlotsAscending(indices, k);
    indexTensor = tf.tensor2d(indices, [n, k], 'int32');
    slotOneHot = tf.tensor3d(oneHotSlots(indices, k, e), [n, k, e]);
  } else {
    const seed = opts.sampleCount > 0 ? opts.rng.nextSeed() : 0;
    indexTensor = selectExpertsOnDevice(probs, k, opts.sampleCount, seed);
    if (opts.slotOrder === 'ascending') indexTensor = sortRowsAscending(indexTensor);
    slotOneHot = oneHotFloat(indexTensor, e) as tf.Tensor3D;
  }
  const chosen = tf.sum(tf.mul(tf.expandDims(probs, 1), slotOneHot), 2) as tf.Tensor2D;
  const gates = tf.div(chosen, tf.add(tf.sum(chosen, 1, true), 1e-6)) as tf.Tensor2D;
  const denseGates = tf.sum(tf.mul(tf.expandDims(gates, 2), slotOneHot), 1) as tf.Tensor2D;
  const aux = computeAuxLosses(probs, denseGates, logits, opts.auxWeights);
  return { indices, indexTensor, gates, denseGates, slotOneHot, aux };
}
