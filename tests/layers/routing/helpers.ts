import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { randomTensor } from '../../helpers/gradcheck';

/** A layer's weights by their local name ('w_gate', 'experts.layers.0.weight', ...). */
export function weightsByName(layer: tfl.layers.Layer): Map<string, tfl.LayerVariable> {
  return new Map(layer.weights.map((w) => [w.originalName.split('/').pop()!, w]));
}

export function weightValue(layer: tfl.layers.Layer, name: string): tf.Tensor {
  const w = weightsByName(layer).get(name);
  if (!w) throw new Error(`no weight '${name}' in ${layer.name}`);
  return w.read();
}

/** Overwrites every weight with deterministic random values in ±scale (so biases are non-zero too). */
export function randomizeWeights(layer: tfl.layers.Layer, seed: number, scale = 0.5): void {
  layer.weights.forEach((w, i) => {
    const t = randomTensor(w.shape as number[], seed * 100 + i, -scale, scale);
    w.write(t);
    t.dispose();
  });
}

/** Gradients of `loss()` with respect to every trainable weight of the layer, by local name. */
export function weightGrads(layer: tfl.layers.Layer, loss: () => tf.Scalar): Map<string, tf.Tensor> {
  const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(loss, vars);
  value.dispose();
  const out = new Map<string, tf.Tensor>();
  layer.trainableWeights.forEach((w, i) => out.set(w.originalName.split('/').pop()!, grads[vars[i]!.name]!));
  return out;
}

/** Σ y · R with a fixed random projection R: a scalar loss that weights every output element differently. */
export function projectedSum(y: tf.Tensor, seed = 3): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.mul(y, randomTensor(y.shape, seed))) as tf.Scalar);
}

/** Builds a layer by calling it once on zeros of the given shapes; everything but the layer's state is disposed. */
export function buildWith(layer: tfl.layers.Layer, ...shapes: number[][]): void {
  tf.tidy(() => {
    const xs = shapes.map((s) => tf.zeros(s));
    layer.apply(xs.length === 1 ? xs[0]! : xs);
  });
}

export function int2d(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, undefined, 'int32');
}

/** Independent float64 re-implementation of the reference router + aux losses (§2, §9), for golden checks. */
export function referenceRouter(
  logits: ArrayLike<number>,
  n: number,
  e: number,
  k: number,
  weights = { cv: 0.05, switch: 0.01, z: 0.001 },
  chosen?: ArrayLike<number>,
): { indices: number[][]; gates: number[][]; cv: number; switch: number; z: number; total: number } {
  const probs: number[][] = [];
  let z = 0;
  for (let t = 0; t < n; t++) {
    const row = Array.from({ length: e }, (_, j) => logits[t * e + j]!);
    const m = Math.max(...row);
    const ex = row.map((v) => Math.exp(v - m));
    const s = ex.reduce((a, b) => a + b, 0);
    probs.push(ex.map((v) => v / s));
    z += (m + Math.log(s)) ** 2;
  }
  z /= n;
  const indices = probs.map((p, t) =>
    chosen
      ? Array.from({ length: k }, (_, s) => chosen[t * k + s]!)
      : p
          .map((v, j) => [v, j] as const)
          .sort((a, b) => b[0] - a[0] || a[1] - b[1])
          .slice(0, k)
          .map(([, j]) => j),
  );
  const gates = indices.map((ids, t) => {
    const sum = ids.reduce((a, j) => a + probs[t]![j]!, 0);
    return ids.map((j) => probs[t]![j]! / (sum + 1e-6));
  });
  const mass = new Array<number>(e).fill(0);
  const probMass = new Array<number>(e).fill(0);
  indices.forEach((ids, t) => ids.forEach((j, s) => (mass[j]! += gates[t]![s]!)));
  probs.forEach((p) => p.forEach((v, j) => (probMass[j]! += v)));
  const l1 = (v: number[]) => {
    const s = Math.max(
      v.reduce((a, b) => a + Math.abs(b), 0),
      1e-12,
    );
    return v.map((x) => x / s);
  };
  const u = l1(mass);
  const mean = u.reduce((a, b) => a + b, 0) / e;
  const cv = e === 1 ? 0 : u.reduce((a, b) => a + (b - mean) ** 2, 0) / (e - 1) / (mean * mean + 1e-10);
  const pm = l1(probMass);
  const sw = e * pm.reduce((a, v, j) => a + v * u[j]!, 0);
  return { indices, gates, cv, switch: sw, z, total: weights.cv * cv + weights.switch * sw + weights.z * z };
}

/** Host float64 logits clamp((x @ w) / sqrt(d), ±clamp) for x [n, d], w [d, e]. */
export function referenceLogits(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  n: number,
  d: number,
  e: number,
  clamp = 10,
): number[] {
  const out: number[] = [];
  for (let t = 0; t < n; t++) {
    for (let j = 0; j < e; j++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += x[t * d + i]! * w[i * e + j]!;
      out.push(Math.max(-clamp, Math.min(clamp, s / Math.sqrt(d))));
    }
  }
  return out;
}

/**
 * Float64 loop implementation of one MoA forward (reference §3/§5) for tiny shapes, given the routing and gates.
 * Tensors are row-major arrays: query [G, Tq, d], kv [G, Tk, d]; wq [E, d, h], wo [E, h, d], wk/wv [d, h],
 * posBias [numPositions, k] with row(c).
 */
export function referenceMoa(a: {
  query: ArrayLike<number>;
  key: ArrayLike<number>;
  value: ArrayLike<number>;
  g: number;
  tq: number;
  tk: number;
  d: number;
  h: number;
  k: number;
  indices: number[][];
  gates: number[][];
  wq: ArrayLike<number>;
  wo: ArrayLike<number>;
  wk: ArrayLike<number>;
  bk: ArrayLike<number>;
  wv: ArrayLike<number>;
  bv: ArrayLike<number>;
  posBias?: { w: ArrayLike<number>; row: (c: number) => number };
}): number[] {
  const { g, tq, tk, d, h, k } = a;
  const proj = (x: ArrayLike<number>, xo: number, w: ArrayLike<number>, wo: number, rows: number, cols: number) =>
    Array.from({ length: cols }, (_, j) => {
      let s = 0;
      for (let i = 0; i < rows; i++) s += x[xo + i]! * w[wo + i * cols + j]!;
      return s;
    });
  const out: number[] = [];
  for (let gi = 0; gi < g; gi++) {
    const keys = Array.from({ length: tk }, (_, c) =>
      proj(a.key, (gi * tk + c) * d, a.wk, 0, d, h).map((v, j) => v + a.bk[j]!),
    );
    const vals = Array.from({ length: tk }, (_, c) =>
      proj(a.value, (gi * tk + c) * d, a.wv, 0, d, h).map((v, j) => v + a.bv[j]!),
    );
    for (let t = 0; t < tq; t++) {
      const n = gi * tq + t;
      const y = new Array<number>(d).fill(0);
      for (let s = 0; s < k; s++) {
        const e = a.indices[n]![s]!;
        const q = proj(a.query, n * d, a.wq, e * d * h, d, h).map((v) => v / Math.sqrt(h));
        const scores = keys.map((kv, c) => {
          let sc = q.reduce((acc, qv, j) => acc + qv * kv[j]!, 0);
          if (a.posBias) sc += a.posBias.w[a.posBias.row(c) * k + s]! * Math.sqrt(h);
          return sc;
        });
        const m = Math.max(...scores);
        const ex = scores.map((v) => Math.exp(v - m));
        const z = ex.reduce((p, v) => p + v, 0);
        const att = Array.from({ length: h }, (_, j) => ex.reduce((p, v, c) => p + (v / z) * vals[c]![j]!, 0));
        const o = proj(att, 0, a.wo, e * h * d, h, d);
        o.forEach((v, j) => (y[j]! += a.gates[n]![s]! * v));
      }
      out.push(...y);
    }
  }
  return out;
}
