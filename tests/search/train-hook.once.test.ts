import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTrain } from '../../src/train/run';
import { tempDir } from '../data/helpers';
import { TINY_MODEL, collectingReporter, writePhotos } from '../cli/helpers';

const tmp = tempDir('masr-train-hook-');
beforeAll(async () => writePhotos(join(tmp.dir, 'photos'), 4, 24, 24));
afterAll(tmp.cleanup);

describe('runTrain hooks.onValidation', () => {
  it("stops the run after the validation where it says 'stop', with status 'stopped' and last/ saved", async () => {
    const out = join(tmp.dir, 'run');
    const seen: number[] = [];
    const tensorsBefore = tf.memory().numTensors;
    const r = await runTrain(
      {
        photos: join(tmp.dir, 'photos'),
        modelOverrides: TINY_MODEL as never,
        crop: 16,
        batch: 1,
        valCrop: 0,
        valCount: 1,
        workers: 0,
        steps: 10,
        valEvery: 2,
        out,
      },
      {
        reporter: collectingReporter(),
        onValidation: (step, scores) => {
          expect(Number.isFinite(scores.psnr)).toBe(true);
          seen.push(step);
          return step >= 4 ? 'stop' : 'continue';
        },
      },
    );
    expect(tf.memory().numTensors).toBe(tensorsBefore); // a stopped run releases all it made
    expect(seen).toEqual([0, 2, 4]);
    expect(r.status).toBe('stopped');
    expect(r.step).toBe(4);
    expect(r.message).toMatch(/^stopped at step 4\/10 by the caller/);
    expect(JSON.parse(readFileSync(join(out, 'last', 'trainer.json'), 'utf8')).step).toBe(4);
    const end = readFileSync(join(out, 'train_log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .at(-1);
    expect(end).toMatchObject({ type: 'end', reason: 'stopped', step: 4 });
  });
});
