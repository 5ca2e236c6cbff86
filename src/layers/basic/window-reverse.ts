import * as tf from '@tensorflow/tfjs-core';
import { windowReverse } from './window-partition';
import { register, singleInput, singleShape, type LayerConfig, type Shape } from './common';
import { checkPositiveInt, checkShape, type LayerArgs } from '../validate';
import { MasrLayer } from './masr-layer';

export interface WindowReverseOptions extends LayerArgs {
  /** Window side ws in tokens. Required. */
  windowSize: number;
  /** Height and width [Hp, Wp] of the reassembled map, multiples of windowSize. Required (the window grid's shape). */
  outputSize: [number, number];
}

const NAME = 'WindowReverse';

/**
 * Layer form of {@link windowReverse}, the inverse of WindowPartition: [B, (Hp/ws)·(Wp/ws), ws², C] -> [B, Hp, Wp, C]
 * (windows row-major over the grid, tokens row-major in a window). No weights.
 */
export class WindowReverse extends MasrLayer {
  static className = 'MasrWindowReverse';
  readonly windowSize: number;
  readonly outputSize: [number, number];

  constructor(options: WindowReverseOptions) {
    super(options);
    const ws = checkPositiveInt(NAME, 'windowSize', options.windowSize);
    const size = options.outputSize;
    if (!Array.isArray(size) || size.length !== 2) {
      throw new Error(`${NAME}: outputSize must be [height, width], got ${JSON.stringify(size)}`);
    }
    const [h, w] = size.map((d, i) => checkPositiveInt(NAME, `outputSize[${i}]`, d)) as [number, number];
    if (h % ws !== 0 || w % ws !== 0) {
      throw new Error(`${NAME}: outputSize [${h}, ${w}] must be multiples of windowSize ${ws}`);
    }
    this.windowSize = ws;
    this.outputSize = [h, w];
  }

  private checkInput(shape: Shape): void {
    checkShape(NAME, 'input [B, P, ws², C]', shape, 4, null);
    const [h, w] = this.outputSize;
    const ws = this.windowSize;
    const [, p, t] = shape;
    if ((p != null && p !== (h / ws) * (w / ws)) || (t != null && t !== ws * ws)) {
      throw new Error(
        `${NAME}: input [${shape.map(String)}] must be [B, ${(h / ws) * (w / ws)}, ${ws * ws}, C] ` +
          `for outputSize [${h}, ${w}] and windowSize ${ws}`,
      );
    }
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = singleShape(inputShape, NAME);
    this.checkInput(shape);
    return [shape[0] ?? null, this.outputSize[0], this.outputSize[1], shape[3] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = singleInput(inputs, NAME) as tf.Tensor4D;
    this.checkInput(x.shape);
    const ws = this.windowSize;
    return windowReverse(x, this.outputSize[0] / ws, this.outputSize[1] / ws, ws);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), windowSize: this.windowSize, outputSize: [...this.outputSize] };
  }
}
register(WindowReverse);
