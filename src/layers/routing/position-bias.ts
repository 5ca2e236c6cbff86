import * as tf from '@tensorflow/tfjs-core';
import { matMul } from '../../ops';

export type PositionBiasLayout = 'none' | 'reference' | 'aligned';

/**
 * Which bias row each source column c uses, as a one-hot [Tk, numPositions] (a constant, so the bias gradient is a
 * plain matMul, no gather):
 *  - 'reference': row c // 3 (the reference's layout: the bias repeated 3 times along the 3*numPositions neighbour columns,
 *    which are laid out slot-major, so the "position" does not match the neighbour direction; kept for checkpoints).
 *  - 'aligned': row c % numPositions (the neighbour direction of column c = 8 * slot + direction).
 */
export function positionSelection(layout: 'reference' | 'aligned', tk: number, numPositions: number): Float32Array {
  if (layout === 'reference' && tk !== 3 * numPositions) {
    throw new Error(
      `MixtureOfAttention: positionBias 'reference' needs key/value length Tk = 3 * numPositions = ${3 * numPositions} ` +
        `(the reference's bias repeated 3 times), got Tk = ${tk}; use positionBias 'aligned' for other lengths`,
    );
  }
  const sel = new Float32Array(tk * numPositions);
  for (let c = 0; c < tk; c++) {
    const row = layout === 'reference' ? Math.floor(c / 3) : c % numPositions;
    sel[c * numPositions + row] = 1;
  }
  return sel;
}

/**
 * The score bias [1, k, 1, Tk] for slot s and source column c: weight[row(c), s] / scale (scale = headDim^-0.5,
 * so the bias is multiplied by sqrt(headDim), as the reference adds it after q was scaled).
 */
export function positionBiasScores(
  weight: tf.Tensor2D,
  layout: 'reference' | 'aligned',
  tk: number,
  headDim: number,
): tf.Tensor4D {
  const [numPositions, k] = weight.shape;
  const sel = tf.tensor2d(positionSelection(layout, tk, numPositions), [tk, numPositions]);
  const perColumn = matMul(weight, sel, true, true); // [k, Tk]
  return tf.reshape(tf.mul(perColumn, Math.sqrt(headDim)), [1, k, 1, tk]);
}
