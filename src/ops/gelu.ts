import * as tf from '@tensorflow/tfjs-core';

/** Exact GELU, x * Φ(x) = 0.5 x (1 + erf(x / √2)) — PyTorch's default `nn.GELU()`. */
export function gelu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))) as T);
}
