import type { StudyState, TrialState } from './study-file';
import type { SearchBase } from './train-objective';
import { withLossWeights } from './train-objective';
import { splitValues, type SearchSpace } from './space';

/** The trials as a fixed-width text table, best first among complete ones marked with '*'. */
export function trialsTable(state: StudyState, space: SearchSpace, best: TrialState | null): string {
  const head = ['trial', 'status', 'score', 'steps', 'seconds', ...space.map((p) => p.name)];
  const rows = state.trials.map((t) => [
    `${t === best ? '*' : ''}${t.trial}`,
    t.status,
    t.score === null ? '-' : t.score.toFixed(3),
    String(t.step),
    t.seconds ? t.seconds.toFixed(1) : '-',
    ...space.map((p) => fmtValue(t.values[p.name]!)),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

/** The trials as JSON: what the table shows plus the seeds and every intermediate report. */
export function trialsJson(state: StudyState, best: TrialState | null): object {
  return {
    seed: state.header?.seed,
    space: state.header?.space,
    settings: state.header?.settings,
    best: best?.trial ?? null,
    trials: state.trials,
  };
}

/**
 * The best trial's configuration as a file `masr-net train --config` reads: the base's model overrides with the
 * found loss weights, and the base's training options (its full budget, not the trial's) with the found options.
 */
export function bestConfig(base: SearchBase, best: TrialState, scoreNote: string): object {
  const { train, lossWeights } = splitValues(best.values);
  const model = withLossWeights(base.model, lossWeights);
  return {
    description: `Best trial (${best.trial}) of a masr-net search: ${scoreNote}. Train with: masr-net train --config THIS_FILE --out DIR`,
    ...(model ? { model } : {}),
    train: { ...base.train, ...train },
  };
}

function fmtValue(v: number): string {
  return Math.abs(v) < 0.01 ? v.toExponential(3) : v.toPrecision(4);
}
