import * as tf from '@tensorflow/tfjs-core';
import { applyIsp } from '../../isp/index';
import { register, type LayerConfig, type Shape } from '../blocks/common';
import { checkShape, type LayerArgs } from '../validate';
import { MasrLayer } from './masr-layer';

export interface ApplyIspOptions extends LayerArgs {
  /** Colour matrix M = I + residualScale · params. Default 0.5 (MASR-Net's). */
  residualScale?: number;
  /** Colour-matrix entries are clamped to ±limit. Default 3. */
  limit?: number;
}

const NAME = 'ApplyIsp';
const INPUTS = ['image [B, H, W, 3]', 'gamma Δ [B, H, W, 1]', 'colour params [B, H, W, 9]', 'saturation logits [B, H, W, 1]'];
const CHANNELS = [3, 1, 9, 1];

/**
 * Layer form of {@link applyIsp}: the differentiable per-pixel ISP (colour matrix -> gamma -> saturation) applied to
 * an image in [0, 1] with the raw maps a network predicts. Four inputs, in this order: image [B, H, W, 3], gamma
 * increment Δ [B, H, W, 1] (exponent 1 + Δ), colour-matrix parameters [B, H, W, 9], saturation logits [B, H, W, 1];
 * output [B, H, W, 3]. No weights.
 */
export class ApplyIsp extends MasrLayer {
  static className = 'MasrApplyIsp';
  readonly residualScale: number;
  readonly limit: number;

  constructor(options: ApplyIspOptions = {}) {
    super(options);
    this.residualScale = options.residualScale ?? 0.5;
    this.limit = options.limit ?? 3;
    if (!Number.isFinite(this.residualScale)) throw new Error(`${NAME}: residualScale must be finite, got ${this.residualScale}`);
    if (!(this.limit > 0)) throw new Error(`${NAME}: limit must be > 0, got ${this.limit}`);
  }

  private checkShapes(shapes: Shape[]): void {
    if (shapes.length !== 4) throw new Error(`${NAME}: expects 4 inputs (${INPUTS.join(', ')}), got ${shapes.length}`);
    shapes.forEach((s, i) => checkShape(NAME, INPUTS[i]!, s, 4, CHANNELS[i]!));
    const [b, h, w] = shapes[0]!;
    shapes.slice(1).forEach((s, i) => {
      [b, h, w].forEach((d, axis) => {
        const m = s[axis];
        if (d != null && m != null && d !== m) {
          throw new Error(
            `${NAME}: ${INPUTS[i + 1]} has shape [${s.map(String)}], which does not match the image [${shapes[0]!.map(String)}]`,
          );
        }
      });
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = Array.isArray(inputShape[0]) ? (inputShape as Shape[]) : [inputShape as Shape];
    this.checkShapes(shapes);
    return [...shapes[0]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    this.checkShapes(list.map((t) => t.shape));
    const [image, gamma, color, saturation] = list as tf.Tensor4D[];
    return applyIsp(image!, { gamma: gamma!, color: color!, saturation: saturation! }, {
      color: { residualScale: this.residualScale, limit: this.limit },
    });
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), residualScale: this.residualScale, limit: this.limit };
  }
}
register(ApplyIsp);
