import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { gelu, matMul } from '../../ops';

/** One layer of a stack of E parallel linear maps: weight [E, in, out] (x @ W[e]), optional bias [E, out]. */
export interface ExpertLinear {
  weight: tfl.LayerVariable;
  bias: tfl.LayerVariable | null;
}

/** Expert e's slice of a stacked weight [E, ...rest] -> [...rest] (slice: its gradient is a pad, backend-safe). */
export function expertSlice(stack: tf.Tensor, e: number): tf.Tensor {
  const [, ...rest] = stack.shape;
  return tf.reshape(tf.slice(stack, [e, ...rest.map(() => 0)], [1, ...rest]), rest);
}

/** x [M, in] through expert e of a stack of linear layers, exact GELU between layers and none after the last. */
export function expertFfn(x: tf.Tensor2D, layers: readonly ExpertLinear[], e: number): tf.Tensor2D {
  let h: tf.Tensor2D = x;
  layers.forEach((layer, i) => {
    // ops.matMul: its gradient avoids the transposed products that are ~10x slower on wasm.
    h = matMul(h, expertSlice(layer.weight.read(), e)) as tf.Tensor2D;
    if (layer.bias) h = tf.add(h, expertSlice(layer.bias.read(), e));
    if (i < layers.length - 1) h = gelu(h);
  });
  return h;
}
