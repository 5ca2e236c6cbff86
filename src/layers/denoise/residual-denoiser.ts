import * as tf from '@tensorflow/tfjs-core';
import { conv2d, depthToSpace, gelu, spaceToDepth } from '../../ops/index';
import { MasrLayer } from '../basic/masr-layer';
import {
  init,
  register,
  type LayerConfig,
  type LayerVariable,
  type ReferenceWeight,
  type Shape,
} from '../basic/common';
import { checkNonNegativeInt, checkPositiveInt, checkShape, type LayerArgs } from '../validate';

export interface ResidualDenoiserOptions extends LayerArgs {
  /** Feature channels of the convolutions. Default 32. */
  channels?: number;
  /** Residual blocks (conv 3x3 -> GELU -> conv 3x3, plus the skip). Default 2. */
  blocks?: number;
  /**
   * Space-to-depth factor before the convolutions (and depth-to-space after): the convolutions run at 1/scale of
   * the resolution, which widens their receptive field and divides their cost by scale². Default 2.
   */
  scale?: number;
  /** Extra input channels concatenated to the image (e.g. 1 for a gain map); 0 for the image alone. Default 1. */
  conditionChannels?: number;
}

const NAME = 'ResidualDenoiser';

interface Conv {
  kernel: LayerVariable;
  bias: LayerVariable;
}

/**
 * A light residual denoiser: [image [B, H, W, 3]] or [image, condition [B, H, W, conditionChannels]] ->
 * image + residual, [B, H, W, 3]. The image and its condition go to space-to-depth (scale), a 3x3 stem conv + GELU,
 * `blocks` residual blocks, and a 3x3 head conv back to scale²·3 channels and depth-to-space. The head starts at
 * zero, so an untrained denoiser returns its input exactly: added to a trained model it changes nothing until it is
 * trained. H and W must be multiples of `scale`. Trains on every backend (the library's conv2d).
 * Weights (PyTorch Conv2d layout on export): stem, blocks.i.conv1, blocks.i.conv2, head; each .weight and .bias.
 */
export class ResidualDenoiser extends MasrLayer {
  static className = 'MasrResidualDenoiser';
  readonly channels: number;
  readonly numBlocks: number;
  readonly scale: number;
  readonly conditionChannels: number;
  private stem!: Conv;
  private residual: Array<[Conv, Conv]> = [];
  private head!: Conv;

  constructor(options: ResidualDenoiserOptions = {}) {
    super(options);
    this.channels = checkPositiveInt(NAME, 'channels', options.channels ?? 32);
    this.numBlocks = checkNonNegativeInt(NAME, 'blocks', options.blocks ?? 2);
    this.scale = checkPositiveInt(NAME, 'scale', options.scale ?? 2);
    this.conditionChannels = checkNonNegativeInt(NAME, 'conditionChannels', options.conditionChannels ?? 1);
  }

  private inputShapes(inputShape: Shape | Shape[]): Shape[] {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    const want = this.conditionChannels > 0 ? 2 : 1;
    if (shapes.length !== want)
      throw new Error(
        `${NAME}: expected ${want === 2 ? '[image, condition]' : 'one image'} as input (conditionChannels ${this.conditionChannels}), got ${shapes.length} inputs`,
      );
    checkShape(NAME, 'image [B, H, W, 3]', shapes[0]!, 4, 3);
    if (want === 2) checkShape(NAME, 'condition [B, H, W, conditionChannels]', shapes[1]!, 4, this.conditionChannels);
    return shapes;
  }

  private conv(name: string, cin: number, cout: number, zero = false): Conv {
    return {
      kernel: this.addWeight(`${name}.kernel`, [3, 3, cin, cout], 'float32', zero ? init.zeros() : init.kaiming()),
      bias: this.addWeight(`${name}.bias`, [cout], 'float32', init.zeros()),
    };
  }

  override build(inputShape: Shape | Shape[]): void {
    this.inputShapes(inputShape);
    const s2 = this.scale * this.scale;
    const c = this.channels;
    this.stem = this.conv('stem', s2 * (3 + this.conditionChannels), c);
    this.residual = Array.from({ length: this.numBlocks }, (_, i) => [
      this.conv(`blocks.${i}.conv1`, c, c),
      this.conv(`blocks.${i}.conv2`, c, c),
    ]);
    this.head = this.conv('head', c, s2 * 3, true);
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...this.inputShapes(inputShape)[0]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      this.inputShapes(list.map((t) => t.shape));
      const image = list[0] as tf.Tensor4D;
      const [, h, w] = image.shape;
      if (h % this.scale !== 0 || w % this.scale !== 0)
        throw new Error(
          `${NAME}: image height ${h} and width ${w} must be multiples of scale ${this.scale} (input [${image.shape}])`,
        );
      const x = list.length > 1 ? (tf.concat(list, 3) as tf.Tensor4D) : image;
      const apply = (t: tf.Tensor4D, c: Conv) =>
        conv2d(t, c.kernel.read() as tf.Tensor4D, { padding: 'same', bias: c.bias.read() as tf.Tensor1D });
      let f = gelu(apply(spaceToDepth(x, this.scale), this.stem));
      for (const [c1, c2] of this.residual) f = tf.add(f, apply(gelu(apply(f, c1)), c2));
      const residual = depthToSpace(apply(f, this.head), this.scale);
      return tf.add(image, residual);
    });
  }

  /** Weights under PyTorch-style keys (relative to the denoiser's prefix), conv layout. */
  referenceWeights(): ReferenceWeight[] {
    const convs: Array<[string, Conv]> = [
      ['stem', this.stem],
      ...this.residual.flatMap(([a, b], i): Array<[string, Conv]> => [
        [`blocks.${i}.conv1`, a],
        [`blocks.${i}.conv2`, b],
      ]),
      ['head', this.head],
    ];
    return convs.flatMap(([key, c]) => [
      { key: `${key}.weight`, variable: c.kernel, layout: 'conv' as const },
      { key: `${key}.bias`, variable: c.bias, layout: 'same' as const },
    ]);
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      channels: this.channels,
      blocks: this.numBlocks,
      scale: this.scale,
      conditionChannels: this.conditionChannels,
    };
  }
}
register(ResidualDenoiser);
