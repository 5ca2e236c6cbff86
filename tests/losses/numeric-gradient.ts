import * as tf from '@tensorflow/tfjs-core';

export interface ScalarGradCheck {
  /** Largest |analytic - numeric| over the probed elements. */
  maxAbsError: number;
  /** The largest |analytic| gradient element of the input (the scale the error is judged against). */
  gradScale: number;
  /** maxAbsError / gradScale. */
  relativeError: number;
  /** Number of probed elements whose analytic gradient is non-zero (guards against an all-zero gradient). */
  nonZero: number;
}

/**
 * Central differences of a scalar loss w.r.t. input `which`, at `probes` elements spread over the tensor, compared with
 * tfjs's gradient. Float32 losses limit the precision of the numeric side, so the error is judged relative to the
 * largest gradient element rather than per element.
 */
export function checkScalarGradient(
  loss: (...xs: tf.Tensor[]) => tf.Scalar,
  inputs: tf.Tensor[],
  which = 0,
  opts: { eps?: number; probes?: number } = {},
): ScalarGradCheck {
  const eps = opts.eps ?? 1e-2;
  const probes = opts.probes ?? 24;
  const x = inputs[which]!;
  const g = tf.tidy(() => tf.grads((...xs: tf.Tensor[]) => loss(...xs))(inputs)[which]!);
  const gv = g.dataSync().slice() as Float32Array;
  g.dispose();
  const base = x.dataSync().slice() as Float32Array;
  const at = (arr: Float32Array): number => {
    const t = tf.tensor(arr, x.shape, 'float32');
    const v = tf.tidy(() => loss(...inputs.map((inp, j) => (j === which ? t : inp))).dataSync()[0]!);
    t.dispose();
    return v;
  };
  const step = Math.max(1, Math.floor(base.length / probes));
  let maxAbsError = 0;
  let nonZero = 0;
  for (let i = 0; i < base.length; i += step) {
    const plus = base.slice();
    plus[i] = base[i]! + eps;
    const minus = base.slice();
    minus[i] = base[i]! - eps;
    const numeric = (at(plus) - at(minus)) / (2 * eps);
    maxAbsError = Math.max(maxAbsError, Math.abs(numeric - gv[i]!));
    if (gv[i] !== 0) nonZero++;
  }
  let gradScale = 0;
  for (let i = 0; i < gv.length; i++) gradScale = Math.max(gradScale, Math.abs(gv[i]!));
  return { maxAbsError, gradScale, relativeError: maxAbsError / gradScale, nonZero };
}
