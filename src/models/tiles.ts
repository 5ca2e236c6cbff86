/** Interleaved H x W x 3 pixels (the shape of data's TileImage, kept local: the model must not import Node code). */
export interface TileImage {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * Smallest tile: two 8-pixel windows. Below it the overlap eats the tile and the tile count explodes (`--tile 1` on a
 * photo meant millions of padded forwards that never finished).
 */
export const MIN_TILE = 16;

/** Throws unless `tile` is a whole number of pixels, at least MIN_TILE. `what` names it (an argument or a flag). */
export function checkTileSize(tile: number, what: string): void {
  if (!Number.isInteger(tile) || tile < MIN_TILE) {
    throw new Error(`${what} must be a whole number of pixels, at least ${MIN_TILE}, got ${tile}`);
  }
}

/** Tile origins along one axis: `size`-long tiles overlapping by `overlap`, the last one flush with the end. */
export function tileStarts(length: number, size: number, overlap: number): number[] {
  if (length <= size) return [0];
  const stride = size - overlap;
  if (stride <= 0) throw new Error(`tile size ${size} must exceed the overlap ${overlap}`);
  const starts: number[] = [];
  for (let s = 0; s + size < length; s += stride) starts.push(s);
  starts.push(length - size);
  return starts;
}

/** Blending weight along one axis: a linear ramp over the overlap on sides that border another tile, 1 elsewhere. */
function ramp(i: number, size: number, overlap: number, rampStart: boolean, rampEnd: boolean): number {
  let w = 1;
  if (rampStart && i < overlap) w = Math.min(w, (i + 1) / (overlap + 1));
  if (rampEnd && i >= size - overlap) w = Math.min(w, (size - i) / (overlap + 1));
  return w;
}

/**
 * Apply `fn` to overlapping tiles of `img` and blend the outputs (each an interleaved H x W x channels[k] array at the
 * tile's size) back into full-size arrays, feathering across overlaps. Bounds memory for very large images; the
 * overlap hides the seams of a model whose receptive field is local. `onTile(done, total)` reports progress.
 */
export function tiledApply(
  img: TileImage,
  tile: number,
  overlap: number,
  channels: number[],
  fn: (tile: TileImage) => Float32Array[],
  onTile?: (done: number, total: number) => void,
): Float32Array[] {
  const { width: W, height: H } = img;
  const outs = channels.map((c) => new Float32Array(W * H * c));
  const weight = new Float32Array(W * H);
  const ys = tileStarts(H, tile, overlap);
  const xs = tileStarts(W, tile, overlap);
  for (const [yi, y0] of ys.entries()) {
    for (const [xi, x0] of xs.entries()) {
      const h = Math.min(tile, H);
      const w = Math.min(tile, W);
      const data = new Float32Array(h * w * 3);
      for (let y = 0; y < h; y++)
        data.set(img.data.subarray(((y0 + y) * W + x0) * 3, ((y0 + y) * W + x0 + w) * 3), y * w * 3);
      const results = fn({ width: w, height: h, data });
      onTile?.(yi * xs.length + xi + 1, ys.length * xs.length);
      for (let y = 0; y < h; y++) {
        const wy = ramp(y, h, overlap, yi > 0, yi < ys.length - 1);
        for (let x = 0; x < w; x++) {
          const wgt = wy * ramp(x, w, overlap, xi > 0, xi < xs.length - 1);
          const p = (y0 + y) * W + x0 + x;
          weight[p] += wgt;
          results.forEach((r, k) => {
            const c = channels[k]!;
            for (let ch = 0; ch < c; ch++) outs[k]![p * c + ch] += wgt * r[(y * w + x) * c + ch]!;
          });
        }
      }
    }
  }
  outs.forEach((o, k) => {
    const c = channels[k]!;
    for (let p = 0; p < W * H; p++) for (let ch = 0; ch < c; ch++) o[p * c + ch] /= weight[p]!;
  });
  return outs;
}
