import * as tf from '@tensorflow/tfjs-core';
import { ensureKernels } from '../kernels/wasm-overrides';
import { fusableBias } from './fusable-bias';
import { withGradient } from './gradient';

/** Swap the last two axes. */
function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 1] = x.rank - 2;
  perm[x.rank - 2] = x.rank - 1;
  return tf.transpose(x, perm);
}

/** Gradients of x [m, k] · w [k, n] for dy [m, n]: dy · wᵀ and xᵀ · dy, with explicit transposes (see matMul). */
function productGrads(dy: tf.Tensor, x: tf.Tensor, w: tf.Tensor): [tf.Tensor, tf.Tensor] {
  return [tf.matMul(dy, tf.transpose(w)), tf.matMul(tf.transpose(x), dy)];
}

/**
 * Matrix product a [..., m, k] · b [..., k, n] (b may also be a shared [k, n] matrix), whose forward and backward only
 * ever call tfjs's MatMul without transpose flags. On wasm (tfjs 4.22) a MatMul with transposeA or transposeB runs
 * ~10x slower than an explicit transpose followed by a plain product, and tfjs's own MatMul gradient uses both flags:
 * this is where training time on wasm goes.
 */
export function matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (a.rank < 2 || b.rank < 2)
    throw new Error(`matMul: operands must have rank >= 2, got [${a.shape}] and [${b.shape}]`);
  ensureKernels();
  return tf.tidy(() => {
    const a2 = transposeA ? swapLast(a) : a;
    const b2 = transposeB ? swapLast(b) : b;
    const k = a2.shape[a2.rank - 1]!;
    if (b2.shape[b2.rank - 2] !== k) {
      throw new Error(`matMul: inner dimensions differ: [${a2.shape}] · [${b2.shape}]`);
    }
    if (b2.rank === 2 && a2.rank > 2) {
      // Shared weight: fold the batch into rows so the weight gradient is one [k, M] · [M, n] product.
      const n = b2.shape[1]!;
      const rows = tf.reshape(a2, [-1, k]);
      const y = withGradient(
        [rows, b2],
        (r, w) => tf.matMul(r as tf.Tensor2D, w as tf.Tensor2D),
        (dy, [r, w]) => productGrads(dy, r!, w!),
      );
      return tf.reshape(y, [...a2.shape.slice(0, -1), n]);
    }
    if (a2.rank !== b2.rank || !tf.util.arraysEqual(a2.shape.slice(0, -2), b2.shape.slice(0, -2))) {
      // The gradient below does not reduce over broadcast batch axes.
      throw new Error(`matMul: batch shapes differ (no broadcasting): [${a2.shape}] · [${b2.shape}]`);
    }
    return withGradient(
      [a2, b2],
      (x, w) => tf.matMul(x!, w!),
      (dy, [x, w]) => [tf.matMul(dy, swapLast(w!)), tf.matMul(swapLast(x!), dy)],
    );
  });
}

/**
 * x [m, k] · w [k, n] + b [n] as one fused kernel (tfjs's `_FusedMatMul`: the bias is added while the product is
 * written, saving a pass over the output), with the same transpose-free gradient as `matMul`. tfjs's own
 * `tf.fused.matMul` gradient uses the slow transposed products.
 */
export function matMulBias(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  const [m, k] = x.shape;
  const n = w.shape[1];
  if (w.shape[0] !== k) throw new Error(`matMulBias: inner dimensions differ: [${x.shape}] · [${w.shape}]`);
  if (b.rank !== 1 || b.shape[0] !== n) throw new Error(`matMulBias: bias must be [${n}], got [${b.shape}]`);
  ensureKernels();
  if (!fusableBias(b)) return tf.add(matMul(x, w), b) as tf.Tensor2D;
  return withGradient(
    [x, w, b],
    (xi, wi, bi) =>
      tf.tidy(() =>
        tf.reshape(
          tf
            .engine()
            .runKernel(
              '_FusedMatMul',
              { a: tf.reshape(xi!, [1, m, k]), b: tf.reshape(wi!, [1, k, n]), bias: bi! },
              { transposeA: false, transposeB: false, activation: 'linear' },
            ) as tf.Tensor,
          [m, n],
        ),
      ) as tf.Tensor2D,
    (dy, [xi, wi]) => [...productGrads(dy, xi!, wi!), sumRows(dy)],
  );
}

/**
 * Σ over the leading axes of x [..., n] -> [n] (a bias's or a per-channel scale's gradient), as ones[1, rows] · x:
 * wasm's Sum over leading axes transposes x first (~10x slower).
 */
export function sumRows(x: tf.Tensor): tf.Tensor1D {
  const n = x.shape[x.rank - 1]!;
  return tf.tidy(() => {
    const rows = tf.reshape(x, [-1, n]) as tf.Tensor2D;
    return tf.reshape(tf.matMul(tf.ones([1, rows.shape[0]]) as tf.Tensor2D, rows), [n]) as tf.Tensor1D;
  });
}
