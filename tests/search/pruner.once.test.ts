import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HyperbandPruner, type Report } from '../../src/search/pruner';
import { runStudy, type Objective } from '../../src/search/run-study';
import { DEFAULT_SPACE, toUnit } from '../../src/search/space';

// Synthetic learning curves: score(step) = q * (1 - exp(-step / 30)), with the trial's quality q known.
const curve = (q: number, step: number) => q * (1 - Math.exp(-step / 30));

describe('Hyperband pruner', () => {
  it('has rungs at min·eta^k per bracket', () => {
    const p = new HyperbandPruner({ minResource: 3, maxResource: 81, eta: 3 });
    expect(p.brackets).toBe(4);
    expect(p.rungs(0)).toEqual([3, 9, 27]);
    expect(p.rungs(1)).toEqual([9, 27]);
    expect(p.rungs(3)).toEqual([]);
  });

  it('stops bad trials at their first rung and lets the best run to the end', () => {
    // min 10, max 90, eta 3: bracket 0 cuts at 10 and 30, bracket 1 at 30, bracket 2 never (the hedge).
    const pruner = new HyperbandPruner({ minResource: 10, maxResource: 90, eta: 3 });
    expect(pruner.brackets).toBe(3);
    const reports: Report[] = [];
    const stoppedAt: number[] = [];
    // Trials are dealt to brackets round-robin; the first trials of a bracket have no peers to lose against, so the
    // bad ones (q < 1) come after a few good ones.
    const qualities = [2, 3, 4, 5, 6, 7, 0.5, 0.3, 0.4, 0.2, 0.1, 8];
    for (const [trial, q] of qualities.entries()) {
      let stop = 90;
      for (let step = 10; step <= 90; step += 10) {
        reports.push({ trial, step, score: curve(q, step) });
        if (pruner.shouldPrune(trial, step, reports)) {
          stop = step;
          break;
        }
      }
      stoppedAt.push(stop);
    }
    expect(stoppedAt).toEqual([90, 90, 90, 90, 90, 90, 10, 30, 90, 10, 30, 90]);
    const spent = (keep: (q: number) => boolean) =>
      qualities.map((q, i) => (keep(q) ? stoppedAt[i]! : 0)).reduce((a, b) => a + b, 0);
    expect(spent((q) => q < 1)).toBeLessThan(0.5 * spent((q) => q >= 1));
  });

  it('prunes inside a study: low-quality trials end as pruned with fewer steps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'masr-prune-'));
    // Quality depends on lr only: its unit value (0..1) squared, so half the space is clearly bad.
    const objective: Objective = async (t) => {
      const q = 1 + 10 * toUnit(DEFAULT_SPACE[0]!, t.values.lr!) ** 2;
      let best = -Infinity;
      for (let step = 3; step <= 27; step += 3) {
        const s = curve(q, step);
        best = Math.max(best, s);
        if ((await t.report(step, s)) === 'prune') return { status: 'pruned', score: best, step };
      }
      return { status: 'complete', score: best, step: 27 };
    };
    const { state } = await runStudy(
      {
        path: join(dir, 'study.jsonl'),
        space: DEFAULT_SPACE,
        trials: 18,
        seed: 7,
        pruner: { minResource: 3, maxResource: 27, eta: 3 },
      },
      objective,
    );
    const pruned = state.trials.filter((t) => t.status === 'pruned');
    const complete = state.trials.filter((t) => t.status === 'complete');
    expect(state.trials).toHaveLength(18);
    expect(pruned.length).toBeGreaterThan(0);
    expect(Math.max(...pruned.map((t) => t.step))).toBeLessThan(27);
    // Pruned trials were the worse ones: their lr is lower (in unit terms) on average.
    const meanLr = (ts: typeof pruned) =>
      ts.reduce((a, t) => a + toUnit(DEFAULT_SPACE[0]!, t.values.lr!), 0) / ts.length;
    expect(meanLr(pruned)).toBeLessThan(meanLr(complete));
  });
});
