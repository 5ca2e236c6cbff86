import * as tf from '@tensorflow/tfjs-core';

function checkBlock(x: tf.Tensor, blockSize: number, fn: string): void {
  if (x.rank !== 4) throw new Error(`${fn}: expected an NHWC input of rank 4, got shape [${x.shape}]`);
  if (!Number.isInteger(blockSize) || blockSize < 1)
    throw new Error(`${fn}: blockSize must be a positive integer, got ${blockSize}`);
}

/**
 * TensorFlow's `depth_to_space` (NHWC, 'DCR' order): [B, H, W, bs*bs*C] -> [B, H*bs, W*bs, C] with
 * out[b, h*bs + i, w*bs + j, c] = x[b, h, w, (i*bs + j)*C + c]. A reshape and a transpose, so its gradient exists on
 * every backend (tf.depthToSpace has none in tfjs 4.22). PyTorch's `pixel_shuffle` orders channels (c, i, j) instead.
 */
export function depthToSpace(x: tf.Tensor4D, blockSize: number): tf.Tensor4D {
  checkBlock(x, blockSize, 'depthToSpace');
  const [b, h, w, d] = x.shape;
  const bs = blockSize;
  if (d % (bs * bs) !== 0)
    throw new Error(`depthToSpace: channels ${d} are not a multiple of blockSize² = ${bs * bs} (input [${x.shape}])`);
  const c = d / (bs * bs);
  return tf.tidy(() =>
    tf.reshape(tf.transpose(tf.reshape(x, [b, h, w, bs, bs, c]), [0, 1, 3, 2, 4, 5]), [b, h * bs, w * bs, c]),
  );
}

/**
 * TensorFlow's `space_to_depth` (NHWC), the inverse of {@link depthToSpace}: [B, H, W, C] -> [B, H/bs, W/bs, bs*bs*C],
 * H and W multiples of bs. Differentiable on every backend.
 */
export function spaceToDepth(x: tf.Tensor4D, blockSize: number): tf.Tensor4D {
  checkBlock(x, blockSize, 'spaceToDepth');
  const [b, h, w, c] = x.shape;
  const bs = blockSize;
  if (h % bs !== 0 || w % bs !== 0)
    throw new Error(
      `spaceToDepth: height ${h} and width ${w} must be multiples of blockSize ${bs} (input [${x.shape}])`,
    );
  return tf.tidy(() =>
    tf.reshape(tf.transpose(tf.reshape(x, [b, h / bs, bs, w / bs, bs, c]), [0, 1, 3, 2, 4, 5]), [
      b,
      h / bs,
      w / bs,
      bs * bs * c,
    ]),
  );
}
