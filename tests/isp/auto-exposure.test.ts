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
    expect(autoExposureGain(img.data, 2000, cfg)).toBeCloseTo(0.954 / 0.25, 4);
    // One bright pixel is an outlier above the quantile: the white point is then the brightest of the dim content.
    const one = imageWithWhite(white, 1);
    expect(autoExposureGain(one.data, 2000, cfg)).toBeGreaterThan(0.954 / 0.25);
  });

  it('never darkens, and caps the gain', () => {
    expect(autoExposureGain(imageWithWhite(1, 10).data, 2000, cfg)).toBe(1);
    expect(autoExposureGain(new Float32Array(2000 * 3), 2000, cfg)).toBe(cfg.maxGain);
    const tiny = imageWithWhite(linearToSrgb(0.001), 10);
    expect(autoExposureGain(tiny.data, 2000, { ...cfg, maxGain: 8 })).toBe(8);
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
    expect(autoExposureGain(once.image.data, 2000, cfg)).toBeCloseTo(1, 5);
  });
});
