import * as tf from '@tensorflow/tfjs-core';
import { meanAll } from './reduce';
import { matMul, stopGradient } from '../ops';
import { assertImagePair, zeroIfNaN } from './checks';

/** sRGB (D65) -> XYZ, rows X, Y, Z. */
const RGB_TO_XYZ = [
  [0.4124564, 0.3575761, 0.1804375],
  [0.2126729, 0.7151522, 0.072175],
  [0.0193339, 0.119192, 0.9503041],
];
const D65_WHITE = [0.95047, 1.0, 1.08883];

/** `where(cond(stopGradient(x)), a, b)`: comparisons have no tfjs gradient, so the mask is built off the tape. */
function select(x: tf.Tensor, cond: (x: tf.Tensor) => tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.where(cond(stopGradient(x)), a, b);
}

/**
 * The (a*, b*) channels [B, H, W, 2] of CIE Lab for NHWC RGB in [0, 1], as the reference's `LABColorLoss.rgb_to_lab`:
 * input clamped to [0, 1], sRGB linearisation, D65 matrix, white-point division, XYZ clamped to [1e-8, 10],
 * f(t) = t^(1/3) above 0.008856 else 7.787 t + 16/116, a* = 500 (fx - fy), b* = 200 (fy - fz), both clamped to ±128.
 * L* is not computed: the loss does not use it.
 */
export function rgbToLabAB(rgb: tf.Tensor4D): tf.Tensor4D {
  if (rgb.rank !== 4 || rgb.shape[3] !== 3)
    throw new Error(`rgbToLabAB: expected NHWC RGB [B, H, W, 3], got [${rgb.shape}]`);
  return tf.tidy(() => {
    const c = tf.clipByValue(rgb, 0, 1);
    const linear = select(
      c,
      (s) => tf.lessEqual(s, 0.04045),
      tf.div(c, 12.92),
      tf.pow(tf.div(tf.add(c, 0.055), 1.055), 2.4),
    );
    // xyz[p, j] = sum_i linear[p, i] * M[j][i], then / white[j] (same order as the reference, for float32 parity).
    const m = tf.tensor2d(RGB_TO_XYZ, [3, 3]);
    const xyz = tf.clipByValue(tf.div(matMul(tf.reshape(linear, [-1, 3]), m, false, true), D65_WHITE), 1e-8, 10);
    const f = select(xyz, (s) => tf.greater(s, 0.008856), tf.pow(xyz, 1 / 3), tf.add(tf.mul(xyz, 7.787), 16 / 116));
    const [fx, fy, fz] = tf.split(f, 3, 1);
    const a = tf.clipByValue(tf.mul(tf.sub(fx!, fy!), 500), -128, 128);
    const b = tf.clipByValue(tf.mul(tf.sub(fy!, fz!), 200), -128, 128);
    const [bs, h, w] = rgb.shape;
    return tf.reshape(tf.concat([a, b], 1), [bs, h, w, 2]) as tf.Tensor4D;
  });
}

/**
 * The reference's LAB colour loss: mean over pixels of |Δa*| + |Δb*| (see `rgbToLabAB`); NaN -> 0.
 * Unlike the reference (which returns 0), a shape mismatch throws.
 */
export function labColorLoss(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  assertImagePair('labColorLoss', pred, target, true);
  return tf.tidy(() => {
    const d = tf.abs(tf.sub(rgbToLabAB(pred as tf.Tensor4D), rgbToLabAB(target as tf.Tensor4D)));
    // mean(|Δa| + |Δb|) over pixels == 2 * mean over both channels.
    // NaN inputs -> 0 (checked on the inputs: the [0, 1] clamp maps NaN to a bound on wasm). Infinite inputs are
    // clamped to 0 or 1 and scored, as in the reference.
    const inputs = tf.concat([tf.reshape(pred, [-1]), tf.reshape(target, [-1])]);
    return zeroIfNaN(tf.mul(meanAll(d), 2) as tf.Scalar, inputs);
  });
}
