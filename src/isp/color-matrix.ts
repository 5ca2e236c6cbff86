import * as tf from '@tensorflow/tfjs-core';
import { stopGradient } from '../ops/index';

export interface ColorMatrixOptions {
  /** M = I + residualScale * params. Default 0.5 (the reference's ColorTransform). */
  residualScale?: number;
  /** Matrix entries are clamped to [-limit, limit]. Default 3. */
  limit?: number;
}

function checkImage(image: tf.Tensor, fn: string): void {
  if (image.rank !== 4 || image.shape[3] !== 3) {
    throw new Error(`${fn}: image must be [B, H, W, 3], got [${image.shape}]`);
  }
}

function checkMap(map: tf.Tensor, image: tf.Tensor, channels: number, fn: string, what: string): void {
  const [b, h, w] = image.shape;
  if (map.rank !== 4 || map.shape[0] !== b || map.shape[1] !== h || map.shape[2] !== w || map.shape[3] !== channels) {
    throw new Error(`${fn}: ${what} must be [${b}, ${h}, ${w}, ${channels}] to match the image, got [${map.shape}]`);
  }
}

export { checkImage, checkMap };

/**
 * The per-pixel colour matrix M [B, H, W, 9] (row-major 3x3) that the reference applies: clamp(I + s * params, ±limit).
 */
export function colorMatrixFromParams(params: tf.Tensor4D, options: ColorMatrixOptions = {}): tf.Tensor4D {
  const s = options.residualScale ?? 0.5;
  const limit = options.limit ?? 3;
  if (params.rank !== 4 || params.shape[3] !== 9)
    throw new Error(`colorMatrixFromParams: params must be [B, H, W, 9], got [${params.shape}]`);
  return tf.tidy(() => {
    const identity = tf.tensor1d([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    return tf.clipByValue(tf.add(identity, tf.mul(params, s)), -limit, limit) as tf.Tensor4D;
  });
}

/**
 * The reference ColorTransform: each pixel (a row vector) times its own 3x3 matrix, out_j = Σ_i in_i M[i][j] with
 * M = clamp(I + 0.5 * params, ±3); NaN/Inf results fall back to the input value; clamped to [1e-5, 1].
 * image [B, H, W, 3], params [B, H, W, 9] -> [B, H, W, 3].
 */
export function applyColorMatrix(
  image: tf.Tensor4D,
  params: tf.Tensor4D,
  options: ColorMatrixOptions = {},
): tf.Tensor4D {
  checkImage(image, 'applyColorMatrix');
  checkMap(params, image, 9, 'applyColorMatrix', 'params');
  return tf.tidy(() => {
    const [b, h, w] = image.shape;
    const m = tf.reshape(colorMatrixFromParams(params, options), [b, h, w, 3, 3]);
    const out = tf.sum(tf.mul(tf.expandDims(image, -1), m), 3);
    const probe = stopGradient(out);
    // PyTorch's clamp keeps NaN, some tfjs backends (wasm) do not: a NaN parameter in column j must still poison out_j.
    const nanColumns = tf.any(tf.reshape(tf.isNaN(stopGradient(params)), [b, h, w, 3, 3]), 3);
    const bad = tf.logicalOr(tf.logicalOr(tf.isNaN(probe), tf.isInf(probe)), nanColumns);
    return tf.clipByValue(tf.where(bad, image, out), 1e-5, 1) as tf.Tensor4D;
  });
}

/**
 * Colour-correction strength per pixel as the reference's `return_isp_params` reports it: ‖off-diagonal‖ /
 * (‖diagonal‖ + 1e-8) of the raw 3x3 parameter matrix. params [B, H, W, 9] -> [B, H, W, 1].
 */
export function colorCorrectionStrength(params: tf.Tensor4D): tf.Tensor4D {
  if (params.rank !== 4 || params.shape[3] !== 9)
    throw new Error(`colorCorrectionStrength: params must be [B, H, W, 9], got [${params.shape}]`);
  return tf.tidy(() => {
    const diagMask = tf.tensor1d([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const sq = tf.square(params);
    const diag = tf.sqrt(tf.sum(tf.mul(sq, diagMask), -1, true));
    const off = tf.sqrt(tf.sum(tf.mul(sq, tf.sub(1, diagMask)), -1, true));
    return tf.div(off, tf.add(diag, 1e-8)) as tf.Tensor4D;
  });
}
