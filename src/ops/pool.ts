import * as tf from '@tensorflow/tfjs-core';
import { hasFloatKernel } from '../kernels/float-kernel';
import { MAX_POOL_2X2_GRAD_KERNEL, registerMaxPoolKernels } from '../kernels/max-pool';
import { withGradient } from './gradient';

registerMaxPoolKernels();

/**
 * 2x2 max pool with stride 2 ('valid', NHWC) — VGG's pooling. The forward is tfjs's; the gradient is a one-pass
 * kernel on wasm and cpu (src/kernels/max-pool.ts) and tfjs's MaxPoolGrad elsewhere. Ties send the gradient to the
 * first maximum in row-major order, as PyTorch does.
 */
export function maxPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  if (x.rank !== 4) throw new Error(`maxPool2x2: x must be [B, H, W, C], got [${x.shape}]`);
  return withGradient(
    [x],
    (xi) => tf.maxPool(xi as tf.Tensor4D, 2, 2, 'valid'),
    (dy, [xi]) => {
      if (hasFloatKernel(MAX_POOL_2X2_GRAD_KERNEL, xi!.dtype)) {
        return [tf.engine().runKernel(MAX_POOL_2X2_GRAD_KERNEL, { x: xi!, dy }) as tf.Tensor];
      }
      return tf.tidy(() => [
        tf
          .engine()
          .runKernel(
            'MaxPoolGrad',
            { dy, input: xi!, output: tf.maxPool(xi as tf.Tensor4D, 2, 2, 'valid') },
            { filterSize: 2, strides: 2, pad: 'valid' },
          ) as tf.Tensor,
      ]);
    },
  );
}
