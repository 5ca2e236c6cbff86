import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStudy, type Objective, type StudyOptions } from '../../src/search/run-study';
import { readStudy } from '../../src/search/study-file';
import { DEFAULT_SPACE, toUnit } from '../../src/search/space';

const score = (v: Record<string, number>) => -DEFAULT_SPACE.reduce((a, p) => a + (toUnit(p, v[p.name]!) - 0.3) ** 2, 0);

/** An objective that counts its calls per trial and reports at steps 1..3. */
function counting(): { objective: Objective; calls: number[] } {
  const calls: number[] = [];
  const objective: Objective = async (t) => {
    calls.push(t.trial);
    for (let step = 1; step <= 3; step++) await t.report(step, score(t.values) * (4 - step));
    return { status: 'complete', score: score(t.values), step: 3 };
  };
  return { objective, calls };
}

const options = (path: string, trials: number): StudyOptions => ({
  path,
  space: DEFAULT_SPACE,
  trials,
  seed: 11,
  sampler: { startup: 2 },
  pruner: null,
});

describe('study file', () => {
  it('a killed study resumes without repeating finished trials and draws what an unkilled one draws', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'masr-study-'));
    // The reference: 6 trials in one go.
    const whole = join(dir, 'whole.jsonl');
    await runStudy(options(whole, 6), counting().objective);
    const reference = await readStudy(whole);

    // The "killed" study: the first 4 trials' records, cut in the middle of trial 3 (its start and one report are
    // there, not its end) and in the middle of a line, as a kill during a write leaves it.
    const lines = readFileSync(whole, 'utf8').trim().split('\n');
    const endOf2 = lines.findIndex((l) => l.includes('"type":"end"') && l.includes('"trial":2'));
    const killed = join(dir, 'killed.jsonl');
    writeFileSync(killed, lines.slice(0, endOf2 + 3).join('\n') + '\n' + lines[endOf2 + 3]!.slice(0, 25));
    const before = await readStudy(killed);
    expect(before.trials.map((t) => t.status)).toEqual(['complete', 'complete', 'complete', 'running']);
    expect(before.skipped).toBe(1);

    const { objective, calls } = counting();
    const { state } = await runStudy(options(killed, 6), objective);
    // Trial 3 (running at the kill) runs again with its recorded values; 0-2 never run again.
    expect(calls).toEqual([3, 4, 5]);
    expect(state.trials.map((t) => t.status)).toEqual(Array(6).fill('complete'));
    expect(state.trials[3]!.reports).toHaveLength(3);
    // Seeded: the resumed study holds what the unkilled one drew.
    expect(state.trials.map((t) => [t.trial, t.seed, t.values, t.score])).toEqual(
      reference.trials.map((t) => [t.trial, t.seed, t.values, t.score]),
    );

    // Asking again for 6 trials runs nothing; asking for 7 runs one more.
    const again = counting();
    await runStudy(options(killed, 6), again.objective);
    expect(again.calls).toEqual([]);
    await runStudy(options(killed, 7), again.objective);
    expect(again.calls).toEqual([6]);
  });

  it('refuses to continue a study with another seed, space or trial settings, in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'masr-study-'));
    const path = join(dir, 's.jsonl');
    await runStudy(options(path, 1), counting().objective);
    await expect(runStudy({ ...options(path, 2), seed: 12 }, counting().objective)).rejects.toThrow(
      /started with seed 11 .*start a new study file/,
    );
    await expect(runStudy({ ...options(path, 2), settings: { steps: 9 } }, counting().objective)).rejects.toThrow(
      /started with other trial settings \(\{\}\); continue it with the same options/,
    );
    appendFileSync(path, 'not json\n');
    expect((await readStudy(path)).skipped).toBe(1);
  });
});
