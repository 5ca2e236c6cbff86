import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { expertFfn, type ExpertLinear } from './expert-stack';
import {
  registerExpertType,
  type Expert,
  type ExpertBuildContext,
  type ExpertConfig,
  type ExpertLayerDefaults,
} from './experts';

/**
 * The default expert: a stack of linear layers with exact GELU between them (d -> hiddenSizes... -> outputDim), then
 * optionally an output projection: the MixtureOfExperts options `hiddenSizes` and `outputProjection`. Weights 'experts.layers.i.weight' [E, in, out] / '.bias' [E, out] and
 * 'output_experts.layers.0.*', as the reference's ParallelExperts (LeCun-normal weights, zero biases).
 */
export class FfnExpert implements Expert {
  readonly hiddenSizes: number[];
  readonly outputProjection: boolean;
  private layers: ExpertLinear[] = [];
  private outputLayers: ExpertLinear[] = [];

  constructor(options: ExpertLayerDefaults) {
    this.hiddenSizes = [...options.hiddenSizes];
    this.outputProjection = options.outputProjection;
  }

  build(ctx: ExpertBuildContext): void {
    const stack = (prefix: string, sizes: number[]): ExpertLinear[] =>
      sizes.slice(1).map((out, i) => ({
        weight: ctx.addWeight(`${prefix}.layers.${i}.weight`, [ctx.numExperts, sizes[i]!, out], {
          normalStd: 1 / Math.sqrt(sizes[i]!),
        }),
        bias: ctx.useBias ? ctx.addWeight(`${prefix}.layers.${i}.bias`, [ctx.numExperts, out], 'zeros') : null,
      }));
    this.layers = stack('experts', [ctx.inputDim, ...this.hiddenSizes, ctx.outputDim]);
    this.outputLayers = this.outputProjection ? stack('output_experts', [ctx.outputDim, ctx.outputDim]) : [];
  }

  forward(rows: tf.Tensor2D, e: number): tf.Tensor2D {
    const h = expertFfn(rows, this.layers, e);
    return this.outputLayers.length > 0 ? expertFfn(h, this.outputLayers, e) : h;
  }

  weights(): tfl.LayerVariable[] {
    return [...this.layers, ...this.outputLayers].flatMap((l) => [l.weight, ...(l.bias ? [l.bias] : [])]);
  }

  getConfig(): ExpertConfig {
    return { type: 'ffn' };
  }
}

// The layer's own options configure it: its config is only the type.
registerExpertType('ffn', (_config, layer) => new FfnExpert(layer));
