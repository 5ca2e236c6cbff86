import * as tf from '@tensorflow/tfjs-core';
import type { IspApplyOptions } from './op';
import { ISP_OPS, ispOpsInApplyOrder } from './registry';

/**
 * The raw ISP maps: what MASR-Net's map generators produce and `applyIsp` takes, one [B, H, W, channels] map per
 * registered op. Edit them and apply them again with `applyIsp`; `ispDisplayMaps` derives what people read.
 */
export interface IspRawMaps {
  /** Gamma increment Δ [B, H, W, 1] (the exponent is 1 + Δ). */
  gamma: tf.Tensor4D;
  /** Raw colour-matrix parameters [B, H, W, 9] (M = clamp(I + 0.5 * params, ±3)). */
  color: tf.Tensor4D;
  /** Saturation logits [B, H, W, 1] (the factor is 1.5 + 0.4 tanh). */
  saturation: tf.Tensor4D;
  /** Further registered ops, by name. */
  [op: string]: tf.Tensor4D;
}

/** @deprecated the same type, now named IspRawMaps (to tell it from IspDisplayMaps). */
export type IspMaps = IspRawMaps;

/** The raw maps as people read them (the reference's `return_isp_params`): derived, not applicable. */
export interface IspDisplayMaps {
  /** The gamma exponent 1 + Δ [B, H, W, 1] ('gamma_map'). */
  gammaExponent: tf.Tensor4D;
  /** The applied colour matrix M = clamp(I + 0.5 * params, ±3), row-major 3x3 per pixel [B, H, W, 9]. */
  colorMatrix: tf.Tensor4D;
  /** ‖off-diagonal‖ / (‖diagonal‖ + 1e-8) of the raw colour parameters [B, H, W, 1] ('color_correction_strength'). */
  colorStrength: tf.Tensor4D;
  /** The saturation factor 1.5 + 0.4 tanh(logits) [B, H, W, 1] ('saturation_map'). */
  saturationFactor: tf.Tensor4D;
  /** Display maps of further registered ops. */
  [name: string]: tf.Tensor4D;
}

export interface ApplyIspOptions extends IspApplyOptions {
  /** Receives the image after each op but the last ('after_color', 'after_gamma'). */
  record?: (name: string, value: tf.Tensor) => void;
}

function checkMaps(maps: IspRawMaps, fn: string): void {
  for (const op of ISP_OPS) {
    if (!(maps?.[op.name] instanceof tf.Tensor))
      throw new Error(`${fn}: maps.${op.name} is missing; expected a [B, H, W, ${op.channels}] tensor`);
  }
}

/**
 * The reference ISP, in its order: colour matrix -> gamma -> saturation. image [B, H, W, 3] in [0, 1] and the raw
 * maps (IspRawMaps, as `enhanceWithMaps` returns in `raw`) -> [B, H, W, 3].
 */
export function applyIsp(image: tf.Tensor4D, maps: IspRawMaps, options: ApplyIspOptions = {}): tf.Tensor4D {
  checkMaps(maps, 'applyIsp');
  return tf.tidy(() => {
    let x = image;
    for (const op of ispOpsInApplyOrder()) {
      x = op.apply(x, maps[op.name]!, options);
      if (op.reference.afterRecord) options.record?.(op.reference.afterRecord, x);
    }
    return x;
  });
}

/** The display maps of raw maps (new tensors; the caller disposes them). */
export function ispDisplayMaps(maps: IspRawMaps, options: IspApplyOptions = {}): IspDisplayMaps {
  checkMaps(maps, 'ispDisplayMaps');
  return tf.tidy(() =>
    Object.assign({}, ...ISP_OPS.map((op) => op.display(maps[op.name]!, options))),
  ) as IspDisplayMaps;
}
