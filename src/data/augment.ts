import type { RgbImage } from './image';
import type { Rng } from '../random/rng';

/** How to augment a training pair. */
export interface AugmentOptions {
  /** Random crop size: one number for a square, or `[height, width]`. Default: no crop (the full image). */
  crop?: number | [number, number];
  /** Random horizontal and vertical flips, each with probability 1/2. Default true. */
  flips?: boolean;
  /** Random rotation by a multiple of 90°. Quarter turns only when the output is square (so batches keep one shape); otherwise 0° or 180°. Default true. */
  rot90?: boolean;
  /**
   * Deterministic centre crop instead: the crop is centred and clamped to the image (an image smaller than the crop
   * is kept whole), no flips or rotation. For validation. Default false.
   */
  center?: boolean;
}

/** One drawn augmentation: apply the same one to both images of a pair. */
export interface AugmentParams {
  top: number;
  left: number;
  height: number;
  width: number;
  flipH: boolean;
  flipV: boolean;
  /** Counter-clockwise quarter turns (as numpy's rot90), 0..3; applied after the crop and the flips. */
  rot: 0 | 1 | 2 | 3;
}

/** Normalise a crop option to `[height, width]`, checking it. */
export function cropSize(crop: number | [number, number]): [number, number] {
  const [h, w] = typeof crop === 'number' ? [crop, crop] : crop;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new Error(`crop size must be positive integers, got ${JSON.stringify(crop)}`);
  }
  return [h, w];
}

/** Draw an augmentation for an image of `height x width`. Throws when the image is smaller than the crop. */
export function drawAugment(rng: Rng, height: number, width: number, options: AugmentOptions = {}): AugmentParams {
  if (options.center) {
    const [ch, cw] = options.crop === undefined ? [height, width] : cropSize(options.crop);
    const h = Math.min(ch, height);
    const w = Math.min(cw, width);
    const top = Math.floor((height - h) / 2);
    const left = Math.floor((width - w) / 2);
    return { top, left, height: h, width: w, flipH: false, flipV: false, rot: 0 };
  }
  const [ch, cw] = options.crop === undefined ? [height, width] : cropSize(options.crop);
  if (ch > height || cw > width) {
    throw new Error(`image ${width}x${height} is smaller than the crop ${cw}x${ch}`);
  }
  const top = rng.int(height - ch + 1);
  const left = rng.int(width - cw + 1);
  const flips = options.flips ?? true;
  const flipH = flips ? rng.bool() : false;
  const flipV = flips ? rng.bool() : false;
  let rot: AugmentParams['rot'] = 0;
  if (options.rot90 ?? true) rot = (ch === cw ? rng.int(4) : 2 * rng.int(2)) as AugmentParams['rot'];
  return { top, left, height: ch, width: cw, flipH, flipV, rot };
}

/** Apply a drawn augmentation to one image (crop, then flips, then rotation). */
export function applyAugment(img: RgbImage, p: AugmentParams): RgbImage {
  if (p.top < 0 || p.left < 0 || p.top + p.height > img.height || p.left + p.width > img.width) {
    throw new Error(
      `augmentation crop ${p.width}x${p.height}+${p.left}+${p.top} falls outside the ${img.width}x${img.height} image`,
    );
  }
  const ch = p.height;
  const cw = p.width;
  const outH = p.rot % 2 === 1 ? cw : ch;
  const outW = p.rot % 2 === 1 ? ch : cw;
  const out = new Float32Array(outH * outW * 3);
  const src = img.data;
  let o = 0;
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++, o += 3) {
      // Where (i, j) of the rotated image comes from in the cropped-and-flipped one (numpy rot90 semantics).
      let vy: number;
      let vx: number;
      if (p.rot === 0) [vy, vx] = [i, j];
      else if (p.rot === 1) [vy, vx] = [j, cw - 1 - i];
      else if (p.rot === 2) [vy, vx] = [ch - 1 - i, cw - 1 - j];
      else [vy, vx] = [ch - 1 - j, i];
      const sy = p.top + (p.flipV ? ch - 1 - vy : vy);
      const sx = p.left + (p.flipH ? cw - 1 - vx : vx);
      const s = (sy * img.width + sx) * 3;
      out[o] = src[s]!;
      out[o + 1] = src[s + 1]!;
      out[o + 2] = src[s + 2]!;
    }
  }
  return { width: outW, height: outH, data: out };
}

/**
 * Augment a pair identically: one crop position, one flip choice, one rotation for both.
 * The two images must have the same size.
 */
export function augmentPair(
  input: RgbImage,
  target: RgbImage,
  rng: Rng,
  options: AugmentOptions = {},
): { input: RgbImage; target: RgbImage; params: AugmentParams } {
  if (input.width !== target.width || input.height !== target.height) {
    throw new Error(`pair sizes differ: input ${input.width}x${input.height}, target ${target.width}x${target.height}`);
  }
  const params = drawAugment(rng, input.height, input.width, options);
  return { input: applyAugment(input, params), target: applyAugment(target, params), params };
}
