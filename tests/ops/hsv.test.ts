// RGB <-> HSV with kornia 0.8 semantics (hue in radians, S = (max - min) / (max + 1e-8), first maximal channel wins).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { hsvToRgb, rgbToHsv } from '../../src/ops';
import { maxAbsDiff, randomArray } from '../helpers/gradcheck';
import { interiorHsv, separatedRgb } from './cases';

const TAU = 2 * Math.PI;

// Hand-computed from the kornia formulas: [r, g, b] -> [h (radians), s, v].
const GOLDEN: [number[], number[]][] = [
  [
    [1, 0, 0],
    [0, 1, 1],
  ], // red
  [
    [0, 1, 0],
    [TAU / 3, 1, 1],
  ], // green
  [
    [0, 0, 1],
    [(2 * TAU) / 3, 1, 1],
  ], // blue
  [
    [1, 1, 0],
    [TAU / 6, 1, 1],
  ], // yellow: R and G tie, R (first) is the max -> h1 = (g - b) / delta = 1
  [
    [0, 1, 1],
    [TAU / 2, 1, 1],
  ], // cyan: G and B tie, G wins -> (r - b)/delta + 2 = 3
  [
    [1, 0, 1],
    [(5 * TAU) / 6, 1, 1],
  ], // magenta: (g - b)/delta = -1 wraps to 5/6
  [
    [0.5, 0.5, 0.5],
    [0, 0, 0.5],
  ], // grey: delta = 0 -> hue 0
  [
    [0, 0, 0],
    [0, 0, 0],
  ], // black: S = 0 / 1e-8 = 0
  [
    [0.2, 0.4, 0.6],
    [(TAU * 3.5) / 6, 0.4 / (0.6 + 1e-8), 0.6],
  ], // B max: (g - r)/delta + 4 = 3.5
];

describe(`rgbToHsv / hsvToRgb (${tf.getBackend()})`, () => {
  it('rgbToHsv matches hand-computed kornia values', () => {
    const rgb = tf.tensor4d(
      GOLDEN.flatMap(([c]) => c),
      [1, 1, GOLDEN.length, 3],
    );
    const hsv = rgbToHsv(rgb);
    expect(hsv.shape).toEqual(rgb.shape);
    expect(
      maxAbsDiff(
        hsv,
        GOLDEN.flatMap(([, h]) => h),
      ),
    ).toBeLessThan(2e-6);
    tf.dispose([rgb, hsv]);
  });

  it('hsvToRgb maps the golden HSV values back (hue 2π wraps to red)', () => {
    const rows = [
      ...GOLDEN,
      [
        [1, 0, 0],
        [TAU, 1, 1],
      ] as [number[], number[]],
    ];
    const hsv = tf.tensor2d(
      rows.flatMap(([, h]) => h),
      [rows.length, 3],
    );
    const rgb = hsvToRgb(hsv);
    expect(
      maxAbsDiff(
        rgb,
        rows.flatMap(([c]) => c),
      ),
    ).toBeLessThan(2e-6);
    tf.dispose([hsv, rgb]);
  });

  it('round trips RGB -> HSV -> RGB on random colours, any leading shape', () => {
    const v = randomArray(2 * 4 * 5 * 3, 51, 0, 1);
    const rgb = tf.tensor4d(v, [2, 4, 5, 3]);
    const back = tf.tidy(() => hsvToRgb(rgbToHsv(rgb)));
    expect(maxAbsDiff(back, rgb)).toBeLessThan(1e-5);
    const flat = tf.tensor2d(v, [40, 3]);
    const backFlat = tf.tidy(() => hsvToRgb(rgbToHsv(flat)));
    expect(maxAbsDiff(backFlat, v)).toBeLessThan(1e-5);
    tf.dispose([rgb, back, flat, backFlat]);
  });

  it('round trips HSV -> RGB -> HSV away from grey', () => {
    const v = interiorHsv(30);
    const hsv = tf.tensor2d(v, [30, 3]);
    const back = tf.tidy(() => rgbToHsv(hsvToRgb(hsv)));
    expect(maxAbsDiff(back, hsv)).toBeLessThan(2e-5);
    tf.dispose([hsv, back]);
  });

  it('RGB with well-separated channels covers every hue sector', () => {
    const hsv = rgbToHsv(tf.tensor2d(separatedRgb(6), [6, 3]));
    const sectors = Array.from(hsv.dataSync())
      .filter((_, i) => i % 3 === 0)
      .map((h) => Math.floor((h / TAU) * 6));
    expect(new Set(sectors).size).toBe(6);
    hsv.dispose();
  });

  it('ties route the gradient like torch max/min: to the first maximal / minimal channel', () => {
    const grad = (rgb: number[], channel: number) => {
      const x = tf.tensor2d(rgb, [1, 3]);
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.slice(rgbToHsv(a), [0, channel], [1, 1])))(x);
      const out = Array.from(g.dataSync());
      tf.dispose([x, g]);
      return out;
    };
    // V = max: R and G tie -> all of it to R.
    expect(grad([0.5, 0.5, 0.2], 2)).toEqual([1, 0, 0]);
    // V with G and B tied above R -> G.
    expect(grad([0.2, 0.7, 0.7], 2)).toEqual([0, 1, 0]);
    // S = (max - min) / max at (0.8, 0.2, 0.2): min tie -> G gets -1/max, B nothing, R gets min/max^2.
    const s = grad([0.8, 0.2, 0.2], 1);
    expect(s[0]).toBeCloseTo(0.2 / 0.64, 5);
    expect(s[1]).toBeCloseTo(-1 / 0.8, 5);
    expect(s[2]).toBe(0);
    // Grey: max and min are both R, so S has zero gradient; kornia's hue there is (g - b) / 1, i.e. ±2π/6.
    expect(grad([0.5, 0.5, 0.5], 1)).toEqual([0, 0, 0]);
    const h = grad([0.5, 0.5, 0.5], 0);
    expect(h[0]).toBe(0);
    expect(h[1]).toBeCloseTo(TAU / 6, 5);
    expect(h[2]).toBeCloseTo(-TAU / 6, 5);
  });

  it('rejects a last axis other than 3', () => {
    const x = tf.zeros([2, 4]);
    expect(() => rgbToHsv(x)).toThrow(/3 channels/);
    expect(() => hsvToRgb(x)).toThrow(/3 channels/);
    x.dispose();
  });
});
