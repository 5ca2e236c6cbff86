import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { gelu, matMul, matMulBias } from '../../ops';

/** One layer of a stack of E parallel linear maps: weight [E, in, out] (x @ W[e]), optional bias [E, out]. */
export interface ExpertLinear {
  weight: tfl.LayerVariable;
  bias: tfl.LayerVariable | null;
}

/**
 * Expert e's slice of a stacked weight [E, ...rest] -> [...rest] (slice: its gradient is a pad, backend-safe). Sliced
 * from the flattened stack, so the result's storage has the result's own shape (wasm's fused bias needs rank 1).
 */
export function expertSlice(stack: tf.Tensor, e: number): tf.Tensor {
  const [, ...rest] = stack.shape;
  const size = rest.reduce((a, b) => a * b, 1);
  const flat = tf.slice(tf.reshape(stack, [-1]), [e * size], [size]);
  return rest.length === 1 ? flat : tf.reshape(flat, rest);
}

/** x [M, in] through expert e of a stack of linear layers, exact GELU between layers and none after the last. */
export function expertFfn(x: tf.Tensor2D, layers: readonly ExpertLinear[], e: number): tf.Tensor2D {
  let h: tf.Tensor2D = x;
  layers.forEach((layer, i) => {
    // ops.matMul: its gradient avoids the transposed products that are ~10x slower on wasm.
    const w = expertSlice(layer.weight.read(), e) as tf.Tensor2D;
    h = layer.bias ? matMulBias(h, w, expertSlice(layer.bias.read(), e) as tf.Tensor1D) : (matMul(h, w) as tf.Tensor2D);
    if (i < layers.length - 1) h = gelu(h);
  });
  return h;
}
