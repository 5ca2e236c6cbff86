// MASRNetConfig.autoExposure: the reference presets are untouched; with it, enhance / enhanceWithMaps / enhanceTiled
// equal the same weights without it fed the whole-image-normalised input, and the config survives save/load.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_AUTO_EXPOSURE } from '../../src/isp/index';
import { MASRNet, presetConfig, type MASRNetOverrides } from '../../src/models/index';
import { maxAbsDiff, randomTensor } from '../helpers/gradcheck';
import { countSyncReads } from '../helpers/sync-reads';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUTO_EXPOSURE_KEY } from '../../src/isp/auto-exposure';
import { loadModel } from '../../src/infer/model-source';
import { readSafetensors } from '../../src/io/safetensors';
import { tempDir } from '../data/helpers';

const deterministic: MASRNetOverrides = { sampleSecondExpert: 'never' };

/** The tiny model with autoExposure, and the same weights without it. */
function pair(): [MASRNet, MASRNet] {
  const plain = MASRNet.create('tiny', deterministic);
  const ae = MASRNet.create('tiny', { ...deterministic, autoExposure: {} });
  ae.loadSafetensors(plain.toSafetensors());
  return [plain, ae];
}

/** A dark image whose highlights sit in one corner only (so a per-tile white point would differ). */
function darkWithCornerHighlight(): tf.Tensor4D {
  return tf.tidy(() => {
    const base = randomTensor([1, 48, 64, 3], 4, 0, 0.15) as tf.Tensor4D;
    const mask = tf.pad(tf.ones([1, 8, 8, 3]), [
      [0, 0],
      [0, 40],
      [0, 56],
      [0, 0],
    ]);
    return tf.add(base, tf.mul(mask, 0.2)) as tf.Tensor4D;
  });
}

describe(`autoExposure (${tf.getBackend()})`, () => {
  it('is off in the reference presets; lolv1-autoexposure is lolv1 plus the defaults', () => {
    for (const p of ['lolv1', 'lsrw', 'lolv2', 'lolv1-denoise'] as const)
      expect(presetConfig(p).autoExposure).toBeNull();
    const { autoExposure, preset: _p, ...rest } = presetConfig('lolv1-autoexposure');
    const { autoExposure: _a, preset: _p1, ...lolv1 } = presetConfig('lolv1');
    expect(autoExposure).toEqual(DEFAULT_AUTO_EXPOSURE);
    expect(rest).toEqual(lolv1);
    expect(MASRNet.create('tiny', { autoExposure: { maxGain: 16 } }).config.autoExposure).toEqual({
      ...DEFAULT_AUTO_EXPOSURE,
      maxGain: 16,
    });
  });

  it('names the bad field', () => {
    expect(() => MASRNet.create('tiny', { autoExposure: { quantile: 0 } })).toThrow(/autoExposure.quantile/);
    expect(() => MASRNet.create('tiny', { autoExposure: { target: 2 } })).toThrow(/autoExposure.target/);
    expect(() => MASRNet.create('tiny', { autoExposure: { maxGain: 0.5 } })).toThrow(/autoExposure.maxGain/);
    expect(() => MASRNet.create('tiny', { autoExposure: { gain: 2 } as never })).toThrow(/autoExposure.gain/);
  });

  it('enhance and enhanceWithMaps equal the plain model on autoExpose(x); autoExposure: false skips it', async () => {
    const [plain, ae] = pair();
    const x = darkWithCornerHighlight();
    const normalised = ae.autoExpose(x);
    expect(tf.mean(normalised).dataSync()[0]).toBeGreaterThan(tf.mean(x).dataSync()[0]! * 1.5);
    ae.enhance(x).dispose(); // the first call builds the layers' weights
    const before = tf.memory().numTensors;
    const got = ae.enhance(x);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(maxAbsDiff(got, plain.enhance(normalised))).toBeLessThan(1e-5);
    expect(maxAbsDiff(await ae.enhanceAsync(x), got)).toBeLessThan(1e-6);
    expect(maxAbsDiff(ae.enhance(x, { autoExposure: false }), plain.enhance(x))).toBe(0);
    const maps = ae.enhanceWithMaps(x);
    expect(maxAbsDiff(maps.enhanced, got)).toBeLessThan(1e-6);
    const mapsAsync = await ae.enhanceWithMapsAsync(x);
    expect(maxAbsDiff(mapsAsync.raw.gamma, maps.raw.gamma)).toBeLessThan(1e-6);
    // Without it, autoExpose is a copy.
    expect(maxAbsDiff(plain.autoExpose(x), x)).toBe(0);
  });

  it('reads the image only when it applies autoExposure, and not synchronously in the async forms', async () => {
    const [plain, ae] = pair();
    const x = darkWithCornerHighlight();
    plain.enhance(x).dispose();
    ae.enhance(x).dispose();
    const base = (await countSyncReads(() => plain.enhance(x))).reads;
    expect((await countSyncReads(() => ae.enhance(x, { autoExposure: false }))).reads).toBe(base);
    expect((await countSyncReads(() => ae.enhance(x))).reads).toBe(base + 1);
    // The async forms add no synchronous read (cpu/wasm routing reads its own small tensors; GPU backends do not).
    const asyncBase = (await countSyncReads(() => plain.enhanceAsync(x))).reads;
    expect((await countSyncReads(() => ae.enhanceAsync(x))).reads).toBe(asyncBase);
    const mapsBase = (await countSyncReads(() => plain.enhanceWithMapsAsync(x))).reads;
    expect((await countSyncReads(() => ae.enhanceWithMapsAsync(x))).reads).toBe(mapsBase);
  });

  it('enhanceTiled takes the white point of the whole image, not of each tile', () => {
    const [plain, ae] = pair();
    const x = darkWithCornerHighlight();
    const want = plain.enhanceTiled(ae.autoExpose(x), { tile: 32, overlap: 8 });
    const got = ae.enhanceTiled(x, { tile: 32, overlap: 8 });
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    // Per-tile normalisation would brighten the tiles without the highlight more.
    expect(maxAbsDiff(got, plain.enhanceTiled(x, { tile: 32, overlap: 8 }))).toBeGreaterThan(1e-3);
  });

  it('keeps autoExposure through save/load and getConfig', async () => {
    const [, ae] = pair();
    let saved: tf.io.ModelArtifacts | undefined;
    await ae.save({
      save: async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      },
    });
    const back = await MASRNet.load({ load: async () => saved! });
    expect(back.config.autoExposure).toEqual(DEFAULT_AUTO_EXPOSURE);
    const x = darkWithCornerHighlight();
    expect(maxAbsDiff(back.enhance(x), ae.enhance(x))).toBe(0);
  });
});

describe(`autoExposure in safetensors (${tf.getBackend()})`, () => {
  it('is recorded with the weights; loading them into a model without it fails naming it', () => {
    const [plain, ae] = pair();
    expect(() => plain.loadSafetensors(ae.toSafetensors())).toThrow(
      /trained with autoExposure .*0\.954.*has none: create it with \{ autoExposure: /,
    );
    // Into a model with it: fine; and weights without it load into either.
    expect(() => ae.loadSafetensors(ae.toSafetensors())).not.toThrow();
    expect(() => ae.loadSafetensors(plain.toSafetensors())).not.toThrow();
  });

  it('weights trained with other settings fail naming both, unless anyAutoExposure; a missing pool is 1', () => {
    const [, ae] = pair();
    const pooled = MASRNet.create('tiny', { ...deterministic, autoExposure: { pool: 4, target: 0.929 } });
    expect(() => ae.loadSafetensors(pooled.toSafetensors())).toThrow(
      /trained with autoExposure .*"target":0\.929.*"pool":4.*applies .*"target":0\.954.*anyAutoExposure/,
    );
    expect(() => ae.loadSafetensors(pooled.toSafetensors(), { anyAutoExposure: true })).not.toThrow();
    // Weights saved before `pool` existed record { quantile, target, maxGain }: the per-pixel white point.
    const { pool, ...legacy } = DEFAULT_AUTO_EXPOSURE;
    expect(pool).toBe(1);
    const before = MASRNet.create('tiny', { ...deterministic, autoExposure: legacy });
    expect(() => ae.loadSafetensors(before.toSafetensors())).not.toThrow();
    expect(() => pooled.loadSafetensors(before.toSafetensors())).toThrow(/"pool":4/);
    // The metadata writes pool only when it is not 1, so versions before the field read these weights too.
    expect(readSafetensors(ae.toSafetensors()).metadata[AUTO_EXPOSURE_KEY]).not.toMatch(/pool/);
    expect(readSafetensors(pooled.toSafetensors()).metadata[AUTO_EXPOSURE_KEY]).toMatch(/"pool":4/);
    for (const m of [ae, pooled, before]) m.dispose();
  });

  it('loadModel keeps the recorded setting; overrides change the fields they name, null removes it', async () => {
    const tmp = tempDir('masr-ae-');
    try {
      const pooledAe = { quantile: 0.999, target: 0.929, maxGain: 64, pool: 4 };
      const pooled = MASRNet.create('tiny', { ...deterministic, autoExposure: pooledAe });
      const file = join(tmp.dir, 'pooled.safetensors');
      writeFileSync(file, pooled.toSafetensors());
      const load = async (overrides: MASRNetOverrides) => {
        const { model } = await loadModel(file, { preset: 'tiny', overrides: { ...deterministic, ...overrides } });
        const got = model.config.autoExposure;
        model.dispose();
        return got;
      };
      expect(await load({})).toEqual(pooledAe);
      expect(await load({ autoExposure: { maxGain: 16 } })).toEqual({ ...pooledAe, maxGain: 16 });
      expect(await load({ autoExposure: null })).toBeNull();
      pooled.dispose();
    } finally {
      tmp.cleanup();
    }
  });
});
