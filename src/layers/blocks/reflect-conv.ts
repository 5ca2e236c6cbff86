import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { conv2d, reflectPad } from '../../ops/index';

/**
 * PyTorch `nn.Conv2d(..., padding=k//2, padding_mode='reflect', bias=False)` on NHWC input: same-size output for odd
 * kernels, filter [kh, kw, Cin, Cout]. Uses the backend-safe reflectPad and conv2d.
 */
export function reflectConv(x: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw] = filter.shape;
  const ph = (kh - 1) >> 1;
  const pw = (kw - 1) >> 1;
  return tf.tidy(() =>
    conv2d(
      reflectPad(x, [
        [ph, kh - 1 - ph],
        [pw, kw - 1 - pw],
      ]),
      filter,
    ),
  );
}

/** 1x1 conv with bias on channel-last data, as a matMul (filter [1, 1, Cin, Cout]). */
export function pointwise(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D): tf.Tensor4D {
  const [, , cin, cout] = filter.shape;
  const [b, h, w] = x.shape;
  return tf.tidy(
    () =>
      tf.reshape(tf.add(tf.matMul(tf.reshape(x, [-1, cin]), tf.reshape(filter, [cin, cout])), bias), [
        b,
        h,
        w,
        cout,
      ]) as tf.Tensor4D,
  );
}

/** Glorot-uniform scaled by `gain` (PyTorch `xavier_uniform_(w, gain)`). */
export function xavier(gain: number): ReturnType<typeof tfl.initializers.varianceScaling> {
  return tfl.initializers.varianceScaling({ scale: gain * gain, mode: 'fanAvg', distribution: 'uniform' });
}
