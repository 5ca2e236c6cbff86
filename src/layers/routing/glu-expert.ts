import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { gelu, matMul, matMulBias } from '../../ops';
import { expertSlice } from './expert-stack';
import { registerExpertType, type Expert, type ExpertBuildContext, type ExpertConfig } from './experts';
import { checkPositiveInt } from '../validate';

export interface GluExpertOptions {
  /** Width of the gated hidden layer. Default: the layer's first `hiddenSizes` entry (256 by default). */
  hiddenSize?: number;
}

/**
 * A gated-linear expert (GEGLU, Shazeer 2020): y = (GELU(x·W_gate + b_gate) ⊙ (x·W_value + b_value))·W_out + b_out.
 * Weights 'glu_experts.gate.weight' / 'glu_experts.value.weight' [E, d, hidden], 'glu_experts.out.weight'
 * [E, hidden, outputDim] and their biases [E, ·] (with the layer's `useBias`). Select it with
 * `new MixtureOfExperts({ ..., expert: { type: 'glu', hiddenSize } })`.
 */
export class GluExpert implements Expert {
  readonly hiddenSize: number;
  private gate!: [tfl.LayerVariable, tfl.LayerVariable | null];
  private value!: [tfl.LayerVariable, tfl.LayerVariable | null];
  private out!: [tfl.LayerVariable, tfl.LayerVariable | null];

  constructor(hiddenSize: number) {
    this.hiddenSize = checkPositiveInt('MixtureOfExperts', 'expert.hiddenSize', hiddenSize);
  }

  build(ctx: ExpertBuildContext): void {
    const e = ctx.numExperts;
    const linear = (name: string, din: number, dout: number): [tfl.LayerVariable, tfl.LayerVariable | null] => [
      ctx.addWeight(`glu_experts.${name}.weight`, [e, din, dout], { normalStd: 1 / Math.sqrt(din) }),
      ctx.useBias ? ctx.addWeight(`glu_experts.${name}.bias`, [e, dout], 'zeros') : null,
    ];
    this.gate = linear('gate', ctx.inputDim, this.hiddenSize);
    this.value = linear('value', ctx.inputDim, this.hiddenSize);
    this.out = linear('out', this.hiddenSize, ctx.outputDim);
  }

  forward(rows: tf.Tensor2D, e: number): tf.Tensor2D {
    const apply = (x: tf.Tensor2D, [w, b]: [tfl.LayerVariable, tfl.LayerVariable | null]): tf.Tensor2D => {
      const we = expertSlice(w.read(), e) as tf.Tensor2D;
      return b ? matMulBias(x, we, expertSlice(b.read(), e) as tf.Tensor1D) : (matMul(x, we) as tf.Tensor2D);
    };
    return apply(tf.mul(gelu(apply(rows, this.gate)), apply(rows, this.value)) as tf.Tensor2D, this.out);
  }

  weights(): tfl.LayerVariable[] {
    return [this.gate, this.value, this.out].flatMap(([w, b]) => (b ? [w, b] : [w]));
  }

  getConfig(): ExpertConfig {
    return { type: 'glu', hiddenSize: this.hiddenSize };
  }
}

registerExpertType('glu', (config, layer) => {
  const hidden = (config as ExpertConfig & GluExpertOptions).hiddenSize ?? layer.hiddenSizes[0];
  if (hidden == null)
    throw new Error("MixtureOfExperts: the 'glu' expert needs expert.hiddenSize (hiddenSizes is empty)");
  return new GluExpert(hidden);
});
