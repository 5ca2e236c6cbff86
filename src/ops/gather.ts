import * as tf from '@tensorflow/tfjs-core';
import { withGradient } from './gradient';

function checkIndices(indices: tf.Tensor, fn: string): void {
  if (indices.rank !== 1 || indices.dtype !== 'int32') {
    throw new Error(`${fn}: indices must be a rank-1 int32 tensor, got ${indices.dtype} [${indices.shape}]`);
  }
}

/** [M] -> [M, 1], the index layout gatherND / scatterND take for whole rows. */
function rowIndex(indices: tf.Tensor): tf.Tensor2D {
  return tf.reshape(indices, [-1, 1]);
}

/**
 * rows[i] = x[indices[i]] for x [N, D]. Forward is `gatherND` (GatherV2 is ~14x slower on wasm); the gradient is a
 * `scatterND` add (duplicate indices summed), because wasm has no UnsortedSegmentSum (tfjs's gather gradient).
 * Indices must lie in [0, N); they carry no gradient.
 */
export function gatherRows(x: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  checkIndices(indices, 'gatherRows');
  if (x.rank !== 2) throw new Error(`gatherRows: x must be [N, D], got [${x.shape}]`);
  const [n, d] = x.shape;
  // The indices travel as a saved constant: a closure-captured tensor may be disposed before backprop runs.
  return withGradient(
    [x],
    (xi) => tf.tidy(() => tf.gatherND(xi, rowIndex(indices)) as tf.Tensor2D),
    (dy, saved) => [tf.tidy(() => tf.scatterND(rowIndex(saved[1]!), dy, [n, d]))],
    [indices],
  );
}

/**
 * out[indices[i]] += src[i]: out is [numRows, D]; duplicate indices are summed. Gradient: gather of dy rows.
 * The pair gatherRows / scatterAddRows is the MoE dispatch / combine. Indices must lie in [0, numRows).
 */
export function scatterAddRows(src: tf.Tensor2D, indices: tf.Tensor1D, numRows: number): tf.Tensor2D {
  checkIndices(indices, 'scatterAddRows');
  if (src.rank !== 2) throw new Error(`scatterAddRows: src must be [M, D], got [${src.shape}]`);
  if (src.shape[0] !== indices.shape[0]) {
    throw new Error(`scatterAddRows: src has ${src.shape[0]} rows but indices has ${indices.shape[0]}`);
  }
  if (!Number.isInteger(numRows) || numRows < 1) {
    throw new Error(`scatterAddRows: numRows must be a positive integer, got ${numRows}`);
  }
  const d = src.shape[1];
  return withGradient(
    [src],
    (s) => tf.tidy(() => tf.scatterND(rowIndex(indices), s, [numRows, d]) as tf.Tensor2D),
    (dy, saved) => [tf.tidy(() => tf.gatherND(dy, rowIndex(saved[1]!)))],
    [indices],
  );
}
