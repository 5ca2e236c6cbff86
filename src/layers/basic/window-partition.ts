import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MasrLayer } from './masr-layer';
import { register, singleInput, singleShape, type LayerConfig, type Shape } from './common';
import { checkPositiveInt, checkShape, type LayerArgs } from '../validate';

/**
 * Split a feature map [B, Hp, Wp, C] into non-overlapping ws x ws windows: [B, P, ws*ws, C] with windows row-major over
 * the (Hp/ws) x (Wp/ws) grid and tokens row-major inside a window (the reference's window_partition, channel last).
 */
export function windowPartition(x: tf.Tensor4D, windowSize: number): tf.Tensor4D {
  const [b, hp, wp, c] = x.shape;
  const ws = windowSize;
  if (hp % ws !== 0 || wp % ws !== 0) {
    throw new Error(`windowPartition: feature map ${hp}x${wp} is not a multiple of the window size ${ws}`);
  }
  const h = hp / ws;
  const w = wp / ws;
  return tf.tidy(() =>
    tf.reshape(tf.transpose(tf.reshape(x, [b, h, ws, w, ws, c]), [0, 1, 3, 2, 4, 5]), [b, h * w, ws * ws, c]),
  );
}

/** Inverse of windowPartition: [B, h*w, ws*ws, C] -> [B, h*ws, w*ws, C] for a window grid of h rows and w columns. */
export function windowReverse(windows: tf.Tensor4D, gridH: number, gridW: number, windowSize: number): tf.Tensor4D {
  const [b, p, t, c] = windows.shape;
  const ws = windowSize;
  if (p !== gridH * gridW || t !== ws * ws) {
    throw new Error(
      `windowReverse: windows [${windows.shape}] do not match a ${gridH}x${gridW} grid of ${ws}x${ws} windows`,
    );
  }
  return tf.tidy(() =>
    tf.reshape(tf.transpose(tf.reshape(windows, [b, gridH, gridW, ws, ws, c]), [0, 1, 3, 2, 4, 5]), [
      b,
      gridH * ws,
      gridW * ws,
      c,
    ]),
  );
}

export interface WindowPartitionOptions extends LayerArgs {
  /** Window side in tokens (patches). Required. */
  windowSize: number;
}

/** Layer form of {@link windowPartition}: [B, Hp, Wp, C] -> [B, (Hp/ws)*(Wp/ws), ws*ws, C]. No weights. */
export class WindowPartition extends MasrLayer {
  static className = 'MasrWindowPartition';
  readonly windowSize: number;

  constructor(options: WindowPartitionOptions) {
    super(options);
    this.windowSize = checkPositiveInt('WindowPartition', 'windowSize', options.windowSize);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = singleShape(inputShape, 'WindowPartition');
    checkShape('WindowPartition', 'input [B, Hp, Wp, C]', shape, 4, null);
    const [b, h, w, c] = shape;
    const ws = this.windowSize;
    const p = h == null || w == null ? null : Math.floor(h / ws) * Math.floor(w / ws);
    return [b ?? null, p, ws * ws, c ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, 'WindowPartition');
      checkShape('WindowPartition', 'input [B, Hp, Wp, C]', x.shape, 4, null);
      return windowPartition(x as tf.Tensor4D, this.windowSize);
    });
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), windowSize: this.windowSize };
  }
}
register(WindowPartition);
