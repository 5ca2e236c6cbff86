import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MasrLayer } from './masr-layer';
import { layerNorm } from '../../ops/index';
import {
  init,
  register,
  singleInput,
  singleShape,
  type LayerConfig,
  type LayerVariable,
  type ReferenceWeight,
  type Shape,
} from './common';
import { type LayerArgs } from '../validate';

export interface LayerNormOptions extends LayerArgs {
  /** Added to the variance. Default 1e-5 (PyTorch; tfjs's layerNormalization defaults to 1e-3). */
  epsilon?: number;
}

/** PyTorch `nn.LayerNorm(d)` over the last axis (biased variance, affine). Reference keys `weight` / `bias`. */
export class LayerNorm extends MasrLayer {
  static className = 'MasrLayerNorm';
  readonly epsilon: number;
  private gamma!: LayerVariable;
  private beta!: LayerVariable;

  constructor(options: LayerNormOptions = {}) {
    super(options);
    this.epsilon = options.epsilon ?? 1e-5;
    if (!(this.epsilon > 0)) throw new Error(`LayerNorm: epsilon must be > 0, got ${this.epsilon}`);
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape, 'LayerNorm');
    const d = shape[shape.length - 1];
    if (d == null) throw new Error('LayerNorm: the last input dimension must be known');
    this.gamma = this.addWeight('weight', [d], 'float32', init.ones());
    this.beta = this.addWeight('bias', [d], 'float32', init.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape, 'LayerNorm');
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() =>
      layerNorm(
        singleInput(inputs, 'LayerNorm'),
        this.gamma.read() as tf.Tensor1D,
        this.beta.read() as tf.Tensor1D,
        this.epsilon,
      ),
    );
  }

  referenceWeights(): ReferenceWeight[] {
    return [
      { key: 'weight', variable: this.gamma, layout: 'same' },
      { key: 'bias', variable: this.beta, layout: 'same' },
    ];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
register(LayerNorm);
