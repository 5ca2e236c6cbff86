import * as tf from '@tensorflow/tfjs-core';
import { reflectPad } from '../ops/index';

/**
 * Reflect-pads the bottom/right of images [B, H, W, C] up to multiples of `multiple`. PyTorch's reflect needs a pad
 * smaller than the size, so tiny images are padded in several reflections.
 */
export function padToMultiple(images: tf.Tensor4D, multiple: number): tf.Tensor4D {
  const [, h, w] = images.shape;
  const targetH = Math.ceil(h / multiple) * multiple;
  const targetW = Math.ceil(w / multiple) * multiple;
  if (targetH === h && targetW === w) return tf.clone(images);
  return tf.tidy(() => {
    let x = images;
    while (x.shape[1] < targetH || x.shape[2] < targetW) {
      const ph = Math.min(targetH - x.shape[1], x.shape[1] - 1);
      const pw = Math.min(targetW - x.shape[2], x.shape[2] - 1);
      if ((ph <= 0 && x.shape[1] < targetH) || (pw <= 0 && x.shape[2] < targetW)) {
        // A 1-pixel side cannot be reflected: repeat it.
        x = tf.tile(x, [1, x.shape[1] < targetH && ph <= 0 ? 2 : 1, x.shape[2] < targetW && pw <= 0 ? 2 : 1, 1]);
        continue;
      }
      x = reflectPad(x, [
        [0, Math.max(ph, 0)],
        [0, Math.max(pw, 0)],
      ]);
    }
    return tf.slice(x, [0, 0, 0, 0], [-1, targetH, targetW, -1]) as tf.Tensor4D;
  });
}

/** The top-left H x W of x. */
export function cropTo(x: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  if (x.shape[1] === height && x.shape[2] === width) return x;
  return tf.slice(x, [0, 0, 0, 0], [-1, height, width, -1]);
}
