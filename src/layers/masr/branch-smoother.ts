import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MasrLayer } from '../basic/masr-layer';
import {
  init,
  singleInput,
  singleShape,
  type LayerConfig,
  type LayerVariable,
  type ReferenceWeight,
  type Shape,
} from '../basic/common';
import { checkShape, type LayerArgs } from '../validate';
import { composeBranches, reflectConv, xavier } from '../basic/reflect-conv';

export interface SmoothingOptions extends LayerArgs {
  /** Initial residual weight rw. Default 0.1. */
  residualWeight?: number;
}

/** One branch: a bias-free C -> C conv of this kernel size, its reference key and its initial value. */
export interface SmoothingBranch {
  key: string;
  kernel: [number, number];
  initial: (channels: number) => number;
}

/**
 * The shape shared by the reference's AntiCheckerboardModule and MultiScaleParamSmoother on an NHWC map [B, H, W, C]:
 * reflect-padded channel-mixing branch convs (no bias), concatenated, fused by a 1x1 conv with bias; returns
 * x + rw * fused. Subclasses name their branches; the branches and the fusion are folded into one kernel per call.
 */
export abstract class BranchSmoother extends MasrLayer {
  readonly residualWeightInit: number;
  private branchWeights: LayerVariable[] = [];
  private fusionW!: LayerVariable;
  private fusionB!: LayerVariable;
  private rw!: LayerVariable;

  constructor(
    options: SmoothingOptions,
    private readonly label: string,
    private readonly branches: readonly SmoothingBranch[],
  ) {
    super(options);
    this.residualWeightInit = options.residualWeight ?? 0.1;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape, this.label);
    checkShape(this.label, 'input [B, H, W, C]', shape, 4, null);
    const c = shape[3];
    if (c == null) throw new Error(`${this.label}: the channel dimension must be known`);
    this.branchWeights = this.branches.map((b) =>
      this.addWeight(b.key, [...b.kernel, c, c], 'float32', init.constant(b.initial(c))),
    );
    this.fusionW = this.addWeight('fusion.weight', [1, 1, this.branches.length * c, c], 'float32', xavier(0.1));
    this.fusionB = this.addWeight('fusion.bias', [c], 'float32', init.zeros());
    this.rw = this.addWeight('residual_weight', [], 'float32', init.constant(this.residualWeightInit));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape, this.label);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.label) as tf.Tensor4D;
      checkShape(this.label, 'input [B, H, W, C]', x.shape, 4, this.fusionB.shape[0]!);
      const f = (v: LayerVariable) => v.read() as tf.Tensor4D;
      // The branches and the 1x1 fusion folded into one kernel (exact; see composeBranches).
      const kernel = composeBranches(this.branchWeights.map(f), f(this.fusionW));
      const fused = reflectConv(x, kernel, this.fusionB.read() as tf.Tensor1D);
      return tf.add(x, tf.mul(this.rw.read(), fused));
    });
  }

  /** Reference keys relative to the module's prefix. */
  referenceWeights(): ReferenceWeight[] {
    return [
      ...this.branches.map((b, i) => ({ key: b.key, variable: this.branchWeights[i]!, layout: 'conv' as const })),
      { key: 'fusion.weight', variable: this.fusionW, layout: 'conv' },
      { key: 'fusion.bias', variable: this.fusionB, layout: 'same' },
      { key: 'residual_weight', variable: this.rw, layout: 'same' },
    ];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), residualWeight: this.residualWeightInit };
  }
}
