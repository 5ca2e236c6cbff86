import * as tf from '@tensorflow/tfjs-core';
import { GELU_GRAD_KERNEL, GELU_KERNEL, hasGeluKernels, registerGeluKernels } from '../kernels/gelu';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

registerGeluKernels();

/**
 * Exact GELU, x * Φ(x) = 0.5 x (1 + erf(x / √2)) — PyTorch's default `nn.GELU()`.
 * One custom-gradient op whose tape keeps only x. On wasm and cpu the value and the gradient dy * (Φ(x) + x φ(x)) are
 * one-pass kernels (src/kernels/gelu.ts); elsewhere they are composed from tfjs ops.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi]);
    return {
      value: hasGeluKernels(xi.dtype) ? (tf.engine().runKernel(GELU_KERNEL, { x: xi }) as tf.Tensor) : composedGelu(xi),
      gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) =>
        hasGeluKernels(dy.dtype) && hasGeluKernels(xs!.dtype)
          ? [tf.engine().runKernel(GELU_GRAD_KERNEL, { x: xs!, dy }) as tf.Tensor]
          : [composedGeluGrad(xs!, dy)],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}

function normalCdf(x: tf.Tensor): tf.Tensor {
  return tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

function composedGelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, normalCdf(x)));
}

function composedGeluGrad(x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(tf.square(x), -0.5)));
    return tf.mul(dy, tf.add(normalCdf(x), tf.mul(x, pdf)));
  });
}
