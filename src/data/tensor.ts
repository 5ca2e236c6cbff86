import * as tf from '@tensorflow/tfjs-core';
import { assertRgbImage, type RgbImage } from './image';
import type { Batch } from './loader';

/** An image as a `[1, H, W, 3]` tensor. */
export function imageToTensor(img: RgbImage): tf.Tensor4D {
  assertRgbImage(img);
  return tf.tensor4d(img.data, [1, img.height, img.width, 3], 'float32');
}

/** Image `index` of an NHWC tensor with 3 channels, as an {@link RgbImage} (values as they are, not clipped). */
export function tensorToImage(t: tf.Tensor, index = 0): RgbImage {
  if (t.rank !== 4 || t.shape[3] !== 3)
    throw new Error(`tensorToImage: expected [N,H,W,3], got [${t.shape.join(',')}]`);
  const [n, h, w] = t.shape as [number, number, number, number];
  if (index < 0 || index >= n) throw new Error(`tensorToImage: index ${index} out of range for batch ${n}`);
  const slice = tf.tidy(() => tf.slice(t, [index, 0, 0, 0], [1, h, w, 3]));
  const data = slice.dataSync() as Float32Array;
  slice.dispose();
  return { width: w, height: h, data: Float32Array.from(data) };
}

/** A batch's arrays as tensors (the caller disposes them). */
export function batchToTensors(batch: Batch): { input: tf.Tensor4D; target: tf.Tensor4D } {
  return {
    input: tf.tensor4d(batch.input, batch.shape, 'float32'),
    target: tf.tensor4d(batch.target, batch.shape, 'float32'),
  };
}
