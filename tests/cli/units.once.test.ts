import { describe, expect, it } from 'vitest';
import { UsageError, formatHelp, parseArgs, type OptionSpecs } from '../../src/cli/args';
import { glyph, textWidth } from '../../src/viz/font';
import { blank, drawText } from '../../src/viz/draw';
import { formatDuration } from '../../src/reporter';
import { warmupCosineLr } from '../../src/train/schedule';
import { tileStarts, tiledApply } from '../../src/models/tiles';

describe('warm-up + cosine schedule', () => {
  const o = { baseLr: 1e-3, warmupSteps: 10, totalSteps: 110 };
  it('warms up linearly, then follows a cosine to the floor', () => {
    expect(warmupCosineLr(0, o)).toBeCloseTo(1e-4, 15);
    expect(warmupCosineLr(9, o)).toBeCloseTo(1e-3, 15);
    expect(warmupCosineLr(10, o)).toBeCloseTo(1e-3, 15);
    expect(warmupCosineLr(60, o)).toBeCloseTo(5e-4, 15); // half way through the cosine
    expect(warmupCosineLr(35, o)).toBeCloseTo(1e-3 * 0.5 * (1 + Math.cos(Math.PI / 4)), 15);
    expect(warmupCosineLr(110, o)).toBeCloseTo(1e-6, 15); // floor 0.001 x base
  });
  it('reproduces the reference train.py shape with steepness 10 and acceleration 3', () => {
    const ref = { ...o, steepness: 10, acceleration: 3, minLrFactor: 0.001 };
    // progress = 3 (step - 10) / 100; factor = max(0.001, 0.5 (1 + sign(c) |c|^10)), c = cos(pi progress)
    for (const step of [10, 20, 27, 40, 60, 93]) {
      const c = Math.cos((Math.PI * 3 * (step - 10)) / 100);
      const f = Math.max(0.001, 0.5 * (1 + Math.sign(c) * Math.abs(c) ** 10));
      expect(warmupCosineLr(step, ref)).toBeCloseTo(1e-3 * f, 15);
    }
  });
});

describe('argument parser', () => {
  const specs: OptionSpecs = {
    steps: { type: 'int', default: 10, help: 'steps' },
    lr: { type: 'number', help: 'rate' },
    maps: { type: 'boolean', default: false, help: 'maps' },
    'val-data': { type: 'string', help: 'dir' },
    preset: { type: 'string', choices: ['a', 'b'], default: 'a', help: 'preset' },
  };
  it('parses values, defaults, negated flags and positionals', () => {
    const r = parseArgs(
      ['x', '--steps', '5', '--lr=1e-4', '--maps', '--val-data', 'd', '--no-maps', '--', '--y'],
      specs,
    );
    expect(r.values).toEqual({ steps: 5, lr: 1e-4, maps: false, valData: 'd', preset: 'a' });
    expect(r.positionals).toEqual(['x', '--y']);
    expect([...r.given].sort()).toEqual(['lr', 'maps', 'steps', 'valData']);
  });
  it('rejects bad input naming the option', () => {
    expect(() => parseArgs(['--stepz', '1'], specs)).toThrow(new UsageError('unknown option --stepz'));
    expect(() => parseArgs(['--steps', '1.5'], specs)).toThrow("--steps expects an integer, got '1.5'");
    expect(() => parseArgs(['--lr'], specs)).toThrow('--lr needs a value');
    expect(() => parseArgs(['--preset', 'c'], specs)).toThrow("--preset must be one of a, b, got 'c'");
    expect(formatHelp('u', 'd', specs)).toMatch(/--steps INT +steps \(default 10\)/);
  });
});

describe('drawing helpers', () => {
  it('draws 5x7 glyphs, upper-casing and replacing unknown characters', () => {
    expect(glyph('1').map((r) => r.map(Number).join(''))).toEqual([
      '00100',
      '01100',
      '00100',
      '00100',
      '00100',
      '00100',
      '01110',
    ]);
    expect(glyph('a')).toEqual(glyph('A'));
    expect(glyph('~')).toEqual(glyph('?'));
    expect(textWidth('AB', 2)).toBe(22);
    const img = blank(20, 10);
    drawText(img, 1, 1, 'I', { scale: 1, color: [1, 0, 0] });
    const red = (x: number, y: number) => img.data[(y * 20 + x) * 3] === 1;
    expect([red(2, 1), red(3, 1), red(4, 1), red(1, 1), red(3, 4)]).toEqual([true, true, true, false, true]);
    expect(formatDuration(3725)).toBe('1h02m');
    expect(formatDuration(65)).toBe('1m05s');
  });
});

describe('tiled enhancement', () => {
  it('covers the image with overlapping tiles and blends per-pixel results exactly', () => {
    expect(tileStarts(100, 40, 8)).toEqual([0, 32, 60]);
    expect(tileStarts(30, 40, 8)).toEqual([0]);
    const img = { width: 37, height: 23, data: Float32Array.from({ length: 37 * 23 * 3 }, (_, i) => (i % 251) / 250) };
    let calls = 0;
    const [out, mean] = tiledApply(img, 16, 4, [3, 1], (t) => {
      calls++;
      const m = new Float32Array(t.width * t.height);
      for (let p = 0; p < m.length; p++) m[p] = t.data[p * 3]! + t.data[p * 3 + 1]!;
      return [t.data.map((v) => 2 * v), m];
    });
    expect(calls).toBe(tileStarts(23, 16, 4).length * tileStarts(37, 16, 4).length);
    out!.forEach((v, i) => expect(v).toBeCloseTo(2 * img.data[i]!, 5));
    mean!.forEach((v, p) => expect(v).toBeCloseTo(img.data[p * 3]! + img.data[p * 3 + 1]!, 5));
  });
});
