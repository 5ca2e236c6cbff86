import * as tf from '@tensorflow/tfjs-core';
import { withGradient } from './gradient';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Exact GELU, x * Φ(x) = 0.5 x (1 + erf(x / √2)) — PyTorch's default `nn.GELU()`.
 * One custom-gradient op: the tape keeps only x (the composed ops would keep four tensors of x's size), and the
 * backward pass computes dy * (Φ(x) + x φ(x)) directly.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  return withGradient(
    [x],
    (xi) => tf.tidy(() => tf.mul(tf.mul(xi!, 0.5), tf.add(1, tf.erf(tf.mul(xi!, Math.SQRT1_2))))) as T,
    (dy, [xi]) =>
      tf.tidy(() => {
        const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(xi!, Math.SQRT1_2))));
        const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(tf.square(xi!), -0.5)));
        return [tf.mul(dy, tf.add(cdf, tf.mul(xi!, pdf)))];
      }),
  );
}
