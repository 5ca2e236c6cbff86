import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MasrLayer } from '../basic/masr-layer';
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
import { checkShape } from '../validate';
import type { SmoothingOptions } from './branch-smoother';
import { composeBranches, reflectConv, xavier } from '../basic/reflect-conv';

/**
 * The reference BoundaryAwareSmoothing on an NHWC map [B, H, W, C]: edge = 3x3 and smooth = 5x5 reflect convs (no
 * bias); g = sigmoid(1x1 conv([edge, smooth]) + bias); out = g * smooth + (1 - g) * x; returns x + rw * (out - x).
 */
export class BoundaryAwareSmoothing extends MasrLayer {
  static className = 'MasrBoundaryAwareSmoothing';
  readonly residualWeightInit: number;
  private edge!: LayerVariable;
  private smooth!: LayerVariable;
  private gateW!: LayerVariable;
  private gateB!: LayerVariable;
  private rw!: LayerVariable;

  constructor(options: SmoothingOptions = {}) {
    super(options);
    this.residualWeightInit = options.residualWeight ?? 0.1;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape, 'BoundaryAwareSmoothing');
    checkShape('BoundaryAwareSmoothing', 'input [B, H, W, C]', shape, 4, null);
    const c = shape[3];
    if (c == null) throw new Error('BoundaryAwareSmoothing: the channel dimension must be known');
    this.edge = this.addWeight('edge_conv.weight', [3, 3, c, c], 'float32', xavier(1));
    this.smooth = this.addWeight('smooth_conv.weight', [5, 5, c, c], 'float32', init.constant(1 / 25));
    this.gateW = this.addWeight('gate.weight', [1, 1, 2 * c, c], 'float32', xavier(0.1));
    this.gateB = this.addWeight('gate.bias', [c], 'float32', init.constant(0.5));
    this.rw = this.addWeight('residual_weight', [], 'float32', init.constant(this.residualWeightInit));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape, 'BoundaryAwareSmoothing');
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, 'BoundaryAwareSmoothing') as tf.Tensor4D;
      checkShape('BoundaryAwareSmoothing', 'input [B, H, W, C]', x.shape, 4, this.gateB.shape[0]!);
      const f = (v: LayerVariable) => v.read() as tf.Tensor4D;
      const c = x.shape[3];
      // The gate's 1x1 conv over [edge, smooth] folded into one 5x5 kernel (exact; see composeBranches), stacked with
      // the smooth kernel so one 5x5 conv with 2C outputs gives both: on wasm, C = 9 outputs fill XNNPACK's 8-wide
      // tiles badly and one 18-output conv costs ~70% of two 9-output ones.
      const gateKernel = composeBranches([f(this.edge), f(this.smooth)], f(this.gateW));
      const bias = tf.concat([tf.zeros([c]), this.gateB.read()]) as tf.Tensor1D;
      const both = reflectConv(x, tf.concat([f(this.smooth), gateKernel], 3) as tf.Tensor4D, bias);
      const [smooth, gateLogits] = tf.split(both, [c, c], 3) as [tf.Tensor4D, tf.Tensor4D];
      const g = tf.sigmoid(gateLogits);
      // g * smooth + (1 - g) * x - x = g * (smooth - x)
      return tf.add(x, tf.mul(this.rw.read(), tf.mul(g, tf.sub(smooth, x))));
    });
  }

  /** Reference keys relative to `boundary_smoother.`. */
  referenceWeights(): ReferenceWeight[] {
    return [
      { key: 'edge_conv.weight', variable: this.edge, layout: 'conv' },
      { key: 'smooth_conv.weight', variable: this.smooth, layout: 'conv' },
      { key: 'gate.0.weight', variable: this.gateW, layout: 'conv' },
      { key: 'gate.0.bias', variable: this.gateB, layout: 'same' },
      { key: 'residual_weight', variable: this.rw, layout: 'same' },
    ];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), residualWeight: this.residualWeightInit };
  }
}
register(BoundaryAwareSmoothing);
