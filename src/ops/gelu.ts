import * as tf from '@tensorflow/tfjs-core';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Exact GELU, x * Φ(x) = 0.5 x (1 + erf(x / √2)) — PyTorch's default `nn.GELU()`.
 * One custom-gradient op: the tape keeps x and Φ(x) (the composed ops would keep four tensors of x's size), and the
 * backward pass computes dy * (Φ(x) + x φ(x)) reusing Φ(x): erf is the costliest elementwise kernel on wasm.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    const cdf = tf.tidy(() => tf.mul(0.5, tf.add(1, tf.erf(tf.mul(xi, Math.SQRT1_2)))));
    save([xi, cdf]);
    return {
      value: tf.mul(xi, cdf),
      gradFunc: (dy: tf.Tensor, [xs, c]: tf.Tensor[]) =>
        tf.tidy(() => {
          const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(tf.square(xs!), -0.5)));
          return [tf.mul(dy, tf.add(c!, tf.mul(xs!, pdf)))];
        }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}
