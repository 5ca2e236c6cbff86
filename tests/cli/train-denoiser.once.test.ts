// Issue 17: `train --init ISP-ONLY --freeze-base` on a model with a denoiser trains the denoiser alone, from the
// ISP-only weights.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASRNet, type MASRNetOverrides } from '../../src/models/index';
import { fileSystemHandler } from '../../src/models/index';
import { tempDir } from '../data/helpers';
import { maxAbsDiff } from '../helpers/gradcheck';
import { TINY_MODEL, runCliWasm, writePhotos, writeTinyConfig } from './helpers';

const tmp = tempDir('masr-cli-denoise-');
let plain = '';
let withDenoiser = '';
beforeAll(async () => {
  plain = writeTinyConfig(tmp.dir);
  withDenoiser = writeTinyConfig(tmp.dir, { ...TINY_MODEL, denoiser: { channels: 4, blocks: 1 } }, 'denoise.json');
  await writePhotos(join(tmp.dir, 'photos'), 4, 32, 24);
});
afterAll(tmp.cleanup);

const args = (config: string, out: string, steps: number, extra: string[] = []) => [
  'train',
  '--photos',
  join(tmp.dir, 'photos'),
  '--config',
  config,
  '--steps',
  String(steps),
  '--val-every',
  String(steps),
  '--val-count',
  '1',
  '--crop',
  '16',
  '--batch',
  '2',
  '--val-crop',
  '0',
  '--workers',
  '1',
  '--out',
  out,
  ...extra,
];

const load = (dir: string) => MASRNet.load(fileSystemHandler(`file://${dir}`));

describe('masr-net train --freeze-base', () => {
  it('starts a denoiser model from ISP-only weights and trains only the denoiser', async () => {
    const base = join(tmp.dir, 'base');
    const first = await runCliWasm(args(plain, base, 1));
    expect(first.code, first.lines.join('\n')).toBe(0);
    const out = join(tmp.dir, 'denoise');
    const run = await runCliWasm(args(withDenoiser, out, 2, ['--init', join(base, 'last'), '--freeze-base']));
    expect(run.code, run.lines.join('\n')).toBe(0);
    const text = run.lines.join('\n');
    expect(text).toMatch(/frozen: everything but the denoiser/);
    // stem 3x3 16->4, one block of two 4->4 convs, head 4->12; with biases.
    const trained = 9 * 16 * 4 + 4 + 2 * (9 * 4 * 4 + 4) + 9 * 4 * 12 + 12;
    expect(text).toContain(`${trained.toLocaleString('en')} trainable parameters (the denoiser; `);
    const [before, after] = [await load(join(base, 'last')), await load(join(out, 'last'))];
    expect(after.network.denoiser).not.toBeNull();
    const initial = new Map(before.network.referenceWeights().map((w) => [w.key, w.variable.read()]));
    let head = 0;
    for (const w of after.network.referenceWeights()) {
      // The head starts at zero (an identity denoiser): trained, it is not zero any more.
      if (w.key === 'denoiser.head.weight') head = tf.max(tf.abs(w.variable.read())).dataSync()[0]!;
      else if (!w.key.startsWith('denoiser.'))
        expect(maxAbsDiff(w.variable.read(), initial.get(w.key)!), w.key).toBe(0);
    }
    expect(head).toBeGreaterThan(0);
    before.dispose();
    after.dispose();
  });

  it('refuses an --init trained with another autoExposure unless a --config says which to train with', async () => {
    const pooled = { quantile: 0.999, target: 0.929, maxGain: 64, pool: 4 };
    const weights = join(tmp.dir, 'pooled.safetensors');
    const source = MASRNet.create('lolv1', { ...TINY_MODEL, denoiser: null, autoExposure: pooled } as MASRNetOverrides);
    writeFileSync(weights, source.toSafetensors());
    source.dispose();
    // The preset lolv1-denoise applies none: starting from these weights would silently drop their normalisation.
    const refused = await runCliWasm(
      args(withDenoiser, join(tmp.dir, 'ae-refused'), 1, ['--preset', 'lolv1-denoise', '--init', weights]),
    );
    expect(refused.code).toBe(2);
    expect(refused.last).toMatch(
      /--init .*pooled\.safetensors was trained with autoExposure .*"pool":4.* and preset lolv1-denoise applies null: give the one to train with in a --config file, \{"model":\{"autoExposure":\{.*"pool":4\}\}\} to keep the weights' or \{"model":\{"autoExposure":null\}\}/,
    );
    const keep = writeTinyConfig(
      tmp.dir,
      { ...TINY_MODEL, denoiser: { channels: 4, blocks: 1 }, autoExposure: pooled },
      'keep.json',
    );
    const out = join(tmp.dir, 'ae-kept');
    const kept = await runCliWasm(args(keep, out, 1, ['--preset', 'lolv1-denoise', '--init', weights]));
    expect(kept.code, kept.lines.join('\n')).toBe(0);
    const trained = await load(join(out, 'last'));
    expect(trained.config.autoExposure).toEqual(pooled);
    trained.dispose();
  });

  it('refuses --freeze-base on a model without a denoiser, naming the fix', async () => {
    const run = await runCliWasm(args(plain, join(tmp.dir, 'refused'), 1, ['--freeze-base']));
    expect(run.code).toBe(2);
    expect(run.last).toMatch(
      /--freeze-base trains only the denoiser.*has none: use a preset with one \(lolv1-denoise\)/,
    );
  });
});
