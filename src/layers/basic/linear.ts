import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MasrLayer } from './masr-layer';
import { linear } from '../../ops/index';
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
import { checkPositiveInt, type LayerArgs } from '../validate';

export interface LinearOptions extends LayerArgs {
  /** Output features. Required. */
  units: number;
  /** Add a bias. Default true. */
  useBias?: boolean;
}

/**
 * PyTorch `nn.Linear` on the last axis of any-rank input, weight stored [in, out] (transposed on import).
 * Reference keys `weight` / `bias`.
 */
export class Linear extends MasrLayer {
  static className = 'MasrLinear';
  readonly units: number;
  readonly useBias: boolean;
  private kernel!: LayerVariable;
  private bias: LayerVariable | null = null;

  constructor(options: LinearOptions) {
    super(options);
    this.units = checkPositiveInt('Linear', 'units', options.units);
    this.useBias = options.useBias ?? true;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape, 'Linear');
    const din = shape[shape.length - 1];
    if (din == null) throw new Error('Linear: the last input dimension must be known');
    this.kernel = this.addWeight('weight', [din, this.units], 'float32', init.kaiming());
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], 'float32', init.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = singleShape(inputShape, 'Linear');
    return [...shape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, 'Linear');
      return linear(x, this.kernel.read() as tf.Tensor2D, this.bias ? (this.bias.read() as tf.Tensor1D) : null);
    });
  }

  referenceWeights(): ReferenceWeight[] {
    const out: ReferenceWeight[] = [{ key: 'weight', variable: this.kernel, layout: 'linear' }];
    if (this.bias) out.push({ key: 'bias', variable: this.bias, layout: 'same' });
    return out;
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), units: this.units, useBias: this.useBias };
  }
}
register(Linear);
