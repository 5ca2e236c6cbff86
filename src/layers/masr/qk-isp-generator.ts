import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MasrLayer } from '../basic/masr-layer';
import { layerNorm, linear } from '../../ops/index';
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

export interface QKIspGeneratorOptions extends LayerArgs {
  /** Number N of ISP keys per window (the expert keys of the attention gate). Default 3. */
  numHeads?: number;
  /** Dropout on K and Q (training only). Default 0.05. */
  dropout?: number;
}

/**
 * The reference QKIspGenerator: from the window embedding E_isp [B, P, d] it makes one ISP query and N ISP keys.
 * Outputs `[qIsp [B, P, 1, d], kIsp [B, P, N, d]]` (LayerNorm first; key row n = output columns n*d .. n*d+d-1).
 */
export class QKIspGenerator extends MasrLayer<tf.Tensor[]> {
  static className = 'MasrQKIspGenerator';
  readonly numHeads: number;
  readonly dropoutRate: number;
  private normW!: LayerVariable;
  private normB!: LayerVariable;
  private kW!: LayerVariable;
  private kB!: LayerVariable;
  private qW!: LayerVariable;
  private qB!: LayerVariable;

  constructor(options: QKIspGeneratorOptions = {}) {
    super(options);
    this.numHeads = checkPositiveInt('QKIspGenerator', 'numHeads', options.numHeads ?? 3);
    this.dropoutRate = checkRate('QKIspGenerator', 'dropout', options.dropout ?? 0.05);
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape, 'QKIspGenerator');
    checkShape('QKIspGenerator', 'input [B, P, d]', shape, 3, null);
    const d = shape[2];
    if (d == null) throw new Error('QKIspGenerator: the feature dimension must be known');
    const std = Math.sqrt(1 / d);
    this.normW = this.addWeight('norm.weight', [d], 'float32', init.ones());
    this.normB = this.addWeight('norm.bias', [d], 'float32', init.zeros());
    this.kW = this.addWeight(
      'k_combined.weight',
      [d, d * this.numHeads],
      'float32',
      tfl.initializers.truncatedNormal({ stddev: std }),
    );
    this.kB = this.addWeight('k_combined.bias', [d * this.numHeads], 'float32', init.zeros());
    this.qW = this.addWeight(
      'q_projection.weight',
      [d, d],
      'float32',
      tfl.initializers.truncatedNormal({ stddev: 0.8 * std }),
    );
    this.qB = this.addWeight('q_projection.bias', [d], 'float32', init.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const [b, p, d] = singleShape(inputShape, 'QKIspGenerator');
    return [
      [b ?? null, p ?? null, 1, d ?? null],
      [b ?? null, p ?? null, this.numHeads, d ?? null],
    ];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor[] {
    return tf.tidy(() => {
      const x = singleInput(inputs, 'QKIspGenerator');
      const d = this.normW.shape[0]!;
      checkShape('QKIspGenerator', 'input [B, P, d]', x.shape, 3, d);
      const [b, p] = x.shape;
      const training = isTraining(kwargs);
      const normed = layerNorm(x, this.normW.read() as tf.Tensor1D, this.normB.read() as tf.Tensor1D);
      const k = dropout(
        linear(normed, this.kW.read() as tf.Tensor2D, this.kB.read() as tf.Tensor1D),
        this.dropoutRate,
        training,
      );
      const q = dropout(
        linear(normed, this.qW.read() as tf.Tensor2D, this.qB.read() as tf.Tensor1D),
        this.dropoutRate,
        training,
      );
      return [tf.reshape(q, [b!, p!, 1, d]), tf.reshape(k, [b!, p!, this.numHeads, d])];
    });
  }

  /** Reference keys relative to `qk_gen.`. */
  referenceWeights(): ReferenceWeight[] {
    return [
      { key: 'norm.weight', variable: this.normW, layout: 'same' },
      { key: 'norm.bias', variable: this.normB, layout: 'same' },
      { key: 'k_combined.weight', variable: this.kW, layout: 'linear' },
      { key: 'k_combined.bias', variable: this.kB, layout: 'same' },
      { key: 'q_projection.weight', variable: this.qW, layout: 'linear' },
      { key: 'q_projection.bias', variable: this.qB, layout: 'same' },
    ];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), numHeads: this.numHeads, dropout: this.dropoutRate };
  }
}
register(QKIspGenerator);
