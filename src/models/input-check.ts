import * as tf from '@tensorflow/tfjs-core';

/**
 * Largest B·H·W that `enhance` runs in one forward pass. The whole-image forward needs ~2 GB per megapixel and the
 * wasm heap stops at 4 GB: a larger image ran out of bounds after ~16 s and left the wasm backend unusable for the
 * rest of the process. Above it, use `enhanceTiled`, or raise `model.maxPixels` on a backend with the memory.
 */
export const DEFAULT_MAX_PIXELS = 1_500_000;

export interface ImageCheck {
  /** Also read min, max and sum (one small reduction, one read): values must be finite and in [0, 1]. */
  range?: boolean;
  /** Refuse more than this many pixels (B·H·W). */
  maxPixels?: number;
}

/**
 * Check a model input before anything runs on it: a float32 [B, H, W, 3] tensor (B, H, W ≥ 1) and, with `range`,
 * values in [0, 1] without NaN. Wrong dtypes and values are not converted: int32 or out-of-range pixels gave an
 * all-white image, one NaN an all-black one, and a bool tensor crashed the wasm backend. Throws one line naming `name`.
 */
export function checkImages(images: tf.Tensor, name: string, check: ImageCheck = {}): void {
  // Duck-typed: a second copy of tfjs-core (CJS next to ESM) makes tensors that fail instanceof.
  const t = images as Partial<tf.Tensor> | null | undefined;
  if (typeof t?.dtype !== 'string' || !Array.isArray(t.shape)) {
    throw new Error(`${name} must be a tf.Tensor [B, H, W, 3], got ${t === null ? 'null' : typeof t}`);
  }
  if (images.isDisposed) throw new Error(`${name} has been disposed`);
  const shape = images.shape;
  if (images.rank !== 4 || shape[3] !== 3 || shape.some((d) => d < 1)) {
    throw new Error(`${name} must be [B, H, W, 3] with B, H, W >= 1, got [${shape}]`);
  }
  if (images.dtype !== 'float32') {
    throw new Error(
      `${name} must be float32 in [0, 1], got ${images.dtype} (8-bit pixels: tf.div(tf.cast(x, 'float32'), 255))`,
    );
  }
  const pixels = shape[0]! * shape[1]! * shape[2]!;
  if (check.maxPixels !== undefined && pixels > check.maxPixels) {
    throw new Error(
      `${name} has ${shape[0]}x${shape[1]}x${shape[2]} = ${pixels} pixels, above the limit of ${check.maxPixels} for ` +
        'one forward pass: use enhanceTiled, or raise model.maxPixels if the backend has the memory',
    );
  }
  if (!check.range) return;
  const stats = rangeStats(images);
  const values = stats.dataSync();
  stats.dispose();
  checkRange(values, name);
}

/** checkImages with the range read asynchronously (no synchronous GPU read on WebGL/WebGPU). */
export async function checkImagesAsync(images: tf.Tensor, name: string, check: ImageCheck = {}): Promise<void> {
  checkImages(images, name, { ...check, range: false });
  if (!check.range) return;
  const stats = rangeStats(images);
  try {
    checkRange(await stats.data(), name);
  } finally {
    stats.dispose();
  }
}

function rangeStats(images: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.stack([tf.min(images), tf.max(images), tf.sum(images)]) as tf.Tensor1D);
}

function checkRange(values: ArrayLike<number>, name: string): void {
  const [lo, hi, sum] = [values[0]!, values[1]!, values[2]!];
  // min/max may skip NaN on some backends; a sum of values in [0, 1] is finite unless one is NaN or infinite.
  if (!Number.isFinite(sum)) throw new Error(`${name} contains NaN or infinite values; expected values in [0, 1]`);
  if (lo < 0 || hi > 1) throw new Error(`${name} must hold values in [0, 1], got [${lo}, ${hi}]`);
}
