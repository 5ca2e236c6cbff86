import * as tf from '@tensorflow/tfjs-core';
import { withGradient } from './gradient';

function checkIndices(indices: tf.Tensor, fn: string): void {
  if (indices.rank !== 1 || indices.dtype !== 'int32') {
    throw new Error(`${fn}: indices must be a rank-1 int32 tensor, got ${indices.dtype} [${indices.shape}]`);
  }
}

/**
 * rows[i] = x[indices[i]] for x [N, D]. Forward is `gatherND` (GatherV2 is ~14x slower on wasm); the gradient is a
 * `scatterND` add, because wasm has no UnsortedSegmentSum (tfjs's gather gradient).
 */
export function gatherRows(x: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  checkIndices(indices, 'gatherRows');
  if (x.rank !== 2) throw new Error(`gatherRows: x must be [N, D], got [${x.shape}]`);
  const [n, d] = x.shape;
  const idx = tf.reshape(indices, [-1, 1]);
  const out = withGradient(
    [x],
    (xi) => tf.gatherND(xi, idx) as tf.Tensor2D,
    (dy) => [tf.scatterND(idx, dy, [n, d])],
  );
  idx.dispose();
  return out;
}

/**
 * out[indices[i]] += src[i]: out is [numRows, D]; duplicate indices are summed. Gradient: gather of dy rows.
 * The pair gatherRows / scatterAddRows is the MoE dispatch / combine.
 */
export function scatterAddRows(src: tf.Tensor2D, indices: tf.Tensor1D, numRows: number): tf.Tensor2D {
  checkIndices(indices, 'scatterAddRows');
  if (src.rank !== 2) throw new Error(`scatterAddRows: src must be [M, D], got [${src.shape}]`);
  if (src.shape[0] !== indices.shape[0]) {
    throw new Error(`scatterAddRows: src has ${src.shape[0]} rows but indices has ${indices.shape[0]}`);
  }
  const d = src.shape[1];
  const idx = tf.reshape(indices, [-1, 1]);
  const out = withGradient(
    [src],
    (s) => tf.scatterND(idx, s, [numRows, d]) as tf.Tensor2D,
    (dy) => [tf.gatherND(dy, idx)],
  );
  idx.dispose();
  return out;
}
