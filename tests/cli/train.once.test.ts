import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run';
import { readSafetensors } from '../../src/io/safetensors';
import { runTrain } from '../../src/train/run';
import { tempDir } from '../data/helpers';
import {
  TINY_MODEL,
  TINY_MODEL_STOCHASTIC,
  collectingReporter,
  writePairs,
  writePhotos,
  writeTinyConfig,
} from './helpers';

const tmp = tempDir('masr-cli-train-');
let config = '';
beforeAll(async () => {
  config = writeTinyConfig(tmp.dir);
  await writePhotos(join(tmp.dir, 'photos'), 5, 32, 24);
  // A LOL-v1 layout: our485 for training, eval15 for validation.
  await writePairs(join(tmp.dir, 'LOL/our485'), ['1.png', '2.png', '3.png']);
  await writePairs(join(tmp.dir, 'LOL/eval15'), ['9.png']);
});
afterAll(tmp.cleanup);

const jsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const common = ['--crop', '16', '--batch', '2', '--val-crop', '0', '--workers', '1', '--backend', 'wasm'];

describe('masr-net train', () => {
  it('trains on photos with synthetic darkening: checkpoints, JSONL log, curves PNG, progress lines', async () => {
    const out = join(tmp.dir, 'run-photos');
    const reporter = collectingReporter();
    const code = await runCli(
      [
        'train',
        '--photos',
        join(tmp.dir, 'photos'),
        '--config',
        config,
        '--steps',
        '4',
        '--val-every',
        '2',
        '--val-count',
        '1',
        '--out',
        out,
        ...common,
      ],
      { reporter },
    );
    expect(code, reporter.lines.join('\n')).toBe(0);
    const text = reporter.lines.join('\n');
    expect(text).toMatch(/backend: wasm/);
    expect(text).toMatch(/perceptual term: off \(no --vgg-weights given/);
    expect(text).toMatch(/step 4\/4 \[#+\] 100% \| loss \d+\.\d+ \(charb .* lab .*\) \| lr .* img\/s \| ETA 0s/);
    expect(text).toMatch(/val @ step 4: PSNR \d+\.\d+ dB, SSIM/);
    for (const f of [
      'best/model.json',
      'best/weights.bin',
      'last/optimizer.safetensors',
      'last/trainer.json',
      'curves.png',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const state = JSON.parse(readFileSync(join(out, 'last/trainer.json'), 'utf8'));
    expect(state.step).toBe(4);
    expect(state.options.photos).toBe(join(tmp.dir, 'photos'));
    const log = jsonl(join(out, 'train_log.jsonl'));
    expect(log.map((e) => e.type)).toEqual(['start', 'val', 'step', 'step', 'val', 'step', 'step', 'val', 'end']);
    const steps = log.filter((e) => e.type === 'step');
    expect(steps.map((e) => e.step)).toEqual([1, 2, 3, 4]);
    for (const s of steps) {
      expect(Number.isFinite(s.loss)).toBe(true);
      expect(Object.keys(s.terms as object).sort()).toEqual(['aux', 'charbonnier', 'lab', 'psnr', 'ssim']);
    }
    // Warm-up then cosine: lr rises over the warm-up step, then falls.
    expect(steps[0]!.lr as number).toBeCloseTo(1e-4, 12);
    expect(steps[3]!.lr as number).toBeLessThan(steps[1]!.lr as number);
    const meta = await sharp(join(out, 'curves.png')).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 900, 760]);
    expect(readdirSync(out).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('is reproducible from --seed, and resumes exactly: 2 steps + Ctrl-C + --resume = 4 straight steps (dropout and expert sampling on)', async () => {
    const stochastic = writeTinyConfig(tmp.dir, TINY_MODEL_STOCHASTIC, 'tiny-stochastic.json');
    const args = (out: string) => [
      'train',
      '--data',
      join(tmp.dir, 'LOL'),
      '--config',
      stochastic,
      '--steps',
      '4',
      '--val-every',
      '100',
      '--out',
      out,
      ...common,
    ];
    const straight = join(tmp.dir, 'straight');
    expect(await runCli(args(straight), { reporter: collectingReporter() })).toBe(0);
    const again = join(tmp.dir, 'again');
    expect(await runCli(args(again), { reporter: collectingReporter() })).toBe(0);
    expect(
      Buffer.compare(readFileSync(join(straight, 'last/weights.bin')), readFileSync(join(again, 'last/weights.bin'))),
    ).toBe(0);

    const split = join(tmp.dir, 'split');
    const controller = new AbortController();
    const reporter = collectingReporter();
    const abortingReporter = {
      ...reporter,
      progress: (l: string) => {
        reporter.progress(l);
        if (l.startsWith('step 2/4')) controller.abort(); // what main.ts does on SIGINT
      },
    };
    expect(await runCli(args(split), { reporter: abortingReporter, signal: controller.signal })).toBe(130);
    expect(reporter.lines.join('\n')).toMatch(
      /interrupted at step 2\/4: saved .*last; continue with: masr-net train --resume/,
    );
    const interrupted = JSON.parse(readFileSync(join(split, 'last/trainer.json'), 'utf8'));
    expect([interrupted.step, interrupted.reason]).toEqual([2, 'interrupted']);

    const resumed = collectingReporter();
    expect(await runCli(['train', '--resume', split, '--backend', 'wasm'], { reporter: resumed })).toBe(0);
    expect(resumed.lines.join('\n')).toMatch(/resuming from .*last at step 2/);
    expect(
      Buffer.compare(readFileSync(join(straight, 'last/weights.bin')), readFileSync(join(split, 'last/weights.bin'))),
    ).toBe(0);
    const moments = (dir: string) => readSafetensors(readFileSync(join(dir, 'last/optimizer.safetensors')));
    const [a, b] = [moments(straight), moments(split)];
    expect(a.metadata.t).toBe('4');
    expect(b.metadata).toEqual(a.metadata);
    expect([...b.tensors.keys()]).toEqual([...a.tensors.keys()]);
    for (const [k, e] of a.tensors) expect(Buffer.compare(e.bytes, b.tensors.get(k)!.bytes), k).toBe(0);
    const stepsLogged = jsonl(join(split, 'train_log.jsonl'))
      .filter((e) => e.type === 'step')
      .map((e) => e.step);
    expect(stepsLogged).toEqual([1, 2, 3, 4]);
    // The run's defining options cannot change on resume.
    const changed = collectingReporter();
    expect(await runCli(['train', '--resume', split, '--lr', '0.1', '--backend', 'wasm'], { reporter: changed })).toBe(
      2,
    );
    expect(changed.lines.join('\n')).toMatch(/--lr cannot change when resuming/);
  });

  it('trains data-parallel with --grad-workers 1, reproducibly from --seed', async () => {
    const stochastic = writeTinyConfig(tmp.dir, TINY_MODEL_STOCHASTIC, 'tiny-stochastic-dp.json');
    const args = (out: string) => [
      'train',
      '--data',
      join(tmp.dir, 'LOL'),
      '--config',
      stochastic,
      '--steps',
      '2',
      '--val-every',
      '100',
      '--micro-batch',
      '1',
      '--grad-workers',
      '1',
      '--out',
      out,
      ...common,
    ];
    const reporter = collectingReporter();
    expect(await runCli(args(join(tmp.dir, 'dp1')), { reporter })).toBe(0);
    expect(reporter.lines.join('\n')).toMatch(/gradients: data-parallel over this thread and 1 worker thread/);
    expect(await runCli(args(join(tmp.dir, 'dp2')), { reporter: collectingReporter() })).toBe(0);
    const weights = (run: string) => readFileSync(join(tmp.dir, run, 'last/weights.bin'));
    expect(Buffer.compare(weights('dp1'), weights('dp2'))).toBe(0);
    const bad = collectingReporter();
    expect(await runCli([...args(join(tmp.dir, 'dp3')), '--grad-workers', '-1'], { reporter: bad })).toBe(2);
    expect(bad.lines.join('\n')).toMatch(/--grad-workers must be an integer >= 0/);
  });

  it('stops on a NaN loss with a clear message and keeps the last good checkpoint', async () => {
    const out = join(tmp.dir, 'nan');
    const reporter = collectingReporter();
    const tensorsBefore = tf.memory().numTensors;
    const result = await runTrain(
      {
        photos: join(tmp.dir, 'photos'),
        modelOverrides: TINY_MODEL as never,
        steps: 6,
        saveEvery: 2,
        valEvery: 100,
        valCount: 1,
        crop: 16,
        batch: 2,
        valCrop: 0,
        out,
      },
      { reporter, nanAtStep: 3 },
    );
    expect(result.status).toBe('nan');
    expect(tf.memory().numTensors).toBe(tensorsBefore); // nothing leaked: model, optimizer, batches all released
    expect(result.message).toMatch(
      /^loss is NaN at step 3 .*stopped without applying the update\. Last good checkpoint kept: .*last \(step 2\)/,
    );
    expect(JSON.parse(readFileSync(join(out, 'last/trainer.json'), 'utf8')).step).toBe(2);
    expect(jsonl(join(out, 'train_log.jsonl')).at(-1)!.type).toBe('nan');
    expect(existsSync(join(out, 'curves.png'))).toBe(true);
  });

  it('refuses bad training input with one-line errors', async () => {
    const run = async (args: string[]) => {
      const reporter = collectingReporter();
      const code = await runCli(['train', ...args, '--backend', 'wasm'], { reporter });
      return { code, text: reporter.lines.at(-1) ?? '' }; // the last line: the error
    };
    const empty = join(tmp.dir, 'empty');
    await writePhotos(empty, 0);
    let r = await run(['--photos', empty, '--out', join(tmp.dir, 'x')]);
    expect(r.code).toBe(1);
    expect(r.text).toBe(
      `warning: error: ${empty}: folder (and its subfolders) contains no images (.png, .jpg, .jpeg, .bmp, .tif, .tiff)`,
    );
    r = await run(['--photos', join(tmp.dir, 'photos'), '--data', join(tmp.dir, 'LOL')]);
    expect(r.code).toBe(2);
    expect(r.text).toMatch(/needs exactly one data source/);
    r = await run(['--photos', join(tmp.dir, 'photos'), '--crop', 'big']);
    expect([r.code, r.text]).toEqual([
      2,
      "warning: error: --crop expects a number, got 'big' (see 'masr-net train --help')",
    ]);
    r = await run([
      '--photos',
      join(tmp.dir, 'photos'),
      '--crop',
      '64',
      '--config',
      config,
      '--steps',
      '1',
      '--out',
      join(tmp.dir, 'y'),
      '--val-count',
      '1',
    ]);
    expect(r.code).toBe(1);
    // Checked up front, all of them (the held-out validation image may be smaller than --val-crop: kept whole).
    expect(r.text).toMatch(
      /warning: error: 4 training images: cannot be used: .*p0\.png: image 32x24 is smaller than 64x64 \(training\); .*p3\.png: image 32x24 is smaller than 64x64 \(training\)$/,
    );
    r = await run(['--resume', join(tmp.dir, 'nothing-here')]);
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/nothing-here: checkpoint not found/);
  });
});
