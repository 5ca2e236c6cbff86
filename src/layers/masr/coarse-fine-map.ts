import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MasrLayer } from '../basic/masr-layer';
import { resizeBilinear } from '../../ops/index';
import { register, singleInput, singleShape, type LayerConfig, type Shape } from '../basic/common';
import { checkPositiveInt, checkShape, type LayerArgs } from '../validate';

export interface CoarseFineOptions {
  /** Window side in pixels (patchSize * windowSize). */
  windowPixels: number;
  /** Parameters per pixel C. */
  channels: number;
  /** Weight of the bilinearly upsampled window mean. Default 0.9. */
  coarseWeight?: number;
  /** Weight of the per-pixel values. Default 0.1. */
  fineWeight?: number;
}

/**
 * Per-window decoder outputs -> a per-pixel map (the reference's two-stage map generation).
 * `params` [B, h, w, win*win*C] is pixel-major (value = pixel * C + param, pixel = r * win + c).
 * coarse = window mean bilinearly resized to (h*win, w*win) (align_corners=False); fine = each pixel's own value;
 * result = coarseWeight * coarse + fineWeight * fine, [B, h*win, w*win, C].
 */
export function windowParamsToMap(params: tf.Tensor4D, options: CoarseFineOptions): tf.Tensor4D {
  const { windowPixels: win, channels: c } = options;
  const [b, h, w, n] = params.shape;
  if (n !== win * win * c) {
    throw new Error(
      `windowParamsToMap: expected ${win * win * c} values per window (${win}x${win} pixels x ${c}), got ${n}`,
    );
  }
  return tf.tidy(() => {
    const perPixel = tf.reshape(params, [b, h, w, win, win, c]);
    const coarse = resizeBilinear(tf.mean(tf.reshape(params, [b, h, w, win * win, c]), 3) as tf.Tensor4D, [
      h * win,
      w * win,
    ]);
    const fine = tf.reshape(tf.transpose(perPixel, [0, 1, 3, 2, 4, 5]), [b, h * win, w * win, c]);
    return tf.add(tf.mul(coarse, options.coarseWeight ?? 0.9), tf.mul(fine, options.fineWeight ?? 0.1)) as tf.Tensor4D;
  });
}

export type CoarseFineMapOptions = LayerArgs & CoarseFineOptions;

/** Layer form of {@link windowParamsToMap}: [B, h, w, win*win*C] -> [B, h*win, w*win, C]. No weights. */
export class CoarseFineMap extends MasrLayer {
  static className = 'MasrCoarseFineMap';
  readonly windowPixels: number;
  readonly channels: number;
  readonly coarseWeight: number;
  readonly fineWeight: number;

  constructor(options: CoarseFineMapOptions) {
    super(options);
    this.windowPixels = checkPositiveInt('CoarseFineMap', 'windowPixels', options.windowPixels);
    this.channels = checkPositiveInt('CoarseFineMap', 'channels', options.channels);
    this.coarseWeight = options.coarseWeight ?? 0.9;
    this.fineWeight = options.fineWeight ?? 0.1;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = singleShape(inputShape, 'CoarseFineMap');
    const win = this.windowPixels;
    checkShape('CoarseFineMap', 'input [B, h, w, win*win*C]', shape, 4, win * win * this.channels);
    const [b, h, w] = shape;
    return [b ?? null, h == null ? null : h * win, w == null ? null : w * win, this.channels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, 'CoarseFineMap');
      checkShape('CoarseFineMap', 'input [B, h, w, win*win*C]', x.shape, 4, null);
      return windowParamsToMap(x as tf.Tensor4D, this);
    });
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      windowPixels: this.windowPixels,
      channels: this.channels,
      coarseWeight: this.coarseWeight,
      fineWeight: this.fineWeight,
    };
  }
}
register(CoarseFineMap);
