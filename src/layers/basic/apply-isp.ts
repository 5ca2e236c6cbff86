import * as tf from '@tensorflow/tfjs-core';
import { ISP_OPS, applyIsp, type IspRawMaps } from '../../isp/index';
import { register, type LayerConfig, type Shape } from './common';
import { checkShape, type LayerArgs } from '../validate';
import { MasrLayer } from './masr-layer';

export interface ApplyIspLayerOptions extends LayerArgs {
  /** Colour matrix M = I + residualScale · params. Default 0.5 (MASR-Net's). */
  residualScale?: number;
  /** Colour-matrix entries are clamped to ±limit. Default 3. */
  limit?: number;
}

const NAME = 'ApplyIsp';
// The image, then one raw map per registered ISP op (ISP_OPS order: gamma Δ, colour parameters, saturation logits).
const INPUTS = ['image [B, H, W, 3]', ...ISP_OPS.map((op) => `${op.name} map [B, H, W, ${op.channels}]`)];
const CHANNELS = [3, ...ISP_OPS.map((op) => op.channels)];

/**
 * Layer form of {@link applyIsp}: the differentiable per-pixel ISP (colour matrix -> gamma -> saturation) applied to
 * an image in [0, 1] with the raw maps (IspRawMaps) a network predicts. Inputs: the image [B, H, W, 3], then one raw
 * map per ISP op in ISP_OPS order: gamma increment Δ [B, H, W, 1] (exponent 1 + Δ), colour-matrix parameters
 * [B, H, W, 9], saturation logits [B, H, W, 1]. Output [B, H, W, 3]. No weights.
 */
export class ApplyIsp extends MasrLayer {
  static className = 'MasrApplyIsp';
  readonly residualScale: number;
  readonly limit: number;

  constructor(options: ApplyIspLayerOptions = {}) {
    super(options);
    this.residualScale = options.residualScale ?? 0.5;
    this.limit = options.limit ?? 3;
    if (!Number.isFinite(this.residualScale))
      throw new Error(`${NAME}: residualScale must be finite, got ${this.residualScale}`);
    if (!(this.limit > 0)) throw new Error(`${NAME}: limit must be > 0, got ${this.limit}`);
  }

  private checkShapes(shapes: Shape[]): void {
    if (shapes.length !== INPUTS.length) {
      throw new Error(`${NAME}: expects ${INPUTS.length} inputs (${INPUTS.join(', ')}), got ${shapes.length}`);
    }
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
    const [image, ...maps] = list as tf.Tensor4D[];
    const raw = Object.fromEntries(ISP_OPS.map((op, i) => [op.name, maps[i]!])) as IspRawMaps;
    return applyIsp(image!, raw, { color: { residualScale: this.residualScale, limit: this.limit } });
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), residualScale: this.residualScale, limit: this.limit };
  }
}
register(ApplyIsp);
