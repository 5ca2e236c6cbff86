import * as tf from '@tensorflow/tfjs-core';
import { hsvToRgbPlanes, mergeChannels, rgbToHsvPlanes, splitChannels } from '../ops/index';
import { checkImage, checkMap } from './color-matrix';
import type { IspOp } from './op';

/** The saturation factor the reference uses: 1.5 + 0.4 * tanh(map), always in (1.1, 1.9). */
export function saturationFactor(saturationMap: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(1.5, tf.mul(tf.tanh(saturationMap), 0.4)));
}

/**
 * The reference's per-pixel saturation boost (contrast_enhancement_pixelwise): RGB -> HSV (kornia 0.8), S times
 * 1.5 + 0.4 tanh(map) clamped to [0, 1], HSV -> RGB, clamped to [1e-8, 1].
 * image [B, H, W, 3] in [0, 1], saturationMap [B, H, W, 1].
 */
export function applySaturation(image: tf.Tensor4D, saturationMap: tf.Tensor4D): tf.Tensor4D {
  checkImage(image, 'applySaturation');
  checkMap(saturationMap, image, 1, 'applySaturation', 'saturationMap');
  return tf.tidy(() => {
    // Channel planes throughout: channel-last split/concat at full resolution is slow on wasm.
    const [h, s, v] = rgbToHsvPlanes(splitChannels(image));
    const boosted = tf.clipByValue(tf.mul(s, saturationFactor(saturationMap)), 0, 1);
    return tf.clipByValue(mergeChannels(hsvToRgbPlanes([h, boosted, v])), 1e-8, 1) as tf.Tensor4D;
  });
}

/** Saturation: map = logits [B, H, W, 1]; shown as the factor 1.5 + 0.4 tanh. Reference decoder isp_4. */
export const saturationOp: IspOp = {
  name: 'saturation',
  channels: 1,
  applyOrder: 2,
  decoder: { outputBiasInit: 1, defaults: { hiddenSizes: [96, 64, 32], dropout: 0.05 } },
  paramSmoothing: false,
  reference: { index: 4, mapRecord: 'saturation_map' },
  apply: (image, map) => applySaturation(image, map),
  display: (map) => ({ saturationFactor: saturationFactor(map) as tf.Tensor4D }),
  heatmap: { display: 'saturationFactor', title: 'SATURATION' },
};
