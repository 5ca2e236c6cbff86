import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean over all elements, reduced one axis at a time from the last. Each stage sums a short run, which keeps float32
 * rounding near PyTorch's pairwise summation (a single flat sum over ~10^4 elements drifts by several ulps on wasm).
 */
export function meanAll(x: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    let s = x;
    while (s.rank > 0) s = tf.sum(s, s.rank - 1);
    return tf.div(s, x.size) as tf.Scalar;
  });
}
