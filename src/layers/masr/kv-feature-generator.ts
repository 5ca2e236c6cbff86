import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MasrLayer } from '../basic/masr-layer';
import { linear } from '../../ops/index';
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
import { checkRate, checkShape, type LayerArgs } from '../validate';

export interface KVFeatureGeneratorOptions extends LayerArgs {
  /** Dropout on the joint projection (training only). Default 0.05. */
  dropout?: number;
}

/**
 * The reference KVFeatureGenerator: one Linear d -> 2d on the window tokens, split into keys (first d outputs) and
 * values (last d). [B, P, T, d] -> `[k [B, P, T, d], v [B, P, T, d]]`.
 */
export class KVFeatureGenerator extends MasrLayer<tf.Tensor[]> {
  static className = 'MasrKVFeatureGenerator';
  readonly dropoutRate: number;
  private kvW!: LayerVariable;
  private kvB!: LayerVariable;

  constructor(options: KVFeatureGeneratorOptions = {}) {
    super(options);
    this.dropoutRate = checkRate('KVFeatureGenerator', 'dropout', options.dropout ?? 0.05);
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape, 'KVFeatureGenerator');
    checkShape('KVFeatureGenerator', 'input [B, P, T, d]', shape, 4, null);
    const d = shape[3];
    if (d == null) throw new Error('KVFeatureGenerator: the feature dimension must be known');
    this.kvW = this.addWeight('kv_projection.weight', [d, 2 * d], 'float32', init.normal(Math.sqrt(1 / d)));
    this.kvB = this.addWeight('kv_projection.bias', [2 * d], 'float32', init.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const shape = singleShape(inputShape, 'KVFeatureGenerator');
    return [shape, shape];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor[] {
    return tf.tidy(() => {
      const x = singleInput(inputs, 'KVFeatureGenerator');
      checkShape('KVFeatureGenerator', 'input [B, P, T, d]', x.shape, 4, this.kvW.shape[0]!);
      const kv = dropout(
        linear(x, this.kvW.read() as tf.Tensor2D, this.kvB.read() as tf.Tensor1D),
        this.dropoutRate,
        isTraining(kwargs),
      );
      return tf.split(kv, 2, -1);
    });
  }

  /** Reference keys relative to `kv_gen.`. */
  referenceWeights(): ReferenceWeight[] {
    return [
      { key: 'kv_projection.weight', variable: this.kvW, layout: 'linear' },
      { key: 'kv_projection.bias', variable: this.kvB, layout: 'same' },
    ];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), dropout: this.dropoutRate };
  }
}
register(KVFeatureGenerator);
