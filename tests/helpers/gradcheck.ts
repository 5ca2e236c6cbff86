import * as tf from '@tensorflow/tfjs-core';

export interface GradCheckResult {
  /** Largest |analytic - numeric| over the checked elements, per input. */
  maxAbsError: number[];
  /** Largest |analytic - numeric| / max(1, |numeric|), per input. */
  maxRelError: number[];
}

/** Deterministic pseudo-random numbers in [lo, hi) (mulberry32), so tests are reproducible and never all-zero. */
export function randomArray(n: number, seed = 1, lo = -1, hi = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = lo + (hi - lo) * u;
  }
  return out;
}

export function randomTensor(shape: number[], seed = 1, lo = -1, hi = 1): tf.Tensor {
  return tf.tensor(
    randomArray(
      shape.reduce((a, b) => a * b, 1),
      seed,
      lo,
      hi,
    ),
    shape,
  );
}

/**
 * Compare tfjs's gradient of L = Σ f(xs) · R (R a fixed random projection) with central differences.
 * The projection sum is accumulated in float64 in JS; for linear ops a large `eps` makes the difference exact.
 * `maxChecks` elements per input are probed (spread over the tensor).
 */
export function gradCheck(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  opts: { eps?: number; maxChecks?: number; seed?: number } = {},
): GradCheckResult {
  const eps = opts.eps ?? 1e-2;
  const maxChecks = opts.maxChecks ?? 40;
  const probe = tf.tidy(() => f(...inputs));
  const r = randomArray(probe.size, opts.seed ?? 7);
  const rT = tf.tensor(r, probe.shape);
  probe.dispose();
  const lossOf = (xs: tf.Tensor[]): number => {
    const y = tf.tidy(() => f(...xs));
    const v = y.dataSync();
    y.dispose();
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]! * r[i]!;
    return s;
  };
  const analytic = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), rT)))(inputs);
  const maxAbsError: number[] = [];
  const maxRelError: number[] = [];
  inputs.forEach((x, k) => {
    const base = x.dataSync().slice() as Float32Array;
    const g = analytic[k]!.dataSync();
    const step = Math.max(1, Math.floor(base.length / maxChecks));
    let absErr = 0;
    let relErr = 0;
    for (let i = 0; i < base.length; i += step) {
      const plus = base.slice();
      plus[i] = base[i]! + eps;
      const minus = base.slice();
      minus[i] = base[i]! - eps;
      const at = (arr: Float32Array) => {
        const t = tf.tensor(arr, x.shape, x.dtype);
        const xs = inputs.map((inp, j) => (j === k ? t : inp));
        const v = lossOf(xs);
        t.dispose();
        return v;
      };
      const numeric = (at(plus) - at(minus)) / (2 * eps);
      const err = Math.abs(numeric - g[i]!);
      absErr = Math.max(absErr, err);
      relErr = Math.max(relErr, err / Math.max(1, Math.abs(numeric)));
    }
    maxAbsError.push(absErr);
    maxRelError.push(relErr);
  });
  analytic.forEach((t) => t.dispose());
  rT.dispose();
  return { maxAbsError, maxRelError };
}

/** Run `fn` once to warm caches, then assert the tensor count does not change over a second call. */
export function tensorLeak(fn: () => void): number {
  fn();
  const before = tf.memory().numTensors;
  fn();
  return tf.memory().numTensors - before;
}

export function maxAbsDiff(a: tf.Tensor | ArrayLike<number>, b: tf.Tensor | ArrayLike<number>): number {
  const av = a instanceof tf.Tensor ? a.dataSync() : a;
  const bv = b instanceof tf.Tensor ? b.dataSync() : b;
  if (av.length !== bv.length) throw new Error(`maxAbsDiff: sizes differ (${av.length} vs ${bv.length})`);
  let m = 0;
  for (let i = 0; i < av.length; i++) m = Math.max(m, Math.abs(av[i]! - bv[i]!));
  return m;
}
