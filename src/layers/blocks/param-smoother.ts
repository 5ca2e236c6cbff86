import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  checkShape,
  init,
  register,
  singleInput,
  singleShape,
  type LayerConfig,
  type LayerVariable,
  type ReferenceWeight,
  type Shape,
} from './common';
import type { SmoothingOptions } from './anti-checkerboard';
import { composeBranches, reflectConv, xavier } from './reflect-conv';

/**
 * The reference MultiScaleParamSmoother on an NHWC map [B, H, W, C]: reflect-padded 5x5 and 7x7 convs (no bias),
 * concatenated [5x5, 7x7], fused by a 1x1 conv with bias; returns x + rw * fused.
 */
export class MultiScaleParamSmoother extends tfl.layers.Layer {
  static className = 'MasrMultiScaleParamSmoother';
  readonly residualWeightInit: number;
  private conv5!: LayerVariable;
  private conv7!: LayerVariable;
  private fusionW!: LayerVariable;
  private fusionB!: LayerVariable;
  private rw!: LayerVariable;

  constructor(options: SmoothingOptions = {}) {
    super(options);
    this.residualWeightInit = options.residualWeight ?? 0.1;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape, 'MultiScaleParamSmoother');
    checkShape(shape, 4, null, 'MultiScaleParamSmoother', 'input [B, H, W, C]');
    const c = shape[3];
    if (c == null) throw new Error('MultiScaleParamSmoother: the channel dimension must be known');
    this.conv5 = this.addWeight('conv5.weight', [5, 5, c, c], 'float32', init.constant(1 / 25));
    this.conv7 = this.addWeight('conv7.weight', [7, 7, c, c], 'float32', init.constant(1 / 49));
    this.fusionW = this.addWeight('fusion.weight', [1, 1, 2 * c, c], 'float32', xavier(0.1));
    this.fusionB = this.addWeight('fusion.bias', [c], 'float32', init.zeros());
    this.rw = this.addWeight('residual_weight', [], 'float32', init.constant(this.residualWeightInit));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape, 'MultiScaleParamSmoother');
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, 'MultiScaleParamSmoother') as tf.Tensor4D;
      checkShape(x.shape, 4, this.fusionB.shape[0]!, 'MultiScaleParamSmoother', 'input [B, H, W, C]');
      const f = (v: LayerVariable) => v.read() as tf.Tensor4D;
      // [5x5, 7x7] -> 1x1 fusion, folded into one 7x7 kernel (exact; see composeBranches).
      const kernel = composeBranches([f(this.conv5), f(this.conv7)], f(this.fusionW));
      const fused = tf.add(reflectConv(x, kernel), this.fusionB.read());
      return tf.add(x, tf.mul(this.rw.read(), fused));
    });
  }

  /** Reference keys relative to `param_smoother.`. */
  referenceWeights(): ReferenceWeight[] {
    return [
      { key: 'conv5.weight', variable: this.conv5, layout: 'conv' },
      { key: 'conv7.weight', variable: this.conv7, layout: 'conv' },
      { key: 'fusion.weight', variable: this.fusionW, layout: 'conv' },
      { key: 'fusion.bias', variable: this.fusionB, layout: 'same' },
      { key: 'residual_weight', variable: this.rw, layout: 'same' },
    ];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), residualWeight: this.residualWeightInit };
  }
}
register(MultiScaleParamSmoother);
