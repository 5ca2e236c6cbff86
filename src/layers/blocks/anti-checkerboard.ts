import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  checkShape,
  init,
  register,
  singleInput,
  singleShape,
  type LayerArgs,
  type LayerConfig,
  type LayerVariable,
  type ReferenceWeight,
  type Shape,
} from './common';
import { composeBranches, reflectConv, xavier } from './reflect-conv';

export interface SmoothingOptions extends LayerArgs {
  /** Initial residual weight rw. Default 0.1. */
  residualWeight?: number;
}

/**
 * The reference AntiCheckerboardModule on an NHWC parameter map [B, H, W, C]: reflect-padded 1x3, 3x1 and 3x3
 * channel-mixing convs (no bias), concatenated [horizontal, vertical, diagonal], fused by a 1x1 conv with bias;
 * returns x + rw * fused. Same shape out.
 */
export class AntiCheckerboard extends tfl.layers.Layer {
  static className = 'MasrAntiCheckerboard';
  readonly residualWeightInit: number;
  private horizontal!: LayerVariable;
  private vertical!: LayerVariable;
  private diagonal!: LayerVariable;
  private fusionW!: LayerVariable;
  private fusionB!: LayerVariable;
  private rw!: LayerVariable;

  constructor(options: SmoothingOptions = {}) {
    super(options);
    this.residualWeightInit = options.residualWeight ?? 0.1;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape, 'AntiCheckerboard');
    checkShape(shape, 4, null, 'AntiCheckerboard', 'input [B, H, W, C]');
    const c = shape[3];
    if (c == null) throw new Error('AntiCheckerboard: the channel dimension must be known');
    // Box-filter start, as the reference: every tap 1 / (C * kh * kw).
    this.horizontal = this.addWeight('horizontal.weight', [1, 3, c, c], 'float32', init.constant(1 / (3 * c)));
    this.vertical = this.addWeight('vertical.weight', [3, 1, c, c], 'float32', init.constant(1 / (3 * c)));
    this.diagonal = this.addWeight('diagonal.weight', [3, 3, c, c], 'float32', init.constant(1 / (9 * c)));
    this.fusionW = this.addWeight('fusion.weight', [1, 1, 3 * c, c], 'float32', xavier(0.1));
    this.fusionB = this.addWeight('fusion.bias', [c], 'float32', init.zeros());
    this.rw = this.addWeight('residual_weight', [], 'float32', init.constant(this.residualWeightInit));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape, 'AntiCheckerboard');
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, 'AntiCheckerboard') as tf.Tensor4D;
      checkShape(x.shape, 4, this.fusionB.shape[0]!, 'AntiCheckerboard', 'input [B, H, W, C]');
      const f = (v: LayerVariable) => v.read() as tf.Tensor4D;
      // [horizontal, vertical, diagonal] -> 1x1 fusion, folded into one 3x3 kernel (exact; see composeBranches).
      const kernel = composeBranches([f(this.horizontal), f(this.vertical), f(this.diagonal)], f(this.fusionW));
      const fused = tf.add(reflectConv(x, kernel), this.fusionB.read());
      return tf.add(x, tf.mul(this.rw.read(), fused));
    });
  }

  /** Reference keys relative to `anti_checkerboard_*.`. */
  referenceWeights(): ReferenceWeight[] {
    return [
      { key: 'horizontal.weight', variable: this.horizontal, layout: 'conv' },
      { key: 'vertical.weight', variable: this.vertical, layout: 'conv' },
      { key: 'diagonal.weight', variable: this.diagonal, layout: 'conv' },
      { key: 'fusion.weight', variable: this.fusionW, layout: 'conv' },
      { key: 'fusion.bias', variable: this.fusionB, layout: 'same' },
      { key: 'residual_weight', variable: this.rw, layout: 'same' },
    ];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), residualWeight: this.residualWeightInit };
  }
}
register(AntiCheckerboard);
