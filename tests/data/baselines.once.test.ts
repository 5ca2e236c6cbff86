import { describe, expect, it } from 'vitest';
import { equalizeValue, gammaToMean } from '../../src/data/index';
import { patternImage } from './helpers';

const mean = (d: Float32Array) => d.reduce((s, v) => s + v, 0) / d.length;

describe('enhancement baselines', () => {
  it('gammaToMean finds the global gamma that brings the mean to the target', () => {
    const img = patternImage(40, 30);
    const dark = { ...img, data: img.data.map((v) => v * 0.2) };
    for (const target of [0.2, 0.45, 0.7]) {
      const out = gammaToMean(dark, target);
      expect(mean(out.data)).toBeCloseTo(target, 5);
      // One global power: the ordering of values is kept and 0 stays 0.
      const order = (d: Float32Array) => Array.from(d.keys()).sort((a, b) => d[a]! - d[b]! || a - b);
      expect(order(out.data)).toEqual(order(dark.data));
    }
    expect(() => gammaToMean(dark, 1)).toThrow(/target must be in \(0, 1\)/);
  });

  it('equalizeValue flattens the histogram of max(R,G,B) and keeps each pixel’s channel ratios', () => {
    const img = patternImage(64, 64);
    const dark = { ...img, data: img.data.map((v) => v * 0.25) };
    const out = equalizeValue(dark);
    const values: number[] = [];
    for (let p = 0; p < 64 * 64; p++) {
      const [r, g, b] = [0, 1, 2].map((c) => dark.data[3 * p + c]!);
      const [R, G, B] = [0, 1, 2].map((c) => out.data[3 * p + c]!);
      values.push(Math.max(R!, G!, B!));
      const v = Math.max(r!, g!, b!);
      if (v > 0)
        for (const [x, y] of [
          [r, R],
          [g, G],
          [b, B],
        ] as const)
          expect(y! * v).toBeCloseTo(x! * Math.max(R!, G!, B!), 5);
    }
    // Equalised: spans [0, 1] and each quarter of the range holds about a quarter of the pixels.
    expect(Math.max(...values)).toBeCloseTo(1, 6);
    for (let q = 0; q < 4; q++) {
      const share = values.filter((v) => v >= q / 4 && v < (q + 1) / 4 + (q === 3 ? 1e-9 : 0)).length / values.length;
      expect(Math.abs(share - 0.25)).toBeLessThan(0.08);
    }
  });
});
