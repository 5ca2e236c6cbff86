// White-point exposure normalisation (MASRNetConfig.autoExposure): golden gains, the tensor form equal to the plain-JS
// form the data loader uses, and idempotence (a normalised photo is not normalised again).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  applyExposureGain,
  applyExposureGains,
  autoExposeImage,
  autoExposureGain,
  autoExposureGains,
  DEFAULT_AUTO_EXPOSURE,
} from '../../src/isp/index';
import { linearToSrgb, srgbToLinear } from '../../src/data/synthesis';
import { randomTensor } from '../helpers/gradcheck';

const cfg = DEFAULT_AUTO_EXPOSURE;

/** A 40x50 image (2000 pixels): dim random content below `white`, and exactly `bright` pixels at max(R,G,B) = `white`. */
function imageWithWhite(white: number, bright: number, seed = 1) {
  const n = 2000;
  const data = new Float32Array(n * 3);
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 0.9 * white;
  for (let i = 0; i < n * 3; i++) data[i] = rnd();
  for (let i = 0; i < bright; i++) data[3 * i + (i % 3)] = white; // one channel at the white point
  return { width: 50, height: 40, data };
}

describe(`auto-exposure (${tf.getBackend()})`, () => {
  it('brings the 0.999 quantile of max(R,G,B) to the target in linear light', () => {
    // 2000 pixels: the quantile is the sorted value at index 1998, so 2 or more pixels at `white` make it `white`.
    const white = linearToSrgb(0.25);
    const img = imageWithWhite(white, 5);
    expect(autoExposureGain(img.data, 50, 40, cfg)).toBeCloseTo(0.954 / 0.25, 4);
    // One bright pixel is an outlier above the quantile: the white point is then the brightest of the dim content.
    const one = imageWithWhite(white, 1);
    expect(autoExposureGain(one.data, 50, 40, cfg)).toBeGreaterThan(0.954 / 0.25);
  });

  it('never darkens, and caps the gain', () => {
    expect(autoExposureGain(imageWithWhite(1, 10).data, 50, 40, cfg)).toBe(1);
    expect(autoExposureGain(new Float32Array(2000 * 3), 50, 40, cfg)).toBe(cfg.maxGain);
    const tiny = imageWithWhite(linearToSrgb(0.001), 10);
    expect(autoExposureGain(tiny.data, 50, 40, { ...cfg, maxGain: 8 })).toBe(8);
  });

  it('applies the gain in linear light and clips', () => {
    const img = { width: 2, height: 1, data: Float32Array.from([0.1, 0.5, 0.9, 0.02, 0.3, 1]) };
    const out = applyExposureGain(img, 4);
    for (const [i, v] of img.data.entries())
      expect(out.data[i]).toBeCloseTo(linearToSrgb(Math.min(1, srgbToLinear(v) * 4)), 6);
    expect(applyExposureGain(img, 1)).toBe(img);
  });

  it('the tensor form equals the plain-JS form, image by image, and leaks nothing', () => {
    const x = randomTensor([2, 40, 50, 3], 5, 0, 0.2) as tf.Tensor4D;
    const data = x.dataSync() as Float32Array;
    const gains = autoExposureGains(data, x.shape, cfg);
    expect(gains[0]).toBeGreaterThan(1);
    const before = tf.memory().numTensors;
    const y = applyExposureGains(x, gains);
    const got = y.dataSync();
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const per = 40 * 50 * 3;
    for (let b = 0; b < 2; b++) {
      const want = applyExposureGain({ width: 50, height: 40, data: data.slice(b * per, (b + 1) * per) }, gains[b]!);
      let worst = 0;
      for (let i = 0; i < per; i++) worst = Math.max(worst, Math.abs(got[b * per + i]! - want.data[i]!));
      expect(worst).toBeLessThan(2e-6);
    }
    expect(() => applyExposureGains(x, [1])).toThrow(/1 gains for a batch of 2/);
    x.dispose();
  });

  it('is idempotent: a normalised image gets a gain of 1 (to float precision)', () => {
    const img = imageWithWhite(linearToSrgb(0.1), 10);
    const once = autoExposeImage(img, cfg);
    expect(once.gain).toBeGreaterThan(9);
    expect(autoExposureGain(once.image.data, 50, 40, cfg)).toBeCloseTo(1, 5);
  });

  it('pool: the quantile of box means in linear light (golden), not of single noisy pixels', () => {
    // A flat 8x8 photo at linear 0.1 with one pixel in each 4x4 box lifted to linear 0.5 (noise). Per pixel, the
    // white point is 0.5 (1 pixel in 16 is above the 0.999 quantile); per 4x4 box it is the box mean (15 x 0.1 + 0.5) / 16.
    const data = new Float32Array(8 * 8 * 3).fill(linearToSrgb(0.1));
    for (const [y, x] of [
      [0, 0],
      [0, 4],
      [4, 0],
      [4, 4],
    ])
      data.fill(linearToSrgb(0.5), (y! * 8 + x!) * 3, (y! * 8 + x!) * 3 + 3);
    const target = 0.9;
    expect(autoExposureGain(data, 8, 8, { ...cfg, target, pool: 1 })).toBeCloseTo(target / 0.5, 4);
    expect(autoExposureGain(data, 8, 8, { ...cfg, target, pool: 4 })).toBeCloseTo(target / ((15 * 0.1 + 0.5) / 16), 3);
    // Only whole boxes count (a 9x9 photo has the same four boxes), and a photo smaller than a box is averaged whole.
    const nine = new Float32Array(9 * 9 * 3).fill(linearToSrgb(0.9));
    for (let y = 0; y < 8; y++) nine.set(data.subarray(y * 24, y * 24 + 24), y * 27);
    expect(autoExposureGain(nine, 9, 9, { ...cfg, target, pool: 4 })).toBeCloseTo(target / ((15 * 0.1 + 0.5) / 16), 3);
    expect(autoExposureGain(data, 8, 8, { ...cfg, target, pool: 64 })).toBeCloseTo(target / ((60 * 0.1 + 2) / 64), 3);
    expect(() => autoExposureGain(data, 8, 8, { ...cfg, pool: 2.5 })).toThrow(
      /config.pool must be a positive integer, got 2.5/,
    );
  });

  it('pool on a wide photo: boxes run along rows (golden)', () => {
    // 12x8 at linear 0.1, three 4x4 boxes per row of boxes; the middle box of the top row holds two lifted pixels.
    const data = new Float32Array(12 * 8 * 3).fill(linearToSrgb(0.1));
    for (const [y, x] of [
      [1, 5],
      [2, 6],
    ])
      data.fill(linearToSrgb(0.9), (y! * 12 + x!) * 3, (y! * 12 + x!) * 3 + 3);
    expect(autoExposureGain(data, 12, 8, { ...cfg, target: 0.9, pool: 4 })).toBeCloseTo(
      0.9 / ((14 * 0.1 + 1.8) / 16),
      3,
    );
  });

  it("pool 1 is the per-pixel white point, and a batch takes each image's boxes", () => {
    const img = imageWithWhite(linearToSrgb(0.3), 5);
    expect(autoExposureGain(img.data, 50, 40, { ...cfg, pool: 1 })).toBe(autoExposureGain(img.data, 50, 40, cfg));
    const dim = imageWithWhite(linearToSrgb(0.05), 5, 3);
    const both = new Float32Array([...img.data, ...dim.data]);
    const pooled = { ...cfg, pool: 4 };
    expect(autoExposureGains(both, [2, 40, 50, 3], pooled)).toEqual([
      autoExposureGain(img.data, 50, 40, pooled),
      autoExposureGain(dim.data, 50, 40, pooled),
    ]);
  });
});
