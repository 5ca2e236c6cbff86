import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeImage } from '../data/index';
import type { Reporter } from '../reporter';
import { lockRunFolder } from '../train/run-folder';
import { UsageError } from '../data/errors';
import type { TrainOptions } from '../train/run';
import { searchPlot } from './plot';
import { bestConfig, trialsJson, trialsTable } from './report';
import { bestTrial, runStudy } from './run-study';
import type { SamplerOptions } from './sampler';
import { DEFAULT_SPACE, type SearchSpace } from './space';
import type { StudyState, TrialState } from './study-file';
import { trainObjective, type SearchBase } from './train-objective';

export interface SearchOptions {
  /** The study folder: study.jsonl, trials/, and the outputs. An existing study there is continued. */
  dir: string;
  /** Trials the study should hold (finished ones from an earlier run count). */
  trials: number;
  seed: number;
  space?: SearchSpace;
  /** The recipe / config the study is over (data, split, validation, model). */
  base: SearchBase;
  /** What makes trials cheap: steps, crop, valMax, valCrop, valEvery... (on top of the base). */
  budget: Partial<TrainOptions> & { steps: number };
  /** Steps before the pruner's first cut (0 = no pruning) and its reduction factor. */
  minResource: number;
  reductionFactor: number;
  sampler?: Partial<SamplerOptions>;
}

export interface SearchResult {
  state: StudyState;
  best: TrialState | null;
  interrupted: boolean;
  /** Files written in `dir`. */
  files: { study: string; table: string; json: string; plot: string; config: string | null };
}

/**
 * A hyperparameter study over training runs (`runTrain`): TPE sampling, Hyperband pruning on the validation PSNR,
 * an append-only study file that a killed study resumes from. Writes trials.txt, trials.json, search.png and (once
 * a trial completed) best-config.json. The tfjs backend must already be selected.
 */
export async function runSearch(
  o: SearchOptions,
  hooks: { reporter: Reporter; signal?: AbortSignal },
): Promise<SearchResult> {
  const space = o.space ?? DEFAULT_SPACE;
  // Checked before anything is written: a bad option leaves no study folder behind.
  const int = (v: number, min: number) => Number.isInteger(v) && v >= min;
  if (!int(o.trials, 1)) throw new UsageError(`--trials must be an integer >= 1, got ${o.trials}`);
  if (!int(o.budget.steps, 1)) throw new UsageError(`--steps must be an integer >= 1, got ${o.budget.steps}`);
  if (!int(o.minResource, 0))
    throw new UsageError(`--min-resource must be an integer >= 0 steps (0 = no pruning), got ${o.minResource}`);
  if (!int(o.reductionFactor, 2))
    throw new UsageError(`--reduction-factor must be an integer >= 2, got ${o.reductionFactor}`);
  if (o.sampler?.startup !== undefined && !int(o.sampler.startup, 0))
    throw new UsageError(`--startup-trials must be an integer >= 0, got ${o.sampler.startup}`);
  const valEvery = o.budget.valEvery ?? o.base.train.valEvery;
  if (o.minResource > 0 && valEvery !== undefined && o.minResource % valEvery !== 0)
    throw new UsageError(
      `--min-resource ${o.minResource} must be a multiple of --val-every ${valEvery} (the pruner judges at validations)`,
    );
  await mkdir(o.dir, { recursive: true });
  const study = join(o.dir, 'study.jsonl');
  // One process per study: two appending to one file would run the same trial numbers twice.
  const release = await lockRunFolder(o.dir, hooks.reporter);
  try {
    return await searchLocked(o, space, study, hooks);
  } finally {
    await release();
  }
}

async function searchLocked(
  o: SearchOptions,
  space: SearchSpace,
  study: string,
  hooks: { reporter: Reporter; signal?: AbortSignal },
): Promise<SearchResult> {
  const { state, interrupted } = await runStudy(
    {
      path: study,
      space,
      trials: o.trials,
      seed: o.seed,
      sampler: o.sampler,
      pruner:
        o.minResource > 0 ? { minResource: o.minResource, maxResource: o.budget.steps, eta: o.reductionFactor } : null,
      settings: { base: o.base, budget: o.budget, minResource: o.minResource, reductionFactor: o.reductionFactor },
    },
    trainObjective(o.base, o.budget, o.dir, hooks.reporter),
    { signal: hooks.signal, info: (l) => hooks.reporter.info(l) },
  );
  return { state, interrupted, ...(await writeSearchOutputs(o.dir, state, space, o.base)) };
}

/** The outputs of a study as it stands (also after an interruption: they show the trials finished so far). */
export async function writeSearchOutputs(
  dir: string,
  state: StudyState,
  space: SearchSpace,
  base: SearchBase,
): Promise<Omit<SearchResult, 'state' | 'interrupted'>> {
  const best = bestTrial(state);
  const files = {
    study: join(dir, 'study.jsonl'),
    table: join(dir, 'trials.txt'),
    json: join(dir, 'trials.json'),
    plot: join(dir, 'search.png'),
    config: best ? join(dir, 'best-config.json') : null,
  };
  await writeFile(files.table, trialsTable(state, space, best));
  await writeFile(files.json, JSON.stringify(trialsJson(state, best), null, 2) + '\n');
  await writeImage(files.plot, searchPlot(state, space));
  if (best && files.config) {
    const note = `best validation PSNR ${best.score!.toFixed(3)} dB after ${best.step} steps of a short trial`;
    await writeFile(files.config, JSON.stringify(bestConfig(base, best, note), null, 2) + '\n');
  }
  return { best, files };
}
