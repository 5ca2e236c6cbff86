import * as tf from '@tensorflow/tfjs-core';

/** Pad widths for the two spatial axes of an NHWC tensor: [[top, bottom], [left, right]]. */
export type SpatialPads = [[number, number], [number, number]];

function reflectAxis(x: tf.Tensor4D, axis: 1 | 2, before: number, after: number): tf.Tensor4D {
  const n = x.shape[axis];
  if (before === 0 && after === 0) return x;
  if (before < 0 || after < 0 || before >= n || after >= n) {
    throw new Error(
      `reflectPad: pad widths (${before}, ${after}) on axis ${axis} must be >= 0 and < the input size ${n} (PyTorch 'reflect' rule)`,
    );
  }
  const parts: tf.Tensor4D[] = [];
  const take = (start: number, size: number): tf.Tensor4D => {
    const begin = [0, 0, 0, 0];
    const sz = [-1, -1, -1, -1];
    begin[axis] = start;
    sz[axis] = size;
    return tf.slice(x, begin, sz);
  };
  // Built from slice/reverse/concat so autodiff is exact: tfjs's MirrorPad gradient drops the reflected border.
  if (before > 0) parts.push(tf.reverse(take(1, before), axis));
  parts.push(x);
  if (after > 0) parts.push(tf.reverse(take(n - 1 - after, after), axis));
  return tf.concat(parts, axis);
}

/** PyTorch `padding_mode='reflect'` (edge not repeated) on an NHWC tensor, with a correct gradient on every backend. */
export function reflectPad(x: tf.Tensor4D, pads: SpatialPads): tf.Tensor4D {
  if (x.rank !== 4) throw new Error(`reflectPad: expected an NHWC tensor of rank 4, got shape [${x.shape}]`);
  return tf.tidy(() => {
    const y = reflectAxis(reflectAxis(x, 1, pads[0][0], pads[0][1]), 2, pads[1][0], pads[1][1]);
    // A fresh tensor even for zero pads, so disposing the result never disposes the input.
    return y === x ? tf.clone(x) : y;
  });
}
