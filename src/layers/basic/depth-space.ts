import * as tf from '@tensorflow/tfjs-core';
import { depthToSpace, spaceToDepth } from '../../ops/index';
import { register, singleInput, singleShape, type LayerConfig, type Shape } from './common';
import { checkPositiveInt, checkShape, type LayerArgs } from '../validate';
import { MasrLayer } from './masr-layer';

export interface BlockSizeOptions extends LayerArgs {
  /** Block side bs (the upscale or downscale factor). Required. */
  blockSize: number;
}

const times = (d: number | null | undefined, f: number): number | null => (d == null ? null : d * f);
const over = (d: number | null | undefined, f: number): number | null => (d == null ? null : d / f);

/**
 * Sub-pixel upsampling (TensorFlow `depth_to_space`, NHWC): [B, H, W, bs²·C] -> [B, H·bs, W·bs, C]. Differentiable
 * on every backend (see ops.depthToSpace). No weights.
 */
export class DepthToSpace extends MasrLayer {
  static className = 'MasrDepthToSpace';
  readonly blockSize: number;

  constructor(options: BlockSizeOptions) {
    super(options);
    this.blockSize = checkPositiveInt('DepthToSpace', 'blockSize', options.blockSize);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = singleShape(inputShape, 'DepthToSpace');
    checkShape('DepthToSpace', 'input [B, H, W, bs²·C]', shape, 4, null);
    const bs = this.blockSize;
    const c = shape[3];
    if (c != null && c % (bs * bs) !== 0) {
      throw new Error(`DepthToSpace: input channels ${c} are not a multiple of blockSize² = ${bs * bs}`);
    }
    return [shape[0] ?? null, times(shape[1], bs), times(shape[2], bs), over(c, bs * bs)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return depthToSpace(singleInput(inputs, 'DepthToSpace') as tf.Tensor4D, this.blockSize);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), blockSize: this.blockSize };
  }
}
register(DepthToSpace);

/** The inverse of {@link DepthToSpace} (TensorFlow `space_to_depth`): [B, H, W, C] -> [B, H/bs, W/bs, bs²·C]. */
export class SpaceToDepth extends MasrLayer {
  static className = 'MasrSpaceToDepth';
  readonly blockSize: number;

  constructor(options: BlockSizeOptions) {
    super(options);
    this.blockSize = checkPositiveInt('SpaceToDepth', 'blockSize', options.blockSize);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = singleShape(inputShape, 'SpaceToDepth');
    checkShape('SpaceToDepth', 'input [B, H, W, C]', shape, 4, null);
    const bs = this.blockSize;
    for (const d of [shape[1], shape[2]]) {
      if (d != null && d % bs !== 0) {
        throw new Error(`SpaceToDepth: input [${shape.map(String)}] height and width must be multiples of ${bs}`);
      }
    }
    return [shape[0] ?? null, over(shape[1], bs), over(shape[2], bs), times(shape[3], bs * bs)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return spaceToDepth(singleInput(inputs, 'SpaceToDepth') as tf.Tensor4D, this.blockSize);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), blockSize: this.blockSize };
  }
}
register(SpaceToDepth);
