import * as tf from '@tensorflow/tfjs-core';
import { mergeChannels, splitChannels, stopGradient } from '../ops/index';
import type { IspOp } from './op';

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
    // Per-channel planes: channel-last reshapes/sums at full resolution are slow on wasm (see ops splitChannels).
    const m = splitChannels(colorMatrixFromParams(params, options));
    const raw = splitChannels(stopGradient(params));
    const x = splitChannels(image);
    const outs = [0, 1, 2].map((j) => {
      // Row-vector pixel: out_j = sum_i in_i * M[i][j], M[i][j] = param 3i + j.
      const out = tf.addN([0, 1, 2].map((i) => tf.mul(x[i]!, m[3 * i + j]!)));
      const probe = stopGradient(out);
      const nanColumn = tf.logicalOr(tf.logicalOr(tf.isNaN(raw[j]!), tf.isNaN(raw[3 + j]!)), tf.isNaN(raw[6 + j]!));
      const bad = tf.logicalOr(tf.logicalOr(tf.isNaN(probe), tf.isInf(probe)), nanColumn);
      return tf.where(bad, x[j]!, out);
    });
    return tf.clipByValue(mergeChannels(outs), 1e-5, 1) as tf.Tensor4D;
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

/**
 * Colour matrix: map = raw parameters [B, H, W, 9]; shown as the applied matrix and the correction strength.
 * Reference decoder isp_2, smoothed in parameter space.
 */
export const colorOp: IspOp = {
  name: 'color',
  channels: 9,
  applyOrder: 0,
  decoder: { outputBiasInit: 0, defaults: { hiddenSizes: [256, 384, 512, 576], dropout: 0.05 } },
  paramSmoothing: true,
  reference: {
    index: 2,
    mapRecord: 'color_params_map',
    afterRecord: 'after_color',
    applyFlops: { module: 'color_transform', macsPerPixel: 9 },
  },
  apply: (image, map, options) => applyColorMatrix(image, map, options.color),
  display: (map, options) => ({
    colorMatrix: colorMatrixFromParams(map, options.color),
    colorStrength: colorCorrectionStrength(map),
  }),
  heatmap: { display: 'colorStrength', title: 'COLOR CORRECTION' },
};
