import { describe, expect, it } from 'vitest';
import {
  LOWLIGHT_V1,
  LOWLIGHT_V2,
  Rng,
  applyLowLight,
  applyLowLightV2,
  drawLowLightV2Params,
  exposureScale,
  hashSeed,
  inverseExposureOracle,
  linearToSrgb,
  loadSample,
  sampleJob,
  srgbToLinear,
  synthesizeLowLight,
  synthesizeLowLightV2,
  type LowLightV2Params,
  type SynthesisProtocol,
} from '../../src/data/index';
import { patternImage, tempDir, writePattern } from './helpers';
import { join } from 'node:path';

const base: LowLightV2Params = {
  protocol: LOWLIGHT_V2,
  seed: 0,
  regime: 'dark',
  exposureStops: 4,
  rampStops: 0,
  rampAngle: 0,
  highlightKeep: 0,
  gains: [1, 1, 1],
  shotNoise: 0,
  readNoise: 0,
};

const constant = (w: number, h: number, v: number) => ({
  width: w,
  height: h,
  data: new Float32Array(w * h * 3).fill(v),
});

describe('lowlight-v2 synthesis', () => {
  it('is deterministic per seed and its recorded parameters reproduce the image', () => {
    const img = patternImage(24, 12);
    const a = synthesizeLowLightV2(img, 5);
    const b = synthesizeLowLightV2(img, 5);
    expect(Array.from(a.low.data)).toEqual(Array.from(b.low.data));
    expect(a.params.protocol).toBe(LOWLIGHT_V2);
    const rng = new Rng(5);
    const redrawn = drawLowLightV2Params(rng);
    expect(redrawn).toEqual(a.params);
    expect(Array.from(applyLowLightV2(img, redrawn, rng).data)).toEqual(Array.from(a.low.data));
  });

  it('draws the documented regime shares and ranges', () => {
    const n = 4000;
    const counts = { keep: 0, mild: 0, dark: 0 };
    let ramped = 0;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const p = drawLowLightV2Params(new Rng(hashSeed('v2', i)));
      counts[p.regime]++;
      const [lo, hi] = p.regime === 'keep' ? [0, 0.25] : p.regime === 'mild' ? [0.25, 3] : [3, 6];
      expect(p.exposureStops >= lo && p.exposureStops < hi).toBe(true);
      if (p.regime === 'keep') {
        expect(p.rampStops).toBe(0);
        expect(p.highlightKeep).toBe(0);
        for (const g of p.gains) expect(Math.abs(g - 1)).toBeLessThanOrEqual(0.02);
        expect(p.shotNoise).toBeLessThanOrEqual(1e-4);
      } else {
        if (p.rampStops !== 0) ramped++;
        if (p.highlightKeep !== 0) kept++;
        expect(Math.abs(p.rampStops)).toBeLessThanOrEqual(2);
        expect(p.highlightKeep === 0 || (p.highlightKeep >= 0.3 && p.highlightKeep < 0.9)).toBe(true);
      }
    }
    // Shares 0.15 / 0.25 / 0.60 (binomial standard errors ~0.006-0.008), ramps in half, highlights in 30% of the rest.
    expect(counts.keep / n).toBeCloseTo(0.15, 1);
    expect(counts.mild / n).toBeCloseTo(0.25, 1);
    expect(counts.dark / n).toBeCloseTo(0.6, 1);
    const rest = counts.mild + counts.dark;
    expect(Math.abs(ramped / rest - 0.5)).toBeLessThan(0.04);
    expect(Math.abs(kept / rest - 0.3)).toBeLessThan(0.04);
  });

  it('without ramp or highlights, noise-free, it is v1 darkening by the same stops and gains', () => {
    const img = patternImage(16, 8);
    const low = applyLowLightV2(img, { ...base, gains: [0.95, 1, 1.05] }, new Rng(1));
    for (let i = 0; i < low.data.length; i += 7) {
      const want = Math.round(255 * linearToSrgb(srgbToLinear(img.data[i]!) * 2 ** -4 * [0.95, 1, 1.05][i % 3]!)) / 255;
      expect(low.data[i]).toBeCloseTo(want, 6);
    }
  });

  it('ramps exposure across the frame along its angle', () => {
    const img = constant(33, 5, 0.5);
    // Angle 0: left edge loses 4 - 1 = 3 stops, right edge 4 + 1 = 5.
    const scale = exposureScale(img, { ...base, rampStops: 2, rampAngle: 0 });
    const at = (x: number, y: number) => scale[(y * 33 + x) * 3]!;
    expect(at(0, 2)).toBeCloseTo(2 ** -3, 6);
    expect(at(16, 2)).toBeCloseTo(2 ** -4, 6);
    expect(at(32, 2)).toBeCloseTo(2 ** -5, 6);
    expect(at(32, 0)).toBeCloseTo(at(32, 4), 9); // constant across rows
  });

  it('spares highlights: a bright pixel loses fewer stops than a mid-tone', () => {
    const img = { width: 2, height: 1, data: new Float32Array([0.4, 0.4, 0.4, 1, 1, 1]) };
    const scale = exposureScale(img, { ...base, highlightKeep: 0.8 });
    expect(scale[0]).toBeCloseTo(2 ** -4, 6); // linear 0.13: below the highlight band
    expect(scale[3]).toBeCloseTo(2 ** -(4 * 0.2), 6); // linear 1: 80% of the loss spared
    // Darkening stays monotonic in brightness.
    const ramp = { width: 256, height: 1, data: new Float32Array(768).map((_, i) => Math.floor(i / 3) / 255) };
    const low = applyLowLightV2(ramp, { ...base, highlightKeep: 0.9 }, new Rng(0));
    for (let x = 1; x < 256; x++) expect(low.data[x * 3]!).toBeGreaterThanOrEqual(low.data[(x - 1) * 3]!);
  });

  it('the inverse-exposure oracle undoes a noise-free darkening up to quantisation', () => {
    const img = patternImage(40, 20);
    for (const params of [
      {
        ...base,
        exposureStops: 2,
        rampStops: 1.5,
        rampAngle: 1,
        highlightKeep: 0.5,
        gains: [0.9, 1, 1.1] as [number, number, number],
      },
      synthesizeLowLight(img, 3).params,
    ]) {
      const noiseFree = { ...params, shotNoise: 0, readNoise: 0 };
      const low =
        noiseFree.protocol === LOWLIGHT_V2
          ? applyLowLightV2(img, noiseFree, new Rng(0))
          : applyLowLight(img, noiseFree, new Rng(0));
      const restored = inverseExposureOracle(low, img, noiseFree);
      let worst = 0;
      let sum = 0;
      for (let i = 0; i < img.data.length; i++) {
        const e = Math.abs(restored.data[i]! - img.data[i]!);
        worst = Math.max(worst, e);
        sum += e;
      }
      // Only the dark image's 8-bit steps remain, amplified by the gain (most in the darkest values).
      expect(worst).toBeLessThan(0.2);
      expect(sum / img.data.length).toBeLessThan(0.02);
      expect(worst).toBeGreaterThan(0);
      // Without the oracle the same image is far off.
      let far = 0;
      for (let i = 0; i < img.data.length; i++) far += Math.abs(low.data[i]! - img.data[i]!);
      expect(far / img.data.length).toBeGreaterThan(0.1);
    }
  });

  it('reaches training samples through the source protocol, with its own seeds', async () => {
    const { dir, cleanup } = tempDir();
    try {
      await writePattern(join(dir, 'a.png'), 32, 32);
      const v1 = {
        kind: 'synthetic' as const,
        photos: [join(dir, 'a.png')],
        protocol: LOWLIGHT_V1 as SynthesisProtocol,
        seed: 1,
      };
      const v2 = { ...v1, protocol: LOWLIGHT_V2 as SynthesisProtocol };
      const s1 = await loadSample(sampleJob(v1, 0));
      const s2 = await loadSample(sampleJob(v2, 0));
      expect(s1.synthesis?.protocol).toBe(LOWLIGHT_V1);
      expect(s2.synthesis?.protocol).toBe(LOWLIGHT_V2);
      expect(Array.from(s1.input.data)).not.toEqual(Array.from(s2.input.data));
      const again = await loadSample(sampleJob(v2, 0));
      expect(Array.from(again.input.data)).toEqual(Array.from(s2.input.data));
    } finally {
      cleanup();
    }
  });
});
