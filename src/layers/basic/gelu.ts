import * as tf from '@tensorflow/tfjs-core';
import { gelu } from '../../ops/index';
import { register, singleInput, singleShape, type Shape } from './common';
import { type LayerArgs } from '../validate';
import { MasrLayer } from './masr-layer';

export type GELUOptions = LayerArgs;

/**
 * Exact GELU, x · Φ(x) (PyTorch's default `nn.GELU()`), elementwise on any shape. Backend-safe: its gradient is one
 * library kernel on wasm and cpu (tfjs has no GELU layer, and its erf has no gradient on wasm). No weights.
 */
export class GELU extends MasrLayer {
  static className = 'MasrGELU';

  constructor(options: GELUOptions = {}) {
    super(options);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape, 'GELU');
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return gelu(singleInput(inputs, 'GELU'));
  }
}
register(GELU);
