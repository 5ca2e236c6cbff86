import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkShape, register, singleInput, singleShape, type LayerArgs, type LayerConfig, type Shape } from './common';

/** The 8 neighbours of a 3x3 block in raster order without the centre (index = 3*(dy+1) + (dx+1)). */
export const DEFAULT_NEIGHBOUR_INDICES: readonly number[] = [0, 1, 2, 3, 5, 6, 7, 8];

export interface NeighbourSearcherOptions extends LayerArgs {
  /**
   * Which cells of the 3x3 block around each window are gathered, as raster indices 0..8 (4 = the window itself).
   * Default [0, 1, 2, 3, 5, 6, 7, 8] (the reference's `neighbor_indices` buffer).
   */
  neighbourIndices?: number[];
}

/**
 * The reference PatchNeighborSearcher, on a window grid: [B, h, w, L, D] -> [B, h*w, L*n, D] (n = 8 neighbours).
 * Output token `l*n + j` is slot l of neighbour j; neighbours outside the grid are zero vectors (not masked).
 */
export class NeighbourSearcher extends tfl.layers.Layer {
  static className = 'MasrNeighbourSearcher';
  readonly neighbourIndices: number[];

  constructor(options: NeighbourSearcherOptions = {}) {
    super(options);
    const idx = options.neighbourIndices ?? [...DEFAULT_NEIGHBOUR_INDICES];
    if (!Array.isArray(idx) || idx.length === 0 || idx.some((i) => !Number.isInteger(i) || i < 0 || i > 8)) {
      throw new Error(`NeighbourSearcher: neighbourIndices must be integers in 0..8, got [${String(idx)}]`);
    }
    this.neighbourIndices = [...idx];
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = singleShape(inputShape, 'NeighbourSearcher');
    checkShape(shape, 5, null, 'NeighbourSearcher', 'input [B, h, w, L, D]');
    const [b, h, w, l, d] = shape;
    return [
      b ?? null,
      h == null || w == null ? null : h * w,
      l == null ? null : l * this.neighbourIndices.length,
      d ?? null,
    ];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, 'NeighbourSearcher');
      checkShape(x.shape, 5, null, 'NeighbourSearcher', 'input [B, h, w, L, D]');
      const [b, h, w, l, d] = x.shape as [number, number, number, number, number];
      // Rank-4 slices only: wasm's Slice on rank-5 tensors is ~100x slower (651 ms vs 5 ms at 400x600).
      const padded = tf.pad(tf.reshape(x, [b, h, w, l * d]), [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ]);
      const shifted = this.neighbourIndices.map((i) =>
        tf.reshape(tf.slice(padded, [0, Math.floor(i / 3), i % 3, 0], [b, h, w, l * d]), [b * h * w, l, 1, d]),
      );
      const n = this.neighbourIndices.length;
      return tf.reshape(tf.concat(shifted, 2), [b, h * w, l * n, d]);
    });
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), neighbourIndices: [...this.neighbourIndices] };
  }
}
register(NeighbourSearcher);
