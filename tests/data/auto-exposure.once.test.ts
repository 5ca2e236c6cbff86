// The data loader's autoExposure: the gain is the whole darkened photo's (computed before cropping), so a training
// crop is exactly the crop of the whole normalised photo that enhance would see.
import { describe, expect, it } from 'vitest';
import { applyAugment } from '../../src/data/augment';
import { readImage } from '../../src/data/image';
import { synthesize } from '../../src/data/protocols';
import { loadSample, sampleJob, type PairSource } from '../../src/data/samples';
import { listImagesDeep } from '../../src/data/folders';
import { autoExposeImage, DEFAULT_AUTO_EXPOSURE } from '../../src/isp/index';
import { BatchLoader } from '../../src/data/loader';

const photos = await listImagesDeep('../shared/data/photos/McMaster');
const source: PairSource = { kind: 'synthetic', photos: photos.slice(0, 2), protocol: 'lowlight-v2', seed: 11 };

describe('autoExposure in the data loader', () => {
  it('crops the whole normalised darkened photo', async () => {
    const job = { ...sampleJob(source, 0, 3, { crop: 48, seed: 7 }), autoExposure: DEFAULT_AUTO_EXPOSURE };
    const s = await loadSample(job);
    const photo = await readImage(photos[0]!);
    const { low } = synthesize('lowlight-v2', photo, (job as { synthesisSeed: number }).synthesisSeed);
    const whole = autoExposeImage(low, DEFAULT_AUTO_EXPOSURE);
    expect(s.exposureGain).toBe(whole.gain);
    const want = applyAugment(whole.image, s.augment!);
    expect(s.input.width).toBe(48);
    let worst = 0;
    for (let i = 0; i < want.data.length; i++) worst = Math.max(worst, Math.abs(s.input.data[i]! - want.data[i]!));
    expect(worst).toBe(0);
    expect(Array.from(s.target.data)).toEqual(Array.from(applyAugment(photo, s.augment!).data));
  });

  it('the batch loader passes it to every job, and only when asked', async () => {
    const options = { batchSize: 2, crop: 32, seed: 1, workers: 0 };
    const on = await BatchLoader.open(source, { ...options, autoExposure: DEFAULT_AUTO_EXPOSURE });
    const off = await BatchLoader.open(source, options);
    try {
      expect(on.jobsForStep(0).every((j) => j.autoExposure === DEFAULT_AUTO_EXPOSURE)).toBe(true);
      expect(off.jobsForStep(0).some((j) => j.autoExposure)).toBe(false);
      const [a, b] = [await on.batch(0), await off.batch(0)];
      expect(a.target).toEqual(b.target);
      const mean = (x: Float32Array) => x.reduce((s, v) => s + v, 0) / x.length;
      expect(mean(a.input)).toBeGreaterThan(mean(b.input));
    } finally {
      await on.close();
      await off.close();
    }
  });
});
