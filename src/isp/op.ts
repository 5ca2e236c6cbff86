import type * as tf from '@tensorflow/tfjs-core';
import type { ColorMatrixOptions } from './color-matrix';

/** Options of the ISP stage, read by the ops that need them. */
export interface IspApplyOptions {
  /** The colour matrix's residual scale and clamp. */
  color?: ColorMatrixOptions;
}

/**
 * One ISP operation of MASR-Net, described once: its decoder head, its per-pixel map, how the map is applied to the
 * image and how it is shown. The network, the FLOP count, the reference checkpoint names, `applyIsp` and
 * `enhanceWithMaps` are all driven by the list in `registry.ts`: adding an op is one file with its descriptor and one
 * line there (plus a decoder entry in the presets' `decoders`, whose defaults come from `decoder.defaults`).
 */
export interface IspOp {
  /** Key of the op's map in IspRawMaps and of its decoder in the config's `decoders`. */
  readonly name: string;
  /** Parameters per pixel that the decoder predicts (per window pixel) and the map carries. */
  readonly channels: number;
  /** Position in the ISP chain (applied in increasing order); the decoder slot is the position in the registry. */
  readonly applyOrder: number;
  readonly decoder: {
    /** Initial bias of the decoder's output layer. */
    outputBiasInit: number;
    /** The reference preset's hidden widths and dropout. */
    defaults: { hiddenSizes: number[]; dropout: number };
  };
  /** Map generation: whether the shared parameter-space smoothers (MultiScaleParamSmoother, BoundaryAwareSmoothing) run. */
  readonly paramSmoothing: boolean;
  /** Names in the reference model: decoder `isp_<index>`, `isp_final_<index>_mlp`, `anti_checkerboard_<name>`. */
  readonly reference: {
    index: number;
    /** Activation name of the finished map. */
    mapRecord: string;
    /** Activation name of the image after this op (the last op's result is the output). */
    afterRecord?: string;
    /** FLOPs of the per-pixel apply, when counted (module name, multiply-accumulates per pixel). */
    applyFlops?: { module: string; macsPerPixel: number };
  };
  /** The image [B, H, W, 3] with the op applied, from its raw map [B, H, W, channels]. */
  apply(image: tf.Tensor4D, map: tf.Tensor4D, options: IspApplyOptions): tf.Tensor4D;
  /** The raw map as people read it (e.g. the gamma exponent rather than its increment); new tensors. */
  display(map: tf.Tensor4D, options: IspApplyOptions): Record<string, tf.Tensor4D>;
  /** The display map drawn as this op's heatmap, and its title. */
  readonly heatmap: { display: string; title: string };
}
