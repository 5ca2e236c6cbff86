import * as tf from '@tensorflow/tfjs-core';
import { fusableBias } from './fusable-bias';
import { withGradient } from './gradient';
import { sumRows } from './matmul';

/** Zero padding: a number (all sides), 'same' / 'valid', or explicit [[top, bottom], [left, right]]. */
export type ConvPadding = number | 'same' | 'valid' | [[number, number], [number, number]];

export interface Conv2dOptions {
  /** Stride on both axes or [strideH, strideW]. Default 1. */
  strides?: number | [number, number];
  /** Zero padding. Default 0 ('valid'). */
  padding?: ConvPadding;
  /**
   * Compute the filter's gradient (default true). False for frozen filters (e.g. VGG features): the backward pass
   * then computes only the input gradient, halving its cost.
   */
  filterGradient?: boolean;
  /** Bias [Cout], added inside the conv kernel (tfjs FusedConv2D). With `filterGradient: false` it is a constant too. */
  bias?: tf.Tensor1D;
  /** 'relu' after the bias, inside the same kernel. Default 'linear'. */
  activation?: 'linear' | 'relu';
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
 * 2-D convolution, NHWC input, filter [kh, kw, Cin, Cout], zero padding, with a filter gradient computed as a
 * dilated forward conv (`filterGradient`) so it works on wasm (no Conv2DBackpropFilter kernel) and is much faster
 * than the cpu backend's. On tfjs-node the native conv and its native gradients are used.
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
  const { bias, activation = 'linear' } = options;
  if (bias && (bias.rank !== 1 || bias.shape[0] !== cout)) {
    throw new Error(`conv2d: bias must be [${cout}] (Cout), got [${bias.shape}]`);
  }
  // tfjs-node: its fused op and native gradients.
  if (tf.getBackend() === 'tensorflow') {
    return bias || activation !== 'linear'
      ? tf.fused.conv2d({ x, filter, strides: [sh, sw], pad: tfPad, bias, activation })
      : tf.conv2d(x, filter, [sh, sw], tfPad);
  }
  // The kernel itself: tf.fused.conv2d runs conv, add and relu separately whenever a gradient is being taken.
  const fused = (xi: tf.Tensor, fi: tf.Tensor, bi?: tf.Tensor) =>
    tf.engine().runKernel('FusedConv2D', { x: xi, filter: fi, ...(bi ? { bias: bi } : {}) }, {
      strides: [sh, sw],
      pad: tfPad,
      dataFormat: 'NHWC',
      dilations: [1, 1],
      activation,
    } as unknown as tf.NamedAttrMap) as tf.Tensor4D;

  const geom: ConvGeometry = { kh, kw, cin, cout, sh, sw, pads, ho, wo };
  const forward = (xi: tf.Tensor, fi: tf.Tensor, bi?: tf.Tensor) => {
    if (!bi && activation === 'linear') return tf.conv2d(xi as tf.Tensor4D, fi as tf.Tensor4D, [sh, sw], tfPad);
    if (!bi || fusableBias(bi as tf.Tensor1D)) return fused(xi, fi, bi);
    const y = tf.add(tf.conv2d(xi as tf.Tensor4D, fi as tf.Tensor4D, [sh, sw], tfPad), bi);
    return (activation === 'relu' ? tf.relu(y) : y) as tf.Tensor4D;
  };
  const relu = activation === 'relu';
  // dL/d(pre-activation): the ReLU passes dy where its output is positive (the output is saved, not the input).
  const preGrad = (dy: tf.Tensor4D, saved: tf.Tensor[]) =>
    relu ? (tf.mul(dy, tf.step(saved[saved.length - 1]!)) as tf.Tensor4D) : dy;
  if (options.filterGradient === false) {
    // The filter (and bias) are constants: saved for the input gradient, never differentiated.
    return withGradient(
      [x],
      (xi) => forward(xi!, filter, bias),
      (dy4, saved) => {
        const [xs, fs] = saved as [tf.Tensor4D, tf.Tensor4D];
        return [inputGradient(preGrad(dy4, saved), fs, xs.shape, geom)];
      },
      bias ? [filter, bias] : [filter],
      relu,
    );
  }
  return withGradient(
    bias ? [x, filter, bias] : [x, filter],
    (xi, fi, bi) => forward(xi!, fi!, bi),
    (dy4, saved) => {
      const [xs, fs] = saved as [tf.Tensor4D, tf.Tensor4D];
      const g = preGrad(dy4, saved);
      const grads: tf.Tensor[] = [inputGradient(g, fs, xs.shape, geom), filterGradient(g, xs, geom)];
      if (bias) grads.push(sumRows(g));
      return grads;
    },
    [],
    relu,
  );
}

interface ConvGeometry {
  kh: number;
  kw: number;
  cin: number;
  cout: number;
  sh: number;
  sw: number;
  pads: Pads;
  ho: number;
  wo: number;
}

/**
 * dL/dx. On wasm, Conv2DBackpropInput (conv2dTranspose) runs ~10x slower than a forward conv of the same size, so:
 * stride 1 -> a forward conv of the padded dy with the flipped, in/out-swapped filter; kernel == stride (patch
 * embedding) -> one plain matMul and a reshuffle; anything else -> conv2dTranspose.
 */
function inputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  xShape: [number, number, number, number],
  g: ConvGeometry,
): tf.Tensor4D {
  const { kh, kw, cin, cout, sh, sw, pads, ho, wo } = g;
  const [b, h, w] = xShape;
  return tf.tidy((): tf.Tensor4D => {
    if (sh === 1 && sw === 1) {
      const fullPads: Pads = [
        [kh - 1 - pads[0][0], kh - 1 - pads[0][1]],
        [kw - 1 - pads[1][0], kw - 1 - pads[1][1]],
      ];
      if (fullPads.flat().every((p) => p >= 0)) {
        if (kh === 1 && kw === 1) {
          return tf.reshape(
            matMul2d(tf.reshape(dy, [-1, cout]), tf.transpose(tf.reshape(filter, [cin, cout]))),
            xShape,
          );
        }
        const flipped = tf.transpose(flipSpatial(filter), [0, 1, 3, 2]) as tf.Tensor4D;
        return tf.conv2d(dy, flipped, 1, [[0, 0], fullPads[0], fullPads[1], [0, 0]]);
      }
    }
    if (kh === sh && kw === sw && pads.flat().every((p) => p === 0)) {
      // Non-overlapping patches: each dy row spreads to one kh x kw x Cin patch.
      const cols = matMul2d(tf.reshape(dy, [-1, cout]), tf.transpose(tf.reshape(filter, [kh * kw * cin, cout])));
      const grid = tf.transpose(tf.reshape(cols, [b, ho, wo, kh, kw, cin]), [0, 1, 3, 2, 4, 5]);
      const covered = tf.reshape(grid, [b, ho * kh, wo * kw, cin]);
      // Rows/columns the conv never read (size not a multiple of the stride) get zero gradient.
      return tf.pad(covered as tf.Tensor4D, [
        [0, 0],
        [0, h - ho * kh],
        [0, w - wo * kw],
        [0, 0],
      ]);
    }
    const tfPad = [[0, 0], pads[0], pads[1], [0, 0]] as [
      [number, number],
      [number, number],
      [number, number],
      [number, number],
    ];
    return tf.conv2dTranspose(dy, filter, xShape, [sh, sw], tfPad as never);
  });
}

/**
 * dL/dW[i, j, c, o] = Σ_{b, y, x} xp[b, s·y + i, s·x + j, c] · dy[b, y, x, o], computed as a forward conv with batch and
 * channels swapped: input xpᵀ [Cin, H', W', B], filter dyᵀ [Ho, Wo, B, Cout], dilation = stride -> [Cin, kh, kw, Cout].
 * wasm has no Conv2DBackpropFilter, and this is ~15x faster than an im2col product there.
 */
function filterGradient(dy: tf.Tensor4D, x: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const { kh, kw, cin, cout, sh, sw, pads, ho, wo } = g;
  return tf.tidy(() => {
    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && pads.flat().every((p) => p === 0)) {
      return tf.reshape(matMul2d(tf.transpose(tf.reshape(x, [-1, cin])), tf.reshape(dy, [-1, cout])), [
        1,
        1,
        cin,
        cout,
      ]);
    }
    const xp = tf.pad(x, [[0, 0], pads[0], pads[1], [0, 0]]);
    // Only the rows/columns the forward conv actually read.
    const used = tf.slice(xp, [0, 0, 0, 0], [-1, (ho - 1) * sh + kh, (wo - 1) * sw + kw, -1]);
    const xT = tf.transpose(used, [3, 1, 2, 0]) as tf.Tensor4D;
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const out = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', [sh, sw]);
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}

function matMul2d(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
}

/** filter[kh-1-i, kw-1-j] via split + concat of the kh*kw taps: tf.reverse is ~90x slower on the cpu backend. */
function flipSpatial(filter: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw] = filter.shape;
  const taps = tf.split(tf.reshape(filter, [kh * kw, -1]), kh * kw, 0).reverse();
  return tf.reshape(tf.concat(taps, 0), filter.shape);
}
