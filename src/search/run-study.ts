import { existsSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { Rng, hashSeed } from '../random/rng';
import { HyperbandPruner, type PrunerOptions, type Report } from './pruner';
import { suggest, type Observation, type SamplerOptions } from './sampler';
import { appendRecord, readStudy, type StudyState, type TrialState, type TrialStatus } from './study-file';
import { formatSpace, validateSpace, type ParamValues, type SearchSpace } from './space';

export interface TrialContext {
  trial: number;
  /** Seed of this trial's draw, recorded in the study (hashSeed(study seed, 'trial', number)). */
  seed: number;
  values: ParamValues;
  /** Report a validation score at a step; 'prune' = stop the trial now (and return status 'pruned'). */
  report(step: number, score: number): Promise<'continue' | 'prune'>;
  signal?: AbortSignal;
}

export interface TrialOutcome {
  /** 'interrupted': the study was stopped during the trial (nothing is recorded; it runs again on resume). */
  status: TrialStatus | 'interrupted';
  /** The trial's score (higher is better); null when it has none. */
  score: number | null;
  step: number;
  message?: string;
}

export type Objective = (trial: TrialContext) => Promise<TrialOutcome>;

export interface StudyOptions {
  /** The study file (JSONL). */
  path: string;
  space: SearchSpace;
  /** Trials the study should hold in the end (finished ones already in the file count). */
  trials: number;
  seed: number;
  sampler?: Partial<SamplerOptions>;
  /** null = no pruning. */
  pruner: PrunerOptions | null;
  /** Recorded in the header: what the trials are (budget, recipe...). */
  settings?: Record<string, unknown>;
}

export interface StudyHooks {
  signal?: AbortSignal;
  /** Progress lines. */
  info?: (line: string) => void;
}

/**
 * Run (or continue) a study: draw each trial's values (seeded sampler), run the objective, record everything in the
 * append-only study file. A file from a killed study continues where it stopped: finished trials are kept and never
 * run again; a trial that was running is run again from the start with its recorded values (its partial reports are
 * dropped). Returns the study as the file now tells it, and whether it was interrupted.
 */
export async function runStudy(
  options: StudyOptions,
  objective: Objective,
  hooks: StudyHooks = {},
): Promise<{ state: StudyState; interrupted: boolean }> {
  validateSpace(options.space);
  if (!(Number.isInteger(options.trials) && options.trials >= 1))
    throw new Error(`study: trials must be an integer >= 1, got ${options.trials}`);
  const info = hooks.info ?? (() => undefined);
  const pruner = options.pruner ? new HyperbandPruner(options.pruner) : null;
  await endWithNewline(options.path);
  const state = await readStudy(options.path);
  if (state.header) {
    const same = state.header.seed === options.seed && formatSpace(state.header.space) === formatSpace(options.space);
    if (!same)
      throw new Error(
        `${options.path}: the study was started with seed ${state.header.seed} and space ${formatSpace(state.header.space)}; continue it with the same, or start a new study file`,
      );
    // Trials of another budget or base would not be comparable with the ones already there.
    const was = JSON.stringify(state.header.settings);
    if (was !== JSON.stringify(options.settings ?? {}))
      throw new Error(
        `${options.path}: the study was started with other trial settings (${was}); continue it with the same options, or start a new study file`,
      );
    const done = state.trials.filter((t) => t.status !== 'running').length;
    info(
      `study ${options.path}: continuing, ${done} trial(s) finished${state.skipped ? `, ${state.skipped} unreadable line(s) skipped` : ''}`,
    );
  } else {
    await appendRecord(options.path, {
      type: 'study',
      version: 1,
      seed: options.seed,
      space: options.space,
      settings: options.settings ?? {},
      time: new Date().toISOString(),
    });
  }

  const reports: Report[] = state.trials
    .filter((t) => t.status !== 'running')
    .flatMap((t) => t.reports.map((r) => ({ trial: t.trial, ...r })));
  const runOne = async (number: number, values: ParamValues, seed: number): Promise<boolean> => {
    await appendRecord(options.path, { type: 'start', trial: number, seed, values, time: new Date().toISOString() });
    const t0 = performance.now();
    const outcome = await objective({
      trial: number,
      seed,
      values,
      signal: hooks.signal,
      report: async (step, score) => {
        await appendRecord(options.path, {
          type: 'report',
          trial: number,
          step,
          score,
          time: new Date().toISOString(),
        });
        reports.push({ trial: number, step, score });
        return pruner?.shouldPrune(number, step, reports) ? 'prune' : 'continue';
      },
    });
    if (outcome.status === 'interrupted') return false;
    const seconds = (performance.now() - t0) / 1000;
    await appendRecord(options.path, {
      type: 'end',
      trial: number,
      status: outcome.status,
      score: outcome.score,
      step: outcome.step,
      seconds,
      message: outcome.message,
      time: new Date().toISOString(),
    });
    info(
      `trial ${number}: ${outcome.status}${outcome.score !== null ? `, score ${outcome.score.toFixed(3)}` : ''} at step ${outcome.step} (${seconds.toFixed(1)} s)`,
    );
    return true;
  };

  // A trial the kill caught is run again first, with the values it had.
  for (const t of state.trials.filter((x) => x.status === 'running')) {
    if (hooks.signal?.aborted) return { state: await readStudy(options.path), interrupted: true };
    info(`trial ${t.trial}: was running when the study stopped; running it again`);
    if (!(await runOne(t.trial, t.values, t.seed))) return { state: await readStudy(options.path), interrupted: true };
  }
  for (;;) {
    const current = await readStudy(options.path);
    const finished = current.trials.filter((t) => t.status !== 'running');
    if (finished.length >= options.trials) return { state: current, interrupted: false };
    if (hooks.signal?.aborted) return { state: current, interrupted: true };
    const number = current.trials.length === 0 ? 0 : Math.max(...current.trials.map((t) => t.trial)) + 1;
    const seed = hashSeed(options.seed, 'trial', number);
    const values = suggest(options.space, finished.map(observation), new Rng(seed), options.sampler);
    info(
      `trial ${number}: ${Object.entries(values)
        .map(([k, v]) => `${k} ${v.toPrecision(4)}`)
        .join(', ')}`,
    );
    if (!(await runOne(number, values, seed))) return { state: await readStudy(options.path), interrupted: true };
  }
}

function observation(t: TrialState): Observation {
  return { values: t.values, score: t.status === 'complete' ? t.score : null };
}

/** A kill during a write can leave half a line: end it, so the next record starts on a line of its own. */
async function endWithNewline(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const text = await readFile(path, 'utf8');
  if (text.length > 0 && !text.endsWith('\n')) await appendFile(path, '\n');
}

/** The best finished trial (highest score among complete ones), or null. */
export function bestTrial(state: StudyState): TrialState | null {
  let best: TrialState | null = null;
  for (const t of state.trials)
    if (t.status === 'complete' && t.score !== null && (!best || t.score > best.score!)) best = t;
  return best;
}
