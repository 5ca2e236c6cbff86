import { describe, expect, it } from 'vitest';
import { Rng, applyAugment, augmentPair, drawAugment, type AugmentParams } from '../../src/data/index';
import { patternImage } from './helpers';

/** A 2x3 single-valued-per-pixel image: value = 10*y + x in every channel. */
const grid = (h: number, w: number) => ({
  width: w,
  height: h,
  data: Float32Array.from({ length: h * w * 3 }, (_, i) => 10 * Math.floor(i / 3 / w) + (Math.floor(i / 3) % w)),
});
const values = (img: { width: number; height: number; data: Float32Array }) => {
  const rows: number[][] = [];
  for (let y = 0; y < img.height; y++)
    rows.push(Array.from({ length: img.width }, (_, x) => img.data[(y * img.width + x) * 3]!));
  return rows;
};
const base = (h: number, w: number): AugmentParams => ({
  top: 0,
  left: 0,
  height: h,
  width: w,
  flipH: false,
  flipV: false,
  rot: 0,
});

describe('augmentation', () => {
  it('crops, flips and rotates like numpy (rot90 counter-clockwise)', () => {
    const img = grid(2, 3); // [[0,1,2],[10,11,12]]
    expect(values(applyAugment(img, base(2, 3)))).toEqual([
      [0, 1, 2],
      [10, 11, 12],
    ]);
    expect(values(applyAugment(img, { ...base(2, 3), flipH: true }))).toEqual([
      [2, 1, 0],
      [12, 11, 10],
    ]);
    expect(values(applyAugment(img, { ...base(2, 3), flipV: true }))).toEqual([
      [10, 11, 12],
      [0, 1, 2],
    ]);
    // np.rot90([[0,1,2],[10,11,12]], k) for k = 1, 2, 3
    expect(values(applyAugment(img, { ...base(2, 3), rot: 1 }))).toEqual([
      [2, 12],
      [1, 11],
      [0, 10],
    ]);
    expect(values(applyAugment(img, { ...base(2, 3), rot: 2 }))).toEqual([
      [12, 11, 10],
      [2, 1, 0],
    ]);
    expect(values(applyAugment(img, { ...base(2, 3), rot: 3 }))).toEqual([
      [10, 0],
      [11, 1],
      [12, 2],
    ]);
    expect(values(applyAugment(grid(4, 4), { ...base(2, 2), top: 1, left: 2 }))).toEqual([
      [12, 13],
      [22, 23],
    ]);
    expect(() => applyAugment(img, { ...base(2, 2), left: 2 })).toThrow(/falls outside/);
  });

  it('applies the same transform to both images of a pair', () => {
    const input = patternImage(40, 30, 1);
    const target = { ...input, data: input.data.map((v) => 1 - v) };
    const rng = new Rng(5);
    const seen = new Set<string>();
    for (let t = 0; t < 40; t++) {
      const out = augmentPair(input, target, rng, { crop: 16 });
      expect([out.input.width, out.input.height, out.target.width, out.target.height]).toEqual([16, 16, 16, 16]);
      out.input.data.forEach((v, i) => expect(out.target.data[i]).toBeCloseTo(1 - v, 6));
      seen.add(`${out.params.flipH}${out.params.flipV}${out.params.rot}`);
    }
    expect(seen.size).toBeGreaterThan(8); // flips and rotations are all drawn
    expect(() => augmentPair(input, patternImage(40, 31), rng)).toThrow(/pair sizes differ/);
  });

  it('keeps the crop inside the image, covers all positions, and refuses too-small images', () => {
    const rng = new Rng(9);
    const tops = new Set<number>();
    const lefts = new Set<number>();
    for (let t = 0; t < 500; t++) {
      const p = drawAugment(rng, 10, 12, { crop: [8, 9] });
      expect(p.top + p.height).toBeLessThanOrEqual(10);
      expect(p.left + p.width).toBeLessThanOrEqual(12);
      expect([0, 2]).toContain(p.rot); // non-square crop: no quarter turns, so batch shapes stay fixed
      tops.add(p.top);
      lefts.add(p.left);
    }
    expect([...tops].sort()).toEqual([0, 1, 2]);
    expect([...lefts].sort()).toEqual([0, 1, 2, 3]);
    expect(() => drawAugment(rng, 10, 12, { crop: 11 })).toThrow('image 12x10 is smaller than the crop 11x11');
    const none = drawAugment(rng, 10, 12, { flips: false, rot90: false });
    expect(none).toEqual({ top: 0, left: 0, height: 10, width: 12, flipH: false, flipV: false, rot: 0 });
  });

  it('is deterministic for a seed', () => {
    const a = drawAugment(new Rng(3), 50, 50, { crop: 20 });
    const b = drawAugment(new Rng(3), 50, 50, { crop: 20 });
    expect(a).toEqual(b);
  });
});
