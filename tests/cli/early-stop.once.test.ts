import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EarlyStopping } from '../../src/train/early-stopping';
import { runCli } from '../../src/cli/run';
import { tempDir } from '../data/helpers';
import { collectingReporter, writePhotos, writeTinyConfig } from './helpers';

const tmp = tempDir('masr-cli-early-stop-');
let config = '';
beforeAll(async () => {
  config = writeTinyConfig(tmp.dir);
  await writePhotos(join(tmp.dir, 'photos'), 4, 24, 24);
});
afterAll(tmp.cleanup);

const common = ['--crop', '16', '--batch', '1', '--val-crop', '0', '--val-count', '1', '--workers', '0'];
async function train(args: string[]) {
  const reporter = collectingReporter();
  const code = await runCli(
    ['train', '--photos', join(tmp.dir, 'photos'), '--config', config, ...common, ...args, '--backend', 'wasm'],
    { reporter },
  );
  return { code, text: reporter.lines.join('\n') };
}
const trainer = (dir: string) => JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8'));

describe('train --patience / --min-delta (early stopping)', () => {
  it('stops when validation has not risen by --min-delta for --patience steps, keeping best/ and saving last/', async () => {
    const out = join(tmp.dir, 'stale');
    // A learning rate this small cannot raise PSNR by 5 dB: the score is stale from the step-0 validation on.
    const r = await train([
      '--steps',
      '20',
      '--lr',
      '1e-9',
      '--val-every',
      '1',
      '--patience',
      '3',
      '--min-delta',
      '5',
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.text).toMatch(
      /stopped early at step 3\/20: validation PSNR has not risen by 5 dB or more for 3 steps \(--patience 3\); best .* dB at step \d, kept in .*best; last\/ saved/,
    );
    expect(trainer(join(out, 'last')).step).toBe(3);
    expect(trainer(join(out, 'last')).patienceStep).toBe(0);
    expect(trainer(join(out, 'best')).step).toBeLessThanOrEqual(3);
    const end = readFileSync(join(out, 'train_log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .at(-1);
    expect(end).toMatchObject({ type: 'end', reason: 'early-stopped', step: 3 });

    // It resumes: with patience off the run goes on to its last step.
    const resumed = await train(['--resume', out, '--patience', '0']);
    expect(resumed.code).toBe(0);
    expect(resumed.text).toMatch(/done: 20 steps/);
    expect(trainer(join(out, 'last')).step).toBe(20);
  });

  it('counts steps since the score last rose by at least min-delta; small new bests do not reset it', () => {
    const e = new EarlyStopping(300, 0.1);
    const stops: number[] = [];
    // step -> PSNR: +0.5 at 100, then creeping up by 0.05 per validation (new bests, each below min-delta).
    const scores: [number, number][] = [
      [0, 10],
      [100, 10.5],
      [200, 10.55],
      [300, 10.6],
      [400, 10.65],
      [500, 10.7],
      [600, 10.75],
    ];
    for (const [step, psnr] of scores) {
      e.update(step, psnr);
      if (e.stale(step)) stops.push(step);
    }
    // References: 100 (10.5), then 300 (10.6 reaches 10.5 + 0.1), then 500 (10.7): never 300 steps without one.
    expect(e.step).toBe(500);
    expect(stops).toEqual([]);
    const late = new EarlyStopping(300, 0.1);
    for (const [step, psnr] of [
      [0, 10],
      [100, 10.5],
      [200, 10.55],
      [300, 10.58],
      [400, 10.59],
    ] as const)
      late.update(step, psnr);
    expect([late.step, late.since(400), late.stale(400)]).toEqual([100, 300, true]);
    expect(late.stale(399)).toBe(false);
    // Off with patience 0, whatever the scores.
    const off = new EarlyStopping(0, 0.1);
    off.update(0, 10);
    expect(off.stale(1e9)).toBe(false);
  });

  it('refuses a negative or fractional --patience and a negative --min-delta, naming the option', async () => {
    let r = await train(['--patience', '-1', '--out', join(tmp.dir, 'bad1')]);
    expect(r.code).toBe(2);
    expect(r.text).toMatch(/--patience must be an integer >= 0 \(0 = off\), got -1/);
    r = await train(['--min-delta', '-0.5', '--out', join(tmp.dir, 'bad2')]);
    expect(r.code).toBe(2);
    expect(r.text).toMatch(/--min-delta must be >= 0, got -0.5/);
  });
});
