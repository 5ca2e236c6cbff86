import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MasrLayer } from '../basic/masr-layer';
import { gelu, linear } from '../../ops/index';
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
import { checkPositiveInt, checkRate, type LayerArgs } from '../validate';
import { xavier } from '../basic/reflect-conv';

export interface EnhancedFFNOptions extends LayerArgs {
  /** Hidden width. Default: the input width. */
  hiddenDim?: number;
  /** Dropout after the GELU and after the second Linear (training only). Default 0.1. */
  dropout?: number;
  /** Initial residual weight rw. Default 0.1. */
  residualWeight?: number;
}

/** The reference EnhancedFFN on per-pixel parameters: x + rw * (Linear -> GELU -> dropout -> Linear -> dropout)(x). */
export class EnhancedFFN extends MasrLayer {
  static className = 'MasrEnhancedFFN';
  readonly hiddenDim: number | null;
  readonly dropoutRate: number;
  readonly residualWeightInit: number;
  private w1!: LayerVariable;
  private b1!: LayerVariable;
  private w2!: LayerVariable;
  private b2!: LayerVariable;
  private rw!: LayerVariable;

  constructor(options: EnhancedFFNOptions = {}) {
    super(options);
    this.hiddenDim = options.hiddenDim == null ? null : checkPositiveInt('EnhancedFFN', 'hiddenDim', options.hiddenDim);
    this.dropoutRate = checkRate('EnhancedFFN', 'dropout', options.dropout ?? 0.1);
    this.residualWeightInit = options.residualWeight ?? 0.1;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape, 'EnhancedFFN');
    const c = shape[shape.length - 1];
    if (c == null) throw new Error('EnhancedFFN: the last input dimension must be known');
    const h = this.hiddenDim ?? c;
    this.w1 = this.addWeight('net.0.weight', [c, h], 'float32', xavier(0.3));
    this.b1 = this.addWeight('net.0.bias', [h], 'float32', init.zeros());
    this.w2 = this.addWeight('net.3.weight', [h, c], 'float32', xavier(0.3));
    this.b2 = this.addWeight('net.3.bias', [c], 'float32', init.zeros());
    this.rw = this.addWeight('residual_weight', [], 'float32', init.constant(this.residualWeightInit));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape, 'EnhancedFFN');
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, 'EnhancedFFN');
      const training = isTraining(kwargs);
      const r = (v: LayerVariable) => v.read();
      const hidden = dropout(
        gelu(linear(x, r(this.w1) as tf.Tensor2D, r(this.b1) as tf.Tensor1D)),
        this.dropoutRate,
        training,
      );
      const out = dropout(
        linear(hidden, r(this.w2) as tf.Tensor2D, r(this.b2) as tf.Tensor1D),
        this.dropoutRate,
        training,
      );
      return tf.add(x, tf.mul(r(this.rw), out));
    });
  }

  /** Reference keys relative to `isp_final_i_mlp.`. */
  referenceWeights(): ReferenceWeight[] {
    return [
      { key: 'net.0.weight', variable: this.w1, layout: 'linear' },
      { key: 'net.0.bias', variable: this.b1, layout: 'same' },
      { key: 'net.3.weight', variable: this.w2, layout: 'linear' },
      { key: 'net.3.bias', variable: this.b2, layout: 'same' },
      { key: 'residual_weight', variable: this.rw, layout: 'same' },
    ];
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      hiddenDim: this.hiddenDim,
      dropout: this.dropoutRate,
      residualWeight: this.residualWeightInit,
    };
  }
}
register(EnhancedFFN);
