import * as tf from '@tensorflow/tfjs-core';
import { checkImage, checkMap } from './color-matrix';
import type { IspOp } from './op';

/**
 * The reference's per-pixel gamma: clamp((L + eps) ^ (1 + gammaMap), eps, 1).
 * image [B, H, W, 3] with values >= 0 (negative ones give NaN), gammaMap [B, H, W, 1] (the increment Δ; the exponent
 * is 1 + Δ).
 */
export function applyGamma(image: tf.Tensor4D, gammaMap: tf.Tensor4D, epsilon = 1e-5): tf.Tensor4D {
  checkImage(image, 'applyGamma');
  checkMap(gammaMap, image, 1, 'applyGamma', 'gammaMap');
  // (L + eps)^(1 + g) as exp((1 + g) * log(L + eps)): the same values for a positive base, at a fifth of wasm's Pow
  // time (whose gradient runs Pow twice more). A negative base gives NaN here even where pow is finite (an integral
  // exponent); the ISP applies gamma to the colour stage's output, clipped to [1e-5, 1].
  return tf.tidy(
    () =>
      tf.clipByValue(tf.exp(tf.mul(tf.log(tf.add(image, epsilon)), tf.add(gammaMap, 1))), epsilon, 1) as tf.Tensor4D,
  );
}

/** Gamma: map = increment Δ [B, H, W, 1]; shown as the exponent 1 + Δ. Reference decoder isp_1. */
export const gammaOp: IspOp = {
  name: 'gamma',
  channels: 1,
  applyOrder: 1,
  decoder: { outputBiasInit: 0, defaults: { hiddenSizes: [96, 64, 32], dropout: 0.05 } },
  paramSmoothing: false,
  reference: { index: 1, mapRecord: 'gamma_map', afterRecord: 'after_gamma' },
  apply: (image, map) => applyGamma(image, map),
  display: (map) => ({ gammaExponent: tf.add(map, 1) as tf.Tensor4D }),
  heatmap: { display: 'gammaExponent', title: 'GAMMA' },
};
