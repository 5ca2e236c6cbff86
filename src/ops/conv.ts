import * as tf from '@tensorflow/tfjs-core';
import { withGradient } from './gradient';

/** Zero padding: a number (all sides), 'same' / 'valid', or explicit [[top, bottom], [left, right]]. */
export type ConvPadding = number | 'same' | 'valid' | [[number, number], [number, number]];

export interface Conv2dOptions {
  /** Stride on both axes or [strideH, strideW]. Default 1. */
  strides?: number | [number, number];
  /** Zero padding. Default 0 ('valid'). */
  padding?: ConvPadding;
}

type Pads = [[number, number], [number, number]];

function explicitPads(
  padding: ConvPadding,
  kh: number,
  kw: number,
  h: number,
  w: number,
  sh: number,
  sw: number,
): Pads {
  if (padding === 'valid')
    return [
      [0, 0],
      [0, 0],
    ];
  if (typeof padding === 'number')
    return [
      [padding, padding],
      [padding, padding],
    ];
  if (padding === 'same') {
    // TensorFlow's rule: the extra pixel goes to the bottom/right.
    const ph = Math.max((Math.ceil(h / sh) - 1) * sh + kh - h, 0);
    const pw = Math.max((Math.ceil(w / sw) - 1) * sw + kw - w, 0);
    return [
      [Math.floor(ph / 2), ph - Math.floor(ph / 2)],
      [Math.floor(pw / 2), pw - Math.floor(pw / 2)],
    ];
  }
  return padding;
}

/** Output size of a convolution on one axis. */
export function convOutSize(size: number, k: number, stride: number, before: number, after: number): number {
  return Math.floor((size + before + after - k) / stride) + 1;
}

/**
 * im2col: [B, H, W, C] (already padded) -> [B*Ho*Wo, kh*kw*C], column order (i, j, c) so that it multiplies a filter
 * reshaped from [kh, kw, C, Cout].
 */
function patches(xp: tf.Tensor4D, kh: number, kw: number, sh: number, sw: number, ho: number, wo: number): tf.Tensor2D {
  const [b, , , c] = xp.shape;
  if (kh === 1 && kw === 1 && sh === 1 && sw === 1) return tf.reshape(xp, [b * ho * wo, c]) as tf.Tensor2D;
  if (kh === sh && kw === sw) {
    // Non-overlapping patches (patch embedding): a reshape + transpose, no copies per tap.
    const cropped = tf.slice(xp, [0, 0, 0, 0], [b, ho * sh, wo * sw, c]);
    const r = tf.transpose(tf.reshape(cropped, [b, ho, sh, wo, sw, c]), [0, 1, 3, 2, 4, 5]);
    return tf.reshape(r, [b * ho * wo, kh * kw * c]);
  }
  const taps: tf.Tensor4D[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      taps.push(
        sh === 1 && sw === 1
          ? tf.slice(xp, [0, i, j, 0], [b, ho, wo, c])
          : (tf.stridedSlice(xp, [0, i, j, 0], [b, i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1, c], [1, sh, sw, 1]) as tf.Tensor4D),
      );
    }
  }
  return tf.reshape(tf.concat(taps, 3), [b * ho * wo, kh * kw * c]);
}

/**
 * 2-D convolution, NHWC input, filter [kh, kw, Cin, Cout], zero padding, with a filter gradient computed as an
 * im2col matMul so it works on wasm (no Conv2DBackpropFilter kernel) and is much faster than the cpu backend's.
 * On tfjs-node the native conv and its native gradients are used.
 */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, options: Conv2dOptions = {}): tf.Tensor4D {
  if (x.rank !== 4) throw new Error(`conv2d: expected an NHWC input of rank 4, got shape [${x.shape}]`);
  if (filter.rank !== 4) throw new Error(`conv2d: expected a filter [kh, kw, Cin, Cout], got shape [${filter.shape}]`);
  const [kh, kw, cin, cout] = filter.shape;
  const [, h, w, c] = x.shape;
  if (c !== cin)
    throw new Error(
      `conv2d: input has ${c} channels but the filter expects Cin = ${cin} (filter shape [${filter.shape}])`,
    );
  const s = options.strides ?? 1;
  const [sh, sw] = typeof s === 'number' ? [s, s] : s;
  const pads = explicitPads(options.padding ?? 0, kh, kw, h, w, sh, sw);
  const ho = convOutSize(h, kh, sh, pads[0][0], pads[0][1]);
  const wo = convOutSize(w, kw, sw, pads[1][0], pads[1][1]);
  if (ho <= 0 || wo <= 0) throw new Error(`conv2d: input [${x.shape}] is too small for a ${kh}x${kw} kernel`);
  const tfPad: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    pads[0],
    pads[1],
    [0, 0],
  ];
  if (tf.getBackend() === 'tensorflow') return tf.conv2d(x, filter, [sh, sw], tfPad);

  return withGradient(
    [x, filter],
    (xi, fi) => tf.conv2d(xi as tf.Tensor4D, fi as tf.Tensor4D, [sh, sw], tfPad),
    (dy4, saved) => {
      const [xs, fs] = saved as [tf.Tensor4D, tf.Tensor4D];
      const b = xs.shape[0];
      const dx = tf.tidy(() => {
        if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && pads[0][0] + pads[0][1] + pads[1][0] + pads[1][1] === 0) {
          return tf.reshape(tf.matMul(tf.reshape(dy4, [-1, cout]), tf.reshape(fs, [cin, cout]), false, true), xs.shape);
        }
        return tf.conv2dTranspose(dy4, fs, xs.shape, [sh, sw], tfPad as never);
      });
      const dw = tf.tidy(() => {
        const xp = tf.pad(xs, tfPad);
        const cols = patches(xp, kh, kw, sh, sw, ho, wo);
        const g = tf.reshape(dy4, [b * ho * wo, cout]);
        return tf.reshape(tf.matMul(cols, g, true, false), [kh, kw, cin, cout]);
      });
      return [dx, dw];
    },
  );
}
