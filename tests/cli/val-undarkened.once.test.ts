// `train --val-undarkened`: each validation also scores the validation photos fed undarkened (do no harm), and the
// logged numbers are what the saved model does to those photos.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage, type RgbImage } from '../../src/data/index';
import { enhanceImage } from '../../src/infer/evaluate';
import { evaluatePair } from '../../src/metrics/index';
import { MASRNet, fileSystemHandler } from '../../src/models/index';
import { tempDir } from '../data/helpers';
import { runCliWasm, writePhotos, writeTinyConfig } from './helpers';

const tmp = tempDir('masr-cli-undarkened-');
let config = '';
beforeAll(async () => {
  config = writeTinyConfig(tmp.dir);
  await writePhotos(join(tmp.dir, 'photos'), 5, 32, 24);
});
afterAll(tmp.cleanup);

const args = (out: string, extra: string[] = []) => [
  'train',
  '--photos',
  join(tmp.dir, 'photos'),
  '--config',
  config,
  '--steps',
  '2',
  '--val-every',
  '2',
  '--val-count',
  '2',
  '--val-crop',
  '0',
  '--crop',
  '16',
  '--batch',
  '2',
  '--out',
  out,
  ...extra,
];

const valEvents = (out: string) =>
  readFileSync(join(out, 'train_log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e.type === 'val');

describe('masr-net train --val-undarkened', () => {
  it('logs the mean and worst PSNR of the model on the undarkened validation photos', async () => {
    const out = join(tmp.dir, 'run');
    const run = await runCliWasm(args(out, ['--val-undarkened']));
    expect(run.code, run.lines.join('\n')).toBe(0);
    const events = valEvents(out);
    expect(events.map((e) => e.step)).toEqual([0, 2]);
    const last = events.at(-1)!;
    expect(run.lines.join('\n')).toContain(
      `undarkened @ step 2: PSNR ${(last.undarkenedPsnr as number).toFixed(2)} dB (worst ${(last.undarkenedWorst as number).toFixed(2)} dB)`,
    );
    // Recompute: the step-2 model (saved in last/) on the two held-out photos (the last two), undarkened.
    const model = await MASRNet.load(fileSystemHandler(`file://${join(out, 'last')}`));
    const psnrs: number[] = [];
    for (const name of ['p3.png', 'p4.png']) {
      const photo = (await readImage(join(tmp.dir, 'photos', name))) as RgbImage;
      psnrs.push(evaluatePair(enhanceImage(model, photo), photo, { clip: true }).psnr);
    }
    model.dispose();
    expect(psnrs[0]).not.toBeCloseTo(psnrs[1]!, 3); // two different photos, so mean and worst differ
    expect(last.undarkenedPsnr as number).toBeCloseTo((psnrs[0]! + psnrs[1]!) / 2, 4);
    expect(last.undarkenedWorst as number).toBeCloseTo(Math.min(...psnrs), 4);
  });

  it('is off by default: no undarkened scores in the log', async () => {
    const out = join(tmp.dir, 'plain');
    const run = await runCliWasm(args(out));
    expect(run.code, run.lines.join('\n')).toBe(0);
    for (const e of valEvents(out)) expect(e).not.toHaveProperty('undarkenedPsnr');
    expect(run.lines.join('\n')).not.toContain('undarkened @');
  });
});
