import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { conv2d, matMul, reflectPad, spaceToDepthConv2d } from '../../ops/index';

/**
 * PyTorch `nn.Conv2d(..., padding=k//2, padding_mode='reflect', bias=False)` on NHWC input: same-size output for odd
 * kernels, filter [kh, kw, Cin, Cout], optional bias [Cout] added in the conv kernel. Uses the backend-safe reflectPad
 * and conv2d.
 */
export function reflectConv(x: tf.Tensor4D, filter: tf.Tensor4D, bias?: tf.Tensor1D): tf.Tensor4D {
  const [kh, kw] = filter.shape;
  const ph = (kh - 1) >> 1;
  const pw = (kw - 1) >> 1;
  return tf.tidy(() => {
    const padded = reflectPad(x, [
      [ph, kh - 1 - ph],
      [pw, kw - 1 - pw],
    ]);
    return useSpaceToDepth(x, filter) ? spaceToDepthConv2d(padded, filter, bias) : conv2d(padded, filter, { bias });
  });
}

/**
 * Large kernels with few channels (the 7x7 9->9 colour-map smoothing) run faster as a space-to-depth conv on wasm,
 * measured: ~121 -> ~93 ms at 400x600. Smaller kernels gain nothing (5x5 9->18, 3x3 9->9 measured equal or slower),
 * and other backends do not have XNNPACK's tile shape.
 */
function useSpaceToDepth(x: tf.Tensor4D, filter: tf.Tensor4D): boolean {
  const [kh, kw, cin, cout] = filter.shape;
  return (
    tf.getBackend() === 'wasm' &&
    kh >= 7 &&
    kw >= 7 &&
    cin <= 16 &&
    cout <= 16 &&
    x.shape[1] % 2 === 0 &&
    x.shape[2] % 2 === 0
  );
}

/** Glorot-uniform scaled by `gain` (PyTorch `xavier_uniform_(w, gain)`). */
export function xavier(gain: number): ReturnType<typeof tfl.initializers.varianceScaling> {
  return tfl.initializers.varianceScaling({ scale: gain * gain, mode: 'fanAvg', distribution: 'uniform' });
}

/**
 * The single kernel equivalent to a 1x1 conv with weight `fusion` over `concat_b(reflectConv(x, filters[b]))` (without the bias):
 * each branch filter is zero-embedded, centred, into the largest kernel size and mixed by its rows of the 1x1 fusion
 * weight. Reflect-padding by the larger size reads the same pixels the smaller pads would, so the result is exact;
 * it replaces several full-resolution convs and a channel concat (slow on wasm) by one conv.
 */
export function composeBranches(filters: tf.Tensor4D[], fusion: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const kh = Math.max(...filters.map((f) => f.shape[0]));
    const kw = Math.max(...filters.map((f) => f.shape[1]));
    const cout = fusion.shape[3];
    const rows = tf.split(
      tf.reshape(fusion, [fusion.shape[2], cout]),
      filters.map((f) => f.shape[3]),
      0,
    );
    const parts = filters.map((f, i) => {
      const [fh, fw, cin, c] = f.shape;
      const dh = (kh - fh) >> 1;
      const dw = (kw - fw) >> 1;
      const embedded = tf.pad(f, [
        [dh, kh - fh - dh],
        [dw, kw - fw - dw],
        [0, 0],
        [0, 0],
      ]);
      return matMul(tf.reshape(embedded, [kh * kw * cin, c]), rows[i]!);
    });
    return tf.reshape(tf.addN(parts), [kh, kw, filters[0]!.shape[2], cout]) as tf.Tensor4D;
  });
}
