import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { AntiCheckerboard } from './anti-checkerboard';
import { BoundaryAwareSmoothing } from './boundary-smoothing';
import { windowParamsToMap } from './coarse-fine-map';
import {
  buildNested,
  isTraining,
  register,
  singleInput,
  singleShape,
  type Kwargs,
  type LayerConfig,
  type ReferenceWeight,
  type Shape,
} from '../basic/common';
import { checkPositiveInt, checkRate, checkShape, type LayerArgs } from '../validate';
import { CompositeLayer } from '../basic/composite';
import { EnhancedFFN } from './enhanced-ffn';
import { MultiScaleParamSmoother } from './param-smoother';

export interface MapGeneratorOptions extends LayerArgs {
  /** Window side in pixels (patchSize * windowSize). Required. */
  windowPixels: number;
  /** Parameters per pixel (1 for gamma / saturation, 9 for the colour matrix). Required. */
  channels: number;
  /** Weight of the upsampled window mean. Default 0.9. */
  coarseWeight?: number;
  /** Weight of the per-pixel values. Default 0.1. */
  fineWeight?: number;
  /** EnhancedFFN dropout (training only). Default 0.1. */
  ffnDropout?: number;
  /** Add the parameter-space smoothing of the colour map (MultiScaleParamSmoother passes, then BoundaryAwareSmoothing). Default false. */
  paramSmoothing?: boolean;
  /** How many times the (same) MultiScaleParamSmoother is applied. Default 2, as the reference. */
  paramSmootherPasses?: number;
  /** How many times the (same) AntiCheckerboard module is applied. Default 2, as the reference. */
  antiCheckerboardPasses?: number;
}

/** Receives named intermediate maps of a forward pass (for parity checks and visualisation). */
export type StageRecorder = (name: string, value: tf.Tensor) => void;

/**
 * One ISP parameter map from the decoder outputs of every window: coarse/fine mix -> EnhancedFFN ->
 * [MultiScaleParamSmoother x passes -> BoundaryAwareSmoothing] -> AntiCheckerboard x passes.
 * [B, h, w, win*win*C] -> [B, h*win, w*win, C]. Each smoothing module is one set of weights applied repeatedly.
 */
export class MapGenerator extends CompositeLayer {
  static className = 'MasrMapGenerator';
  readonly windowPixels: number;
  readonly channels: number;
  readonly coarseWeight: number;
  readonly fineWeight: number;
  readonly ffnDropout: number;
  readonly paramSmoothing: boolean;
  readonly paramSmootherPasses: number;
  readonly antiCheckerboardPasses: number;
  readonly ffn: EnhancedFFN;
  readonly paramSmoother: MultiScaleParamSmoother | null;
  readonly boundarySmoother: BoundaryAwareSmoothing | null;
  readonly antiCheckerboard: AntiCheckerboard;

  constructor(options: MapGeneratorOptions) {
    super(options);
    const n = 'MapGenerator';
    this.windowPixels = checkPositiveInt(n, 'windowPixels', options.windowPixels);
    this.channels = checkPositiveInt(n, 'channels', options.channels);
    this.coarseWeight = options.coarseWeight ?? 0.9;
    this.fineWeight = options.fineWeight ?? 0.1;
    this.ffnDropout = checkRate(n, 'ffnDropout', options.ffnDropout ?? 0.1);
    this.paramSmoothing = options.paramSmoothing ?? false;
    this.paramSmootherPasses = checkPositiveInt(n, 'paramSmootherPasses', options.paramSmootherPasses ?? 2);
    this.antiCheckerboardPasses = checkPositiveInt(n, 'antiCheckerboardPasses', options.antiCheckerboardPasses ?? 2);
    this.ffn = new EnhancedFFN({ name: 'ffn', dropout: this.ffnDropout });
    this.paramSmoother = this.paramSmoothing ? new MultiScaleParamSmoother({ name: 'param_smoother' }) : null;
    this.boundarySmoother = this.paramSmoothing ? new BoundaryAwareSmoothing({ name: 'boundary_smoother' }) : null;
    this.antiCheckerboard = new AntiCheckerboard({ name: 'anti_checkerboard' });
  }

  protected sublayers(): tfl.layers.Layer[] {
    return [this.ffn, this.paramSmoother, this.boundarySmoother, this.antiCheckerboard].filter(
      (l): l is NonNullable<typeof l> => l != null,
    );
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape, 'MapGenerator');
    const win = this.windowPixels;
    checkShape('MapGenerator', 'input [B, h, w, win*win*C]', shape, 4, win * win * this.channels);
    const mapShape: Shape = [null, null, null, this.channels];
    for (const l of this.sublayers()) buildNested(l, mapShape);
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, h, w] = singleShape(inputShape, 'MapGenerator');
    const win = this.windowPixels;
    return [b ?? null, h == null ? null : h * win, w == null ? null : w * win, this.channels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return this.generate(singleInput(inputs, 'MapGenerator') as tf.Tensor4D, isTraining(kwargs));
  }

  /**
   * The forward pass; `record` sees 'mix', 'ffn', 'param_smoother.call{i}', 'boundary_smoother.call0' and
   * 'anti_checkerboard.call{i}' (NHWC).
   */
  generate(params: tf.Tensor4D, training = false, record?: StageRecorder): tf.Tensor4D {
    return tf.tidy(() => {
      const win = this.windowPixels;
      checkShape('MapGenerator', 'input [B, h, w, win*win*C]', params.shape, 4, win * win * this.channels);
      const kw = { training };
      let x = windowParamsToMap(params, this);
      record?.('mix', x);
      x = this.ffn.call(x, kw) as tf.Tensor4D;
      record?.('ffn', x);
      if (this.paramSmoother && this.boundarySmoother) {
        for (let i = 0; i < this.paramSmootherPasses; i++) {
          x = this.paramSmoother.call(x) as tf.Tensor4D;
          record?.(`param_smoother.call${i}`, x);
        }
        x = this.boundarySmoother.call(x) as tf.Tensor4D;
        record?.('boundary_smoother.call0', x);
      }
      for (let i = 0; i < this.antiCheckerboardPasses; i++) {
        x = this.antiCheckerboard.call(x) as tf.Tensor4D;
        record?.(`anti_checkerboard.call${i}`, x);
      }
      return x;
    });
  }

  /** Reference weights per module (the reference names them at model level, e.g. `isp_final_2_mlp.`, `param_smoother.`). */
  referenceWeightGroups(): {
    ffn: ReferenceWeight[];
    paramSmoother: ReferenceWeight[];
    boundarySmoother: ReferenceWeight[];
    antiCheckerboard: ReferenceWeight[];
  } {
    return {
      ffn: this.ffn.referenceWeights(),
      paramSmoother: this.paramSmoother?.referenceWeights() ?? [],
      boundarySmoother: this.boundarySmoother?.referenceWeights() ?? [],
      antiCheckerboard: this.antiCheckerboard.referenceWeights(),
    };
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      windowPixels: this.windowPixels,
      channels: this.channels,
      coarseWeight: this.coarseWeight,
      fineWeight: this.fineWeight,
      ffnDropout: this.ffnDropout,
      paramSmoothing: this.paramSmoothing,
      paramSmootherPasses: this.paramSmootherPasses,
      antiCheckerboardPasses: this.antiCheckerboardPasses,
    };
  }
}
register(MapGenerator);
