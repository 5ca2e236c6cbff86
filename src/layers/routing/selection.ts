import type { HostRng } from '../../random/host-rng';

/**
 * Host-side expert choice for N tokens from their softmax probs [N, E] (row-major).
 * The first k - sampleCount slots take the most probable experts in descending order (ties: lower id first); the
 * last sampleCount slots are drawn without replacement from the remaining experts with probability proportional to
 * prob + 1e-6 (the reference's torch.multinomial on the masked probs). Returns [N * k] expert ids in slot order.
 */
export function selectExperts(
  probs: ArrayLike<number>,
  n: number,
  e: number,
  k: number,
  sampleCount: number,
  rng: HostRng,
): Int32Array {
  const out = new Int32Array(n * k);
  const fixed = k - sampleCount;
  const order = new Array<number>(e);
  const weight = new Float64Array(e);
  for (let t = 0; t < n; t++) {
    const row = t * e;
    for (let j = 0; j < e; j++) order[j] = j;
    // Stable sort by descending prob (NaN cannot occur: logits are nan-cleaned before the softmax).
    order.sort((a, b) => probs[row + b]! - probs[row + a]! || a - b);
    for (let s = 0; s < fixed; s++) out[t * k + s] = order[s]!;
    if (sampleCount === 0) continue;
    for (let j = 0; j < e; j++) weight[j] = probs[row + j]! + 1e-6;
    for (let s = 0; s < fixed; s++) weight[order[s]!] = 0;
    for (let s = fixed; s < k; s++) {
      let total = 0;
      for (let j = 0; j < e; j++) total += weight[j]!;
      let u = rng.next() * total;
      let pick = -1;
      for (let j = 0; j < e; j++) {
        if (weight[j]! <= 0) continue;
        pick = j;
        u -= weight[j]!;
        if (u < 0) break;
      }
      out[t * k + s] = pick;
      weight[pick] = 0;
    }
  }
  return out;
}

/** Reorders each token's k expert ids ascending in place (the reference's need_merge=False slot order). */
export function sortSlotsAscending(indices: Int32Array, k: number): Int32Array {
  for (let p = 0; p < indices.length; p += k) indices.subarray(p, p + k).sort();
  return indices;
}

/** One-hot [N, k, E] of the chosen experts, as host floats (a constant for autodiff). */
export function oneHotSlots(indices: Int32Array, k: number, e: number): Float32Array {
  const out = new Float32Array(indices.length * e);
  for (let p = 0; p < indices.length; p++) out[p * e + indices[p]!] = 1;
  return out;
}

/**
 * Reads a routing override: [N, k] expert ids (any numeric dtype holding integers in [0, E)).
 * Returns a host copy so the caller may dispose the tensor.
 */
export function readOverride(
  layer: string,
  indices: { shape: number[]; dataSync(): ArrayLike<number> },
  k: number,
  e: number,
): { rows: number; data: Int32Array } {
  if (indices.shape.length !== 2 || indices.shape[1] !== k) {
    throw new Error(`${layer}: routing override must be [N, k=${k}] expert ids, got shape [${indices.shape}]`);
  }
  const raw = indices.dataSync();
  const data = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= e) {
      throw new Error(
        `${layer}: routing override holds ${v} at flat position ${i}; expert ids must be integers in [0, ${e})`,
      );
    }
    data[i] = v;
  }
  return { rows: indices.shape[0]!, data };
}
