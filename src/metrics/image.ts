import * as tf from '@tensorflow/tfjs-core';

/**
 * An RGB image for the evaluation metrics: interleaved H x W x 3 pixels, row-major.
 * Float arrays hold values in [0, 1]; Uint8Array / Uint8ClampedArray hold 8-bit values in [0, 255].
 * The data module's `RgbImage` (float32 in [0, 1]) is one of these, and so is sharp's raw 8-bit output.
 */
export interface RgbPixels {
  data: Float32Array | Float64Array | Uint8Array | Uint8ClampedArray;
  height: number;
  width: number;
}

/** What the metrics accept: an `RgbPixels`, or a tensor [H, W, 3] / [1, H, W, 3] with values in [0, 1]. */
export type MetricImage = RgbPixels | tf.Tensor;

/** An image converted for the metrics: float64 RGB in [0, 255]. */
export interface Rgb255 {
  data: Float64Array;
  height: number;
  width: number;
}

/** Values this far outside [0, 1] (float rounding of a model's output) are tolerated and clipped. */
const RANGE_TOLERANCE = 1e-6;

/**
 * Converts to float64 RGB in [0, 255]. NaN/Inf and values outside [0, 1] throw a RangeError naming the offending
 * value, unless `clip` is set, in which case out-of-range values are clipped (as evaluation scripts do with
 * `np.clip(output, 0, 1)`); NaN always throws.
 */
export function toRgb255(image: MetricImage, name: string, clip = false): Rgb255 {
  let src: ArrayLike<number>;
  let height: number;
  let width: number;
  let scale = 255;
  if (image instanceof tf.Tensor) {
    const s = image.shape;
    const ok = (image.rank === 3 && s[2] === 3) || (image.rank === 4 && s[0] === 1 && s[3] === 3);
    if (!ok) throw new Error(`${name}: expected a tensor [H, W, 3] or [1, H, W, 3], got [${s}]`);
    [height, width] = image.rank === 3 ? [s[0]!, s[1]!] : [s[1]!, s[2]!];
    src = image.dataSync();
  } else {
    if (!image || !image.data)
      throw new TypeError(`${name}: expected an RgbPixels {data, height, width} or a tf.Tensor`);
    ({ height, width } = image);
    if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
      throw new Error(`${name}: height and width must be positive integers, got ${height}x${width}`);
    }
    if (image.data.length !== height * width * 3) {
      throw new Error(`${name}: data has ${image.data.length} values, expected height*width*3 = ${height * width * 3}`);
    }
    src = image.data;
    if (image.data instanceof Uint8Array || image.data instanceof Uint8ClampedArray) scale = 1;
  }
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) {
    let v = src[i]!;
    if (scale !== 1) {
      if (Number.isNaN(v)) throw new RangeError(`${name}: contains NaN (at index ${i})`);
      if (v < 0 || v > 1) {
        if (!clip && (v < -RANGE_TOLERANCE || v > 1 + RANGE_TOLERANCE)) {
          throw new RangeError(
            `${name}: value ${v} at index ${i} is outside [0, 1]; pass { clip: true } to clip like evaluation scripts do`,
          );
        }
        v = v < 0 ? 0 : 1;
      }
    }
    out[i] = v * scale;
  }
  return { data: out, height, width };
}

export function assertSameSize(metric: string, a: Rgb255, b: Rgb255): void {
  if (a.height !== b.height || a.width !== b.width) {
    throw new Error(`${metric}: pred is ${a.height}x${a.width} but target is ${b.height}x${b.width}`);
  }
}
