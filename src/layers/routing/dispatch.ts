import * as tf from '@tensorflow/tfjs-core';

/**
 * Host-side plan of a sparse dispatch: the N * k routed (token, slot) entries grouped by expert.
 * Entry p = n * k + s is token n's slot s; `order` lists the entries expert by expert (ascending p within an expert),
 * so each expert's rows form one contiguous block of the gathered input.
 */
export interface DispatchPlan {
  /** [M = N * k] entry positions p, grouped by expert. */
  order: Int32Array;
  /** [M] token n = floor(p / k) of each grouped entry. */
  tokens: Int32Array;
  /** [E] number of entries per expert. */
  counts: Int32Array;
}

/** Counting sort of the routed entries by expert id (stable, O(N k + E)). */
export function planDispatch(indices: Int32Array, k: number, numExperts: number): DispatchPlan {
  const m = indices.length;
  const counts = new Int32Array(numExperts);
  for (let p = 0; p < m; p++) counts[indices[p]!]!++;
  const next = new Int32Array(numExperts);
  for (let e = 1; e < numExperts; e++) next[e] = next[e - 1]! + counts[e - 1]!;
  const order = new Int32Array(m);
  const tokens = new Int32Array(m);
  for (let p = 0; p < m; p++) {
    const at = next[indices[p]!]!++;
    order[at] = p;
    tokens[at] = Math.floor(p / k);
  }
  return { order, tokens, counts };
}

/**
 * Applies `fn(rows, e)` to each expert's contiguous block of `grouped` [M, in] (rows ordered as plan.order) and
 * concatenates the results [M, out]. Experts with no rows are skipped, so the work is proportional to k/E.
 */
export function perExpert(
  grouped: tf.Tensor2D,
  counts: Int32Array,
  fn: (rows: tf.Tensor2D, expert: number) => tf.Tensor2D,
): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [];
  let start = 0;
  for (let e = 0; e < counts.length; e++) {
    const c = counts[e]!;
    if (c === 0) continue;
    const rows = c === grouped.shape[0] ? grouped : tf.slice(grouped, [start, 0], [c, grouped.shape[1]]);
    parts.push(fn(rows, e));
    start += c;
  }
  return parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as tf.Tensor2D);
}

export function int32(values: Int32Array): tf.Tensor1D {
  return tf.tensor1d(values, 'int32');
}
