import * as tf from '@tensorflow/tfjs-core';

/**
 * Interpolation matrix R [outSize, inSize] for 1-D linear resampling with PyTorch `align_corners=False`
 * (half-pixel centres, source coordinate clamped at 0, upper neighbour clamped to the last index, no antialias).
 */
export function bilinearMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Math.max((o + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const f = src - i0;
    m[o * inSize + i0] += 1 - f;
    m[o * inSize + i1] += f;
  }
  return m;
}

/**
 * Bilinear resize of an NHWC tensor to [outH, outW] with PyTorch `F.interpolate(mode='bilinear', align_corners=False)`
 * semantics, expressed as two matrix products so its gradient is exact on every backend (tfjs's ResizeBilinear
 * gradient ignores half-pixel centres).
 */
export function resizeBilinear(x: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  if (x.rank !== 4) throw new Error(`resizeBilinear: expected an NHWC tensor of rank 4, got shape [${x.shape}]`);
  const [outH, outW] = size;
  if (!(Number.isInteger(outH) && Number.isInteger(outW) && outH > 0 && outW > 0)) {
    throw new Error(`resizeBilinear: size must be two positive integers, got [${size}]`);
  }
  const [b, h, w, c] = x.shape;
  return tf.tidy(() => {
    let y: tf.Tensor = x;
    if (outH !== h) {
      const ry = tf.tensor2d(bilinearMatrix(h, outH), [outH, h]);
      // [outH, h] x [h, b*w*c] with the batch moved behind the row axis.
      const rows = tf.reshape(tf.transpose(y, [1, 0, 2, 3]), [h, b * w * c]);
      y = tf.transpose(tf.reshape(tf.matMul(ry, rows), [outH, b, w, c]), [1, 0, 2, 3]);
    }
    if (outW !== w) {
      const rx = tf.tensor2d(bilinearMatrix(w, outW), [outW, w]);
      const cols = tf.reshape(tf.transpose(y, [2, 0, 1, 3]), [w, b * outH * c]);
      y = tf.transpose(tf.reshape(tf.matMul(rx, cols), [outW, b, outH, c]), [1, 2, 0, 3]);
    }
    // A fresh tensor even when the size is unchanged, so disposing the result never disposes the input.
    return (y === x ? tf.clone(x) : y) as tf.Tensor4D;
  });
}
