import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchLoader,
  InputError,
  loadSample,
  openSampleReader,
  sampleJob,
  writeImage,
  type PairSource,
} from '../../src/data/index';
import { patternImage, tempDir } from './helpers';

const tmp = tempDir('masr-loader-');
let pairs: PairSource;
let photos: PairSource;
let sizes = 0;

beforeAll(async () => {
  mkdirSync(join(tmp.dir, 'low'));
  mkdirSync(join(tmp.dir, 'high'));
  const list = [];
  for (let i = 0; i < 5; i++) {
    const img = patternImage(24, 20, i * 17);
    const low = { ...img, data: img.data.map((v) => Math.round(v * 0.25 * 255) / 255) };
    await writeImage(join(tmp.dir, 'low', `${i}.png`), low);
    await writeImage(join(tmp.dir, 'high', `${i}.png`), img);
    list.push({ name: String(i), input: join(tmp.dir, 'low', `${i}.png`), target: join(tmp.dir, 'high', `${i}.png`) });
  }
  await writeImage(join(tmp.dir, 'high', 'big.png'), patternImage(25, 20));
  pairs = { kind: 'pairs', pairs: list };
  photos = { kind: 'synthetic', photos: list.map((p) => p.target), protocol: 'lowlight-v1', seed: 11 };
  sizes = list.length;
});
afterAll(tmp.cleanup);

describe('BatchLoader', () => {
  it('gives identical batches from worker threads and from the calling thread', async () => {
    const opts = { batchSize: 2, crop: 8, seed: 4 };
    const w = await BatchLoader.open(photos, { ...opts, workers: 1 });
    const t = await BatchLoader.open(photos, { ...opts, workers: 0 });
    try {
      expect(w.decodeMode).toMatch(/^worker/);
      expect(t.decodeMode).toMatch(/^in-thread/);
      for (const step of [0, 1, 5]) {
        const a = await w.batch(step);
        const b = await t.batch(step);
        expect(a.shape).toEqual([2, 8, 8, 3]);
        expect(a.names).toEqual(b.names);
        expect(Array.from(a.input)).toEqual(Array.from(b.input));
        expect(Array.from(a.target)).toEqual(Array.from(b.target));
        expect(a.synthesis).toEqual(b.synthesis);
        expect(a.synthesis[0]?.protocol).toBe('lowlight-v1');
      }
    } finally {
      await Promise.all([w.close(), t.close()]);
    }
  });

  it('depends only on the step (a resumed run sees the same batches) and visits every image once per epoch', async () => {
    const a = await BatchLoader.open(pairs, { batchSize: 1, crop: 16, seed: 9, workers: 0 });
    const b = await BatchLoader.open(pairs, { batchSize: 1, crop: 16, seed: 9, workers: 0 });
    try {
      const names: string[] = [];
      for (let s = 0; s < 10; s++) names.push(...(await a.batch(s)).names);
      expect(names.slice(0, sizes).sort()).toEqual(['0', '1', '2', '3', '4']);
      expect(names.slice(sizes).sort()).toEqual(['0', '1', '2', '3', '4']);
      expect(names.slice(0, sizes)).not.toEqual(names.slice(sizes)); // reshuffled per epoch
      const late = await b.batch(7); // starts cold at step 7, as after --resume
      expect(late.names).toEqual([names[7]]);
      const again = await a.batch(7);
      expect(Array.from(late.input)).toEqual(Array.from(again.input));
      expect(a.stepsPerEpoch).toBe(5);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('crops both images of a pair at the same place', async () => {
    const l = await BatchLoader.open(pairs, { batchSize: 3, crop: [6, 10], seed: 2, workers: 1 });
    try {
      const batch = await l.batch(0);
      expect(batch.shape).toEqual([3, 6, 10, 3]);
      batch.input.forEach((v, i) => expect(v).toBeCloseTo(Math.round(batch.target[i]! * 0.25 * 255) / 255, 6));
    } finally {
      await l.close();
    }
  });

  it('reports a size mismatch from a worker as a one-line InputError naming the file', async () => {
    const bad: PairSource = {
      kind: 'pairs',
      pairs: [{ name: 'x', input: join(tmp.dir, 'low/0.png'), target: join(tmp.dir, 'high/big.png') }],
    };
    const reader = await openSampleReader(1);
    try {
      expect(reader.mode).toBe('worker');
      const err = await reader.read(sampleJob(bad, 0)).catch((e) => e);
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toBe(
        `${join(tmp.dir, 'low/0.png')}: size 24x20 differs from its reference ${join(tmp.dir, 'high/big.png')} (25x20)`,
      );
    } finally {
      await reader.close();
    }
    await expect(loadSample({ ...sampleJob(pairs, 0), augment: { crop: 64, seed: 1 } })).rejects.toThrow(
      /0.png: image 24x20 is smaller than the crop 64x64/,
    );
  });

  it('evaluation samples (no augmentation) are the full image with a per-name darkening', async () => {
    const a = await loadSample(sampleJob(photos, 2));
    const b = await loadSample(sampleJob(photos, 2));
    expect([a.input.width, a.input.height]).toEqual([24, 20]);
    expect(a.synthesis).toEqual(b.synthesis);
    expect(Array.from(a.input.data)).toEqual(Array.from(b.input.data));
    const c = await loadSample(sampleJob(photos, 2, 3));
    expect(c.synthesis!.seed).not.toBe(a.synthesis!.seed); // a training epoch draws fresh noise
  });
});
