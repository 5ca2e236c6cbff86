import { join } from 'node:path';
import type { MASRNetOverrides } from '../models/index';
import type { Reporter } from '../reporter';
import { runTrain, type TrainOptions } from '../train/run';
import type { Objective } from './run-study';
import { splitValues, type ParamValues } from './space';

/** What every trial shares: the training options and model overrides of the recipe / config the study is over. */
export interface SearchBase {
  train: Partial<TrainOptions>;
  model?: MASRNetOverrides;
}

/**
 * The options a trial trains with: the base, then the trial budget (steps, crops, validation size...), then the
 * trial's values. Early stopping is off (the pruner decides) and last/ is saved only at the end (trials are not
 * resumed: a trial cut by a kill runs again from the start).
 */
export function trialOptions(
  base: SearchBase,
  budget: Partial<TrainOptions>,
  values: ParamValues,
  out: string,
): Partial<TrainOptions> {
  const { train, lossWeights } = splitValues(values);
  const steps = budget.steps ?? base.train.steps;
  // The base's warm-up belongs to its own (long) schedule; a short trial takes the trainer's 5% unless told.
  const warmupSteps = budget.warmupSteps ?? (budget.steps !== undefined ? undefined : base.train.warmupSteps);
  return {
    ...base.train,
    ...budget,
    ...train,
    warmupSteps,
    steps,
    patience: 0,
    saveEvery: steps,
    modelOverrides: withLossWeights(base.model, lossWeights),
    out,
    overwrite: true,
    resume: undefined,
  };
}

/** Model overrides with loss weights set (the other weights keep the base's or the defaults). */
export function withLossWeights(
  model: MASRNetOverrides | undefined,
  lossWeights: Record<string, number>,
): MASRNetOverrides | undefined {
  if (Object.keys(lossWeights).length === 0) return model;
  return { ...model, lossWeights: { ...model?.lossWeights, ...lossWeights } };
}

/**
 * The objective of a training study: each trial trains with `runTrain` in `<dir>/trials/NNNN`, reports its validation
 * PSNR at every validation (the pruner may stop it there) and scores its best validation PSNR. Every trial uses the
 * base's training seed, so trials differ only in their values (same init, same batches). A NaN loss fails the trial;
 * bad data or options throw (every trial would fail the same way).
 */
export function trainObjective(
  base: SearchBase,
  budget: Partial<TrainOptions>,
  dir: string,
  reporter: Reporter,
): Objective {
  return async (t) => {
    const out = join(dir, 'trials', String(t.trial).padStart(4, '0'));
    const result = await runTrain(trialOptions(base, budget, t.values, out), {
      reporter: quiet(reporter, t.trial),
      signal: t.signal,
      onValidation: async (step, scores) => ((await t.report(step, scores.psnr)) === 'prune' ? 'stop' : 'continue'),
    });
    const status =
      result.status === 'stopped'
        ? 'pruned'
        : result.status === 'nan'
          ? 'failed'
          : result.status === 'interrupted'
            ? 'interrupted'
            : 'complete';
    return { status, score: result.bestPsnr, step: result.step, message: result.message };
  };
}

/** A trial's own lines stay in its train_log.jsonl: only its warnings and the live progress line are shown. */
function quiet(reporter: Reporter, trial: number): Reporter {
  return {
    info: () => undefined,
    warn: (l) => reporter.warn(`trial ${trial}: ${l}`),
    progress: (l) => reporter.progress(`trial ${trial}: ${l}`, false),
  };
}
