import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MasrLayer } from '../basic/masr-layer';
import { register, singleInput, singleShape, type LayerConfig, type Shape } from '../basic/common';
import { checkShape, type LayerArgs } from '../validate';

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
export class NeighbourSearcher extends MasrLayer {
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
    checkShape('NeighbourSearcher', 'input [B, h, w, L, D]', shape, 5, null);
    const [b, h, w, l, d] = shape;
    return [
      b ?? null,
      h == null || w == null ? null : h * w,
      l == null ? null : l * this.neighbourIndices.length,
      d ?? null,
    ];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => this.gatherPadded(NeighbourSearcher.pad(singleInput(inputs, 'NeighbourSearcher'))));
  }

  /** The grid [B, h, w, L, D] inside a ring of zero cells (the neighbours outside the grid): [B, h+2, w+2, L, D]. */
  static pad(x: tf.Tensor): tf.Tensor {
    checkShape('NeighbourSearcher', 'input [B, h, w, L, D]', x.shape, 5, null);
    const [b, h, w, l, d] = x.shape as [number, number, number, number, number];
    return tf.tidy(() =>
      tf.reshape(
        tf.pad(tf.reshape(x, [b, h, w, l * d]), [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ]),
        [b, h + 2, w + 2, l, d],
      ),
    );
  }

  /**
   * The neighbour tokens of a ringed grid [B, h+2, w+2, L, D] (as `pad` makes): [B, h*w, L*n, D]; call(x) is
   * gatherPadded(pad(x)). Any per-token map f commutes with the gather, gatherPadded(f(pad(x))) = f(call(x)): MASR-Net
   * projects the ringed grid to keys/values first (the ring projects to the bias, as the zero vectors would), which
   * costs about 1/n of projecting the gathered tokens (plus the ring of cells).
   */
  gatherPadded(padded: tf.Tensor): tf.Tensor {
    checkShape('NeighbourSearcher', 'ringed grid [B, h+2, w+2, L, D]', padded.shape, 5, null);
    const [b, h2, w2, l, d] = padded.shape as [number, number, number, number, number];
    const [h, w] = [h2 - 2, w2 - 2];
    if (h < 1 || w < 1) {
      throw new Error(`NeighbourSearcher: a ringed grid needs h+2, w+2 >= 3, got [${padded.shape}]`);
    }
    return tf.tidy(() => {
      // Rank-4 slices only: wasm's Slice on rank-5 tensors is ~100x slower (651 ms vs 5 ms at 400x600).
      const flat = tf.reshape(padded, [b, h2, w2, l * d]);
      const shifted = this.neighbourIndices.map((i) =>
        tf.reshape(tf.slice(flat, [0, Math.floor(i / 3), i % 3, 0], [b, h, w, l * d]), [b * h * w, l, 1, d]),
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
