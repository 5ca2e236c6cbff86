import * as tf from '@tensorflow/tfjs-core';
import { applyColorMatrix, type ColorMatrixOptions } from './color-matrix';
import { applyGamma } from './gamma';
import { applySaturation } from './saturation';

export interface IspMaps {
  /** Gamma increment Δ [B, H, W, 1] (exponent 1 + Δ). */
  gamma: tf.Tensor4D;
  /** Colour-matrix parameters [B, H, W, 9] (M = I + 0.5 * params). */
  color: tf.Tensor4D;
  /** Saturation logits [B, H, W, 1] (factor 1.5 + 0.4 tanh). */
  saturation: tf.Tensor4D;
}

/**
 * The reference ISP, in its order: colour matrix -> gamma -> saturation. image [B, H, W, 3] in [0, 1] -> [B, H, W, 3].
 * `record` (optional) receives 'after_color' and 'after_gamma'.
 */
export function applyIsp(
  image: tf.Tensor4D,
  maps: IspMaps,
  options: { color?: ColorMatrixOptions; record?: (name: string, value: tf.Tensor) => void } = {},
): tf.Tensor4D {
  return tf.tidy(() => {
    const afterColor = applyColorMatrix(image, maps.color, options.color);
    options.record?.('after_color', afterColor);
    const afterGamma = applyGamma(afterColor, maps.gamma);
    options.record?.('after_gamma', afterGamma);
    return applySaturation(afterGamma, maps.saturation);
  });
}
