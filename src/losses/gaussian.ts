import * as tf from '@tensorflow/tfjs-core';
import { reflectPad, withGradient } from '../ops';

/** Normalised 1-D Gaussian of `size` taps centred on the middle tap (kornia's `get_gaussian_kernel1d`). */
export function gaussianKernel1d(size: number, sigma: number): number[] {
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`gaussianKernel1d: size must be a positive integer, got ${size}`);
  if (!(sigma > 0)) throw new Error(`gaussianKernel1d: sigma must be > 0, got ${sigma}`);
  const half = Math.floor(size / 2);
  const offset = size % 2 === 0 ? 0.5 : 0;
  const g = Array.from({ length: size }, (_, i) => Math.exp(-((i - half + offset) ** 2) / (2 * sigma * sigma)));
  const sum = g.reduce((a, b) => a + b, 0);
  return g.map((v) => v / sum);
}

/**
 * Valid correlation of every channel of NHWC `x` with `kernel` along `axis`: a depthwise conv with a frozen filter.
 * wasm has the depthwise forward (XNNPACK) but no gradient kernels, so the input gradient is written here: the
 * correlation of dy, zero-padded by k-1, with the reversed kernel. (Single-channel dense convs and sums of shifted
 * slices measured ~10x slower for SSIM's 11-tap Gaussian.)
 */
function filterAxis(x: tf.Tensor4D, kernel: number[], axis: 1 | 2): tf.Tensor4D {
  const c = x.shape[3];
  const k = kernel.length;
  const taps = (values: number[]) =>
    tf.tile(tf.tensor4d(values, axis === 1 ? [k, 1, 1, 1] : [1, k, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
  const pads: [number, number][] = [
    [0, 0],
    [0, 0],
    [0, 0],
    [0, 0],
  ];
  pads[axis] = [k - 1, k - 1];
  return withGradient(
    [x],
    (xi) => tf.tidy(() => tf.depthwiseConv2d(xi as tf.Tensor4D, taps(kernel), 1, 'valid')),
    (dy) => [
      tf.tidy(() => tf.depthwiseConv2d(tf.pad(dy, pads) as tf.Tensor4D, taps([...kernel].reverse()), 1, 'valid')),
    ],
  );
}

/**
 * Per-channel separable filtering of an NHWC tensor with a symmetric odd-length 1-D kernel on both axes,
 * after PyTorch-style reflect padding ('same' output size, like kornia's `filter2d` with border_type 'reflect').
 */
export function separableFilterReflect(x: tf.Tensor4D, kernel: number[]): tf.Tensor4D {
  if (kernel.length % 2 !== 1)
    throw new Error(`separableFilterReflect: kernel length must be odd, got ${kernel.length}`);
  const r = (kernel.length - 1) / 2;
  const [, h, w] = x.shape;
  if (h <= r || w <= r) {
    throw new Error(
      `separableFilterReflect: image ${h}x${w} is too small for a ${kernel.length}-tap reflect-padded window (H and W must be > ${r})`,
    );
  }
  return tf.tidy(() => {
    const padded = reflectPad(x, [
      [r, r],
      [r, r],
    ]);
    return filterAxis(filterAxis(padded, kernel, 1), kernel, 2);
  });
}
