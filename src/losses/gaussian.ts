import * as tf from '@tensorflow/tfjs-core';
import { conv2d, reflectPad } from '../ops';

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

function filterAxis(x: tf.Tensor4D, kernel: number[], axis: 1 | 2): tf.Tensor4D {
  const c = x.shape[3];
  if (c === 1) {
    // One channel: a frozen-filter conv (fast on wasm, exact input gradient via ops.conv2d).
    const shape: [number, number, number, number] = axis === 1 ? [kernel.length, 1, 1, 1] : [1, kernel.length, 1, 1];
    return conv2d(x, tf.tensor4d(kernel, shape), { filterGradient: false });
  }
  const n = x.shape[axis] - kernel.length + 1;
  const size: [number, number, number, number] = [-1, -1, -1, -1];
  size[axis] = n;
  // A weighted sum of shifted slices: exact gradients on every backend, and cheaper than a dense conv for a
  // per-channel (depthwise) separable filter.
  const taps = kernel.map((k, i) => {
    const begin: [number, number, number, number] = [0, 0, 0, 0];
    begin[axis] = i;
    return tf.mul(tf.slice(x, begin, size), k);
  });
  return tf.addN(taps) as tf.Tensor4D;
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
