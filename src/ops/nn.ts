import * as tf from '@tensorflow/tfjs-core';
import { hasFloatKernel } from '../kernels/float-kernel';
import { LAYER_NORM_GRAD_KERNEL, LAYER_NORM_KERNEL, registerLayerNormKernels } from '../kernels/layer-norm';
import { withGradient } from './gradient';
import { matMul, matMulBias, sumRows } from './matmul';

/** x [..., in] @ w [in, out] (+ b [out]), any rank: PyTorch `nn.Linear` with the weight stored transposed. */
export function linear(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D | null): tf.Tensor {
  const din = x.shape[x.rank - 1]!;
  if (w.shape[0] !== din) throw new Error(`linear: input last dim ${din} does not match weight [${w.shape}]`);
  return tf.tidy(() => {
    const flat = tf.reshape(x, [-1, din]) as tf.Tensor2D;
    const y = b ? matMulBias(flat, w, b) : matMul(flat, w);
    return tf.reshape(y, [...x.shape.slice(0, -1), w.shape[1]]);
  });
}

registerLayerNormKernels();

/**
 * LayerNorm over the last axis (biased variance, PyTorch semantics). With gamma and beta, on wasm and cpu, the value
 * and the input gradient are single kernels (src/kernels/layer-norm.ts); γ and β get ones·(dy·x̂) and ones·dy.
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D | null, beta: tf.Tensor1D | null, eps = 1e-5): tf.Tensor {
  const d = x.shape[x.rank - 1] ?? 0;
  for (const [name, p] of [
    ['gamma', gamma],
    ['beta', beta],
  ] as const) {
    if (p && (p.rank !== 1 || p.shape[0] !== d)) {
      throw new Error(`layerNorm: ${name} must be [${d}] (the last axis of x [${x.shape}]), got [${p.shape}]`);
    }
  }
  if (gamma && beta && d > 0 && hasFloatKernel(LAYER_NORM_KERNEL, x.dtype)) {
    const norm = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.engine().runKernel(LAYER_NORM_KERNEL, { x: xi, gamma: g, beta: b }, { eps, d }) as tf.Tensor;
    return withGradient(
      [x, gamma, beta],
      (xi, g, b) => norm(xi!, g!, b!),
      (dy, [xs, g]) =>
        tf.tidy(() => {
          const xhat = norm(xs!, tf.ones([d]), tf.zeros([d]));
          const dx = tf
            .engine()
            .runKernel(LAYER_NORM_GRAD_KERNEL, { x: xs!, g: tf.mul(dy, g!) }, { eps, d }) as tf.Tensor;
          return [dx, sumRows(tf.mul(dy, xhat)), sumRows(dy)];
        }),
    );
  }
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
    if (gamma) y = tf.mul(y, gamma);
    if (beta) y = tf.add(y, beta);
    return y;
  });
}

/** GroupNorm on an NHWC tensor: channels split into `groups` contiguous groups, statistics over H, W and the group. */
export function groupNorm(
  x: tf.Tensor4D,
  groups: number,
  gamma: tf.Tensor1D | null,
  beta: tf.Tensor1D | null,
  eps = 1e-5,
): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (c % groups !== 0) throw new Error(`groupNorm: ${c} channels are not divisible into ${groups} groups`);
  return tf.tidy(() => {
    const g = tf.reshape(x, [b, h * w, groups, c / groups]);
    const { mean, variance } = tf.moments(g, [1, 3], true);
    let y = tf.reshape(tf.mul(tf.sub(g, mean), tf.rsqrt(tf.add(variance, eps))), [b, h, w, c]);
    if (gamma) y = tf.mul(y, gamma);
    if (beta) y = tf.add(y, beta);
    return y as tf.Tensor4D;
  });
}
