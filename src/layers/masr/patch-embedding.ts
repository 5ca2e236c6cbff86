import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MasrLayer } from '../basic/masr-layer';
import { conv2d, gelu, groupNorm } from '../../ops/index';
import {
  init,
  register,
  singleInput,
  singleShape,
  type LayerConfig,
  type LayerVariable,
  type ReferenceWeight,
  type Shape,
} from '../basic/common';
import { checkPositiveInt, checkShape, type LayerArgs } from '../validate';

export interface PatchEmbeddingOptions extends LayerArgs {
  /** Patch side in pixels (conv kernel = stride). Required. */
  patchSize: number;
  /** Output channels. Default 128. */
  embedDim?: number;
  /** Channels of the 3x3 stem conv. Default 48. */
  stemChannels?: number;
  /** Input image channels. Default 3. */
  inChannels?: number;
  /** GroupNorm groups. Default 8. */
  groups?: number;
}

/**
 * The reference FeatureExtractor without the window split: 3x3 conv (zero pad 1) -> GELU -> patch conv
 * (kernel = stride = patchSize) -> GroupNorm -> GELU -> 1x1 conv. [B, H, W, Cin] -> [B, H/ps, W/ps, embedDim]
 * (floor division, like PyTorch's strided conv).
 */
export class PatchEmbedding extends MasrLayer {
  static className = 'MasrPatchEmbedding';
  readonly patchSize: number;
  readonly embedDim: number;
  readonly stemChannels: number;
  readonly inChannels: number;
  readonly groups: number;
  private stemW!: LayerVariable;
  private stemB!: LayerVariable;
  private patchW!: LayerVariable;
  private patchB!: LayerVariable;
  private normGamma!: LayerVariable;
  private normBeta!: LayerVariable;
  private projW!: LayerVariable;
  private projB!: LayerVariable;

  constructor(options: PatchEmbeddingOptions) {
    super(options);
    const n = 'PatchEmbedding';
    this.patchSize = checkPositiveInt(n, 'patchSize', options.patchSize);
    this.embedDim = checkPositiveInt(n, 'embedDim', options.embedDim ?? 128);
    this.stemChannels = checkPositiveInt(n, 'stemChannels', options.stemChannels ?? 48);
    this.inChannels = checkPositiveInt(n, 'inChannels', options.inChannels ?? 3);
    this.groups = checkPositiveInt(n, 'groups', options.groups ?? 8);
    if (this.embedDim % this.groups !== 0) {
      throw new Error(`PatchEmbedding: embedDim ${this.embedDim} is not divisible by groups ${this.groups}`);
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape, 'PatchEmbedding');
    checkShape('PatchEmbedding', 'input [B, H, W, C]', shape, 4, this.inChannels);
    const [c, s, d, p] = [this.inChannels, this.stemChannels, this.embedDim, this.patchSize];
    this.stemW = this.addWeight('local_feature.weight', [3, 3, c, s], 'float32', init.kaiming());
    this.stemB = this.addWeight('local_feature.bias', [s], 'float32', init.zeros());
    this.patchW = this.addWeight('patch_embed.weight', [p, p, s, d], 'float32', init.kaiming());
    this.patchB = this.addWeight('patch_embed.bias', [d], 'float32', init.zeros());
    this.normGamma = this.addWeight('norm.gamma', [d], 'float32', init.ones());
    this.normBeta = this.addWeight('norm.beta', [d], 'float32', init.zeros());
    this.projW = this.addWeight('proj.weight', [1, 1, d, d], 'float32', init.kaiming());
    this.projB = this.addWeight('proj.bias', [d], 'float32', init.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, h, w] = singleShape(inputShape, 'PatchEmbedding');
    const p = this.patchSize;
    return [b ?? null, h == null ? null : Math.floor(h / p), w == null ? null : Math.floor(w / p), this.embedDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, 'PatchEmbedding') as tf.Tensor4D;
      checkShape('PatchEmbedding', 'input [B, H, W, C]', x.shape, 4, this.inChannels);
      if (x.shape[1] < this.patchSize || x.shape[2] < this.patchSize) {
        throw new Error(
          `PatchEmbedding: input [${x.shape}] is smaller than one ${this.patchSize}x${this.patchSize} patch`,
        );
      }
      const w = (v: LayerVariable) => v.read() as tf.Tensor4D;
      const b = (v: LayerVariable) => v.read() as tf.Tensor1D;
      const stem = gelu(conv2d(x, w(this.stemW), { padding: 1, bias: b(this.stemB) }));
      const patches = conv2d(stem as tf.Tensor4D, w(this.patchW), { strides: this.patchSize, bias: b(this.patchB) });
      const normed = gelu(
        groupNorm(patches, this.groups, this.normGamma.read() as tf.Tensor1D, this.normBeta.read() as tf.Tensor1D),
      );
      return conv2d(normed as tf.Tensor4D, w(this.projW), { bias: b(this.projB) });
    });
  }

  /** Reference keys relative to `feature_extractor.`. */
  referenceWeights(): ReferenceWeight[] {
    return [
      { key: 'local_feature.0.weight', variable: this.stemW, layout: 'conv' },
      { key: 'local_feature.0.bias', variable: this.stemB, layout: 'same' },
      { key: 'patch_embed.weight', variable: this.patchW, layout: 'conv' },
      { key: 'patch_embed.bias', variable: this.patchB, layout: 'same' },
      { key: 'enhance.0.weight', variable: this.normGamma, layout: 'same' },
      { key: 'enhance.0.bias', variable: this.normBeta, layout: 'same' },
      { key: 'enhance.2.weight', variable: this.projW, layout: 'conv' },
      { key: 'enhance.2.bias', variable: this.projB, layout: 'same' },
    ];
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      patchSize: this.patchSize,
      embedDim: this.embedDim,
      stemChannels: this.stemChannels,
      inChannels: this.inChannels,
      groups: this.groups,
    };
  }
}
register(PatchEmbedding);
