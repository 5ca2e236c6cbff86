import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MasrLayer } from '../basic/masr-layer';
import { gelu, layerNorm, linear } from '../../ops/index';
import {
  dropout,
  init,
  isTraining,
  register,
  singleInput,
  singleShape,
  type Kwargs,
  type LayerConfig,
  type LayerVariable,
  type ReferenceWeight,
  type Shape,
} from '../basic/common';
import { checkPositiveInt, checkRate, checkShape, type LayerArgs } from '../validate';

export interface EispGeneratorOptions extends LayerArgs {
  /** Hidden width of the two-layer FFN. Default 256. */
  hiddenDim?: number;
  /** Width of the window embedding E_isp. Default 128. */
  outputDim?: number;
  /** Dropout after fc1 and fc2 (before their GELU), training only. Default 0.05. */
  dropout?: number;
}

/**
 * The reference EispGeneratorFFN: one ISP embedding per window. [B, P, T, d] -> [B, P, outputDim]:
 * LayerNorm -> fc1 -> dropout -> GELU -> fc2 -> dropout -> GELU -> mean over the T tokens -> fc_out.
 */
export class EispGenerator extends MasrLayer {
  static className = 'MasrEispGenerator';
  readonly hiddenDim: number;
  readonly outputDim: number;
  readonly dropoutRate: number;
  private lnW!: LayerVariable;
  private lnB!: LayerVariable;
  private fc1W!: LayerVariable;
  private fc1B!: LayerVariable;
  private fc2W!: LayerVariable;
  private fc2B!: LayerVariable;
  private outW!: LayerVariable;
  private outB!: LayerVariable;

  constructor(options: EispGeneratorOptions = {}) {
    super(options);
    this.hiddenDim = checkPositiveInt('EispGenerator', 'hiddenDim', options.hiddenDim ?? 256);
    this.outputDim = checkPositiveInt('EispGenerator', 'outputDim', options.outputDim ?? 128);
    this.dropoutRate = checkRate('EispGenerator', 'dropout', options.dropout ?? 0.05);
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape, 'EispGenerator');
    checkShape('EispGenerator', 'input [B, P, T, d]', shape, 4, null);
    const d = shape[3];
    if (d == null) throw new Error('EispGenerator: the feature dimension must be known');
    const h = this.hiddenDim;
    this.lnW = this.addWeight('layer_norm.weight', [d], 'float32', init.ones());
    this.lnB = this.addWeight('layer_norm.bias', [d], 'float32', init.zeros());
    this.fc1W = this.addWeight('fc1.weight', [d, h], 'float32', init.normal(Math.sqrt(1.7 / d)));
    this.fc1B = this.addWeight('fc1.bias', [h], 'float32', init.zeros());
    this.fc2W = this.addWeight('fc2.weight', [h, h], 'float32', init.normal(Math.sqrt(1.7 / h)));
    this.fc2B = this.addWeight('fc2.bias', [h], 'float32', init.zeros());
    this.outW = this.addWeight('fc_out.weight', [h, this.outputDim], 'float32', init.normal(0.02));
    this.outB = this.addWeight('fc_out.bias', [this.outputDim], 'float32', init.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, p] = singleShape(inputShape, 'EispGenerator');
    return [b ?? null, p ?? null, this.outputDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, 'EispGenerator');
      checkShape('EispGenerator', 'input [B, P, T, d]', x.shape, 4, this.lnW.shape[0]!);
      const training = isTraining(kwargs);
      const r = (v: LayerVariable) => v.read() as tf.Tensor1D;
      const normed = layerNorm(x, r(this.lnW), r(this.lnB));
      const h1 = gelu(
        dropout(linear(normed, this.fc1W.read() as tf.Tensor2D, r(this.fc1B)), this.dropoutRate, training),
      );
      const h2 = gelu(dropout(linear(h1, this.fc2W.read() as tf.Tensor2D, r(this.fc2B)), this.dropoutRate, training));
      return linear(tf.mean(h2, 2), this.outW.read() as tf.Tensor2D, r(this.outB));
    });
  }

  /** Reference keys relative to `emb_gen.`. */
  referenceWeights(): ReferenceWeight[] {
    return [
      { key: 'layer_norm.weight', variable: this.lnW, layout: 'same' },
      { key: 'layer_norm.bias', variable: this.lnB, layout: 'same' },
      { key: 'fc1.weight', variable: this.fc1W, layout: 'linear' },
      { key: 'fc1.bias', variable: this.fc1B, layout: 'same' },
      { key: 'fc2.weight', variable: this.fc2W, layout: 'linear' },
      { key: 'fc2.bias', variable: this.fc2B, layout: 'same' },
      { key: 'fc_out.weight', variable: this.outW, layout: 'linear' },
      { key: 'fc_out.bias', variable: this.outB, layout: 'same' },
    ];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), hiddenDim: this.hiddenDim, outputDim: this.outputDim, dropout: this.dropoutRate };
  }
}
register(EispGenerator);
