import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  BatchLoader,
  InputError,
  batchToTensors,
  detectLayout,
  loadSample,
  sampleJob,
  sourceSize,
  writeImage,
  type PairSource,
  type PairedLayout,
  type Sample,
} from '../data/index';
import { VggPerceptualLoss } from '../losses/index';
import type { MASRNet } from '../models/index';
import { UsageError, firstLine } from '../data/errors';
import { EarlyStopping } from './early-stopping';
import { saveCheckpoint, type TrainerState } from './checkpoint';
import { checkRunImages } from '../data/check-images';
import { claimNewRunFolder, lockRunFolder } from './run-folder';
import { trainingCurves } from '../viz/curves';
import { evaluateSamples, meanScores, scoreUndarkened } from '../infer/evaluate';
import { createModel, loadModel } from '../infer/model-source';
import { sameAutoExposure, type AutoExposureConfig } from '../isp/auto-exposure';
import { formatDuration, type Reporter } from '../reporter';
import { hashSeed, withSeededRandom } from '../random/index';
import { Trainer } from './trainer';
import { ParallelGradients } from '../parallel/parallel-gradients';
import { holdOut, openSource } from '../data/sources';
import { readHistory, type LogEvent } from './train-log';
import { MIN_CROP, effectiveMicroBatch, resolveOptions, validateOptions, type TrainOptions } from './options';

export { TRAIN_DEFAULTS, type TrainOptions } from './options';

export interface TrainHooks {
  reporter: Reporter;
  /** Abort = Ctrl-C: the run saves `last/` after the current step and returns 'interrupted'. */
  signal?: AbortSignal;
  /** Testing aid: pretend the loss is NaN at this step. */
  nanAtStep?: number;
  /**
   * Called after each validation (step 0 included); 'stop' ends the run there with status 'stopped' and last/ saved.
   * A hyperparameter search prunes trials with it.
   */
  onValidation?: (
    step: number,
    scores: { psnr: number; ssim: number },
  ) => 'continue' | 'stop' | Promise<'continue' | 'stop'>;
}

export interface TrainResult {
  /**
   * 'early-stopped': validation stopped improving for `patience` steps (best/ holds the best model); 'stopped':
   * `hooks.onValidation` said so.
   */
  status: 'done' | 'early-stopped' | 'stopped' | 'interrupted' | 'nan';
  /** Completed steps. */
  step: number;
  totalSteps: number;
  bestPsnr: number | null;
  bestStep: number | null;
  out: string;
  /** Last validation means. */
  lastVal?: { psnr: number; ssim: number };
  message: string;
}

/**
 * Train MASR-Net from files, as `masr-net train` does: the {@link Trainer} step loop (AdamW + warm-up/cosine schedule +
 * global-norm clipping) on paired or synthetic data, plus validation with PSNR/SSIM, best/last checkpoints with
 * optimizer state, exact resume, early stopping, a JSONL log and a curves PNG.
 * The tfjs backend must already be selected.
 */
export async function runTrain(given: Partial<TrainOptions>, hooks: TrainHooks): Promise<TrainResult> {
  const { options: o, resumeFrom } = await resolveOptions(given, hooks.reporter);
  validateOptions(o);
  // One run per folder; a new run must not replace an existing one (a resume continues the run it comes from).
  const release = await lockRunFolder(o.out, hooks.reporter);
  try {
    const continuing = resumeFrom && resolve(dirname(resumeFrom.dir)) === resolve(o.out);
    if (!continuing) await claimNewRunFolder(o.out, !!o.overwrite, hooks.reporter);
    return await trainInFolder(o, resumeFrom, hooks);
  } finally {
    await release();
  }
}

async function trainInFolder(
  o: TrainOptions,
  resumeFrom: Awaited<ReturnType<typeof resolveOptions>>['resumeFrom'],
  hooks: TrainHooks,
): Promise<TrainResult> {
  const { reporter } = hooks;
  // Data.
  const trainOpen = await openSource(o, 'train', reporter, 'train');
  let trainSource: PairSource = trainOpen.source;
  let valSource: PairSource;
  let valLabel: string;
  if (o.valPhotos || o.valData) {
    const v = await openSource(
      {
        photos: o.valPhotos,
        synthesis: o.valSynthesis ?? o.synthesis,
        data: o.valData,
        layout: o.layout,
        lolv2Subset: o.lolv2Subset,
        seed: o.valSeed ?? o.seed,
      },
      'test',
      reporter,
      'train (validation)',
    );
    valSource = v.source;
    valLabel = v.label;
  } else if (o.data && !['folders'].includes(await layoutOf(o))) {
    const v = await openSource(o, 'test', reporter, 'train (validation)');
    valSource = v.source;
    valLabel = `${v.label} (the dataset's test split)`;
  } else {
    const split = holdOut(trainSource, o.valCount);
    trainSource = split.train;
    valSource = split.val;
    valLabel = `${o.valCount} held out from the training set`;
  }
  if (sourceSize(valSource) === 0) throw new InputError(valLabel, 'holds no validation images');
  // Every image the run will read, checked before anything is written. Validation centre crops keep a smaller image
  // whole, so those need only SSIM's 11x11 window.
  await checkRunImages([
    { source: trainSource, minSize: o.crop, role: 'training' },
    { source: valSource, minSize: MIN_CROP, count: o.valMax, role: 'validation' },
  ]);
  const trainSize = sourceSize(trainSource);
  const totalSteps = o.steps ?? (o.epochs !== undefined ? Math.ceil((o.epochs * trainSize) / o.batch) : 1000);
  const warmupSteps = o.warmupSteps ?? Math.max(1, Math.round(totalSteps * 0.05));
  const saveEvery = o.saveEvery ?? o.valEvery;
  const logEvery = o.logEvery ?? Math.max(1, Math.round(totalSteps / 20));

  let vgg: VggPerceptualLoss | null = null;
  if (o.vggWeights) {
    try {
      vgg = VggPerceptualLoss.fromSafetensors(await readFile(o.vggWeights));
    } catch (e) {
      throw new InputError(o.vggWeights, `cannot load VGG16 weights (${firstLine(e)})`);
    }
  }

  // Everything created from here on is released in the finally below, whatever happens.
  const owned: { dispose(): unknown }[] = vgg ? [vgg] : [];
  try {
    // Model and optimizer.
    let model: MASRNet;
    let startStep = 0;
    let bestPsnr: number | null = null;
    let bestStep: number | null = null;
    const early = new EarlyStopping(o.patience, o.minDelta);
    if (resumeFrom) {
      model = (await loadModel(resumeFrom.dir)).model;
      startStep = resumeFrom.state.step;
      bestPsnr = resumeFrom.state.bestPsnr;
      bestStep = resumeFrom.state.bestStep;
      early.step = resumeFrom.state.patienceStep ?? bestStep;
      early.score = resumeFrom.state.patiencePsnr ?? bestPsnr;
    } else if (o.init) {
      model = await initialModel(o);
    } else {
      model = withSeededRandom(hashSeed(o.seed, 'init'), () => createModel(o.preset, o.modelOverrides, o.config));
    }
    owned.push(model);
    if (o.freezeBase) {
      if (o.gradWorkers > 0)
        throw new UsageError('--freeze-base does not work with --grad-workers yet: train the denoiser without workers');
      if (!model.network.denoiser)
        throw new UsageError(
          `--freeze-base trains only the denoiser, and preset ${model.config.preset ?? o.preset} has none: use a preset with one (lolv1-denoise) or a model config with 'denoiser'`,
        );
      model.freezeBase();
    }
    const microBatch = effectiveMicroBatch(o, tf.getBackend());
    let parallel: ParallelGradients | null = null;
    const trainer = new Trainer(model, {
      totalSteps,
      lr: o.lr,
      weightDecay: o.weightDecay,
      warmupSteps,
      minLrFactor: o.minLrFactor,
      lrSteepness: o.lrSteepness,
      lrAcceleration: o.lrAcceleration,
      clipNorm: o.clipNorm,
      seed: o.seed,
      microBatch,
      perceptual: vgg,
      gradients: o.gradWorkers > 0 ? (x, y, options) => parallel!.gradients(x, y, options) : undefined,
    });
    const optimizer = trainer.optimizer;
    owned.push(trainer);
    if (resumeFrom) {
      try {
        optimizer.setState(resumeFrom.optimizer, trainer.variables);
      } catch (e) {
        throw new InputError(join(resumeFrom.dir, 'optimizer.safetensors'), firstLine(e));
      }
      if (!trainer.allFinite())
        throw new InputError(
          join(resumeFrom.dir, 'weights.bin'),
          'the weights hold NaN or Inf values: resume from an earlier checkpoint (best/)',
        );
    }
    await mkdir(o.out, { recursive: true });
    const logPath = join(o.out, 'train_log.jsonl');
    const history = await readHistory(logPath, startStep);
    const log = async (e: LogEvent) =>
      appendFile(logPath, JSON.stringify({ time: new Date().toISOString(), ...e }) + '\n');

    const params = model.countParams();
    const perceptualNote = vgg
      ? `perceptual term: on (VGG16 weights from ${o.vggWeights})`
      : 'perceptual term: off (no --vgg-weights given; the reference uses an ImageNet-pretrained VGG16, which is not bundled)';
    reporter.info(`train: ${trainOpen.label}; ${trainSize} for training`);
    reporter.info(`validation: ${valLabel}, every ${o.valEvery} steps, centre crop ${o.valCrop || 'none'}`);
    reporter.info(
      `model: preset ${model.config.preset ?? o.preset}, ${trainedParams(model, params.trainable)}; ${perceptualNote}`,
    );
    reporter.info(
      `optimizer: AdamW lr ${o.lr} wd ${o.weightDecay}, warm-up ${warmupSteps} then cosine to ${o.minLrFactor}x, clip ${o.clipNorm || 'off'}; batch ${o.batch} x ${o.crop}px${microBatch < o.batch ? ` in micro-batches of ${microBatch}` : ''}, ${totalSteps} steps, seed ${o.seed}`,
    );
    if (resumeFrom) reporter.info(`resuming from ${resumeFrom.dir} at step ${startStep}`);
    else if (o.init) reporter.info(`initial weights: ${o.init}`);
    if (o.freezeBase) reporter.info('frozen: everything but the denoiser (--freeze-base)');
    const ae = model.config.autoExposure;
    if (ae)
      reporter.info(
        `auto-exposure: inputs brought to white point ${ae.target} (quantile ${ae.quantile}${(ae.pool ?? 1) > 1 ? ` of ${ae.pool}x${ae.pool} box means` : ''}, gain 1..${ae.maxGain}) on the whole photo before cropping`,
      );
    await log({
      type: resumeFrom ? 'resume' : 'start',
      step: startStep,
      totalSteps,
      backend: tf.getBackend(),
      options: o,
      warmupSteps,
      params: params.trainable,
      perceptual: !!vgg,
      note: perceptualNote,
      train: trainOpen.label,
      validation: valLabel,
    });

    // Validation samples are few and fixed: decode them once.
    const valCount = Math.min(sourceSize(valSource), o.valMax);
    const valSamples: Sample[] = [];
    for (let i = 0; i < valCount; i++) {
      valSamples.push(
        await loadSample(
          sampleJob(valSource, i, undefined, o.valCrop > 0 ? { crop: o.valCrop, center: true, seed: 0 } : undefined),
        ),
      );
    }

    const loader = await BatchLoader.open(trainSource, {
      batchSize: o.batch,
      crop: o.crop,
      seed: o.seed,
      workers: o.workers,
      prefetch: o.prefetch,
      autoExposure: model.config.autoExposure,
    });
    owned.push({ dispose: () => loader.close() });
    reporter.info(`decoding: ${loader.decodeMode}; backend ${tf.getBackend()}`);
    if (o.gradWorkers > 0) {
      const backend = tf.getBackend();
      if (backend !== 'wasm' && backend !== 'cpu') {
        throw new UsageError(`--grad-workers needs the wasm or cpu backend (running ${backend})`);
      }
      parallel = await ParallelGradients.start(model, { workers: o.gradWorkers, perceptual: vgg, backend });
      owned.push({ dispose: () => parallel!.dispose() });
      reporter.info(`gradients: data-parallel over this thread and ${o.gradWorkers} worker thread(s)`);
    }

    const state = (step: number, reason: string): TrainerState => ({
      format: 'masr-net-checkpoint',
      version: 1,
      step,
      bestPsnr,
      bestStep,
      patienceStep: early.step,
      patiencePsnr: early.score,
      options: { ...o, steps: totalSteps } as unknown as Record<string, unknown>,
      reason,
      savedAt: new Date().toISOString(),
    });
    let lastVal: { psnr: number; ssim: number } | undefined;
    const validate = async (step: number) => {
      const t0 = performance.now();
      const results = await evaluateSamples(model, valSamples.length, async (i) => valSamples[i]!);
      const m = meanScores(results.map((r) => r.scores));
      const improved = bestPsnr === null || m.psnr > bestPsnr;
      if (improved) {
        bestPsnr = m.psnr;
        bestStep = step;
      }
      early.update(step, m.psnr);
      lastVal = { psnr: m.psnr, ssim: m.ssim };
      history.psnr.push([step, m.psnr]);
      history.ssim.push([step, m.ssim]);
      const harm = o.valUndarkened
        ? scoreUndarkened(
            model,
            valSamples.map((s) => s.target),
          )
        : undefined;
      await log({ type: 'val', step, ...m, ...harm, seconds: (performance.now() - t0) / 1000, best: improved });
      reporter.info(
        `  val @ step ${step}: PSNR ${m.psnr.toFixed(2)} dB, SSIM ${m.ssim.toFixed(4)} (GT-mean ${m.psnrGtMean.toFixed(2)} dB / ${m.ssimGtMean.toFixed(4)}) on ${m.count} images${improved ? ' — best so far, saved best/' : ''}`,
      );
      if (harm)
        reporter.info(
          `  undarkened @ step ${step}: PSNR ${harm.undarkenedPsnr.toFixed(2)} dB (worst ${harm.undarkenedWorst.toFixed(2)} dB) of output vs photo`,
        );
      if (improved) await saveCheckpoint(join(o.out, 'best'), model, optimizer, state(step, 'best'));
      if ((await hooks.onValidation?.(step, lastVal)) === 'stop') stopAt = step;
    };
    const writeCurves = async () => {
      const path = join(o.out, 'curves.png');
      await writeImage(path, trainingCurves(history.loss, history.psnr, history.ssim, totalSteps));
      return path;
    };

    let status: TrainResult['status'] = 'done';
    let message = '';
    let step = startStep;
    let stepSeconds: number | undefined;
    let lastSavedStep = startStep;
    let stopAt: number | null = null;
    const runStart = performance.now();
    // A fresh run starts with a validation of the untrained model: the baseline point of the PSNR curve.
    if (startStep === 0 && !hooks.signal?.aborted) await validate(0);
    const lastDir = join(o.out, 'last');
    try {
      while (step < totalSteps && stopAt === null) {
        if (hooks.signal?.aborted) {
          status = 'interrupted';
          break;
        }
        const t0 = performance.now();
        const batch = await loader.batch(step);
        const { input, target } = batchToTensors(batch);
        let grads;
        try {
          grads = await trainer.gradients(step, input, target);
        } finally {
          tf.dispose([input, target]);
        }
        if (hooks.nanAtStep === step) grads.loss = NaN;
        const outcome = trainer.apply(step, grads);
        const { loss: lossValue, lr: rate } = outcome;
        const termRecord = Object.fromEntries(Object.entries(outcome.terms).filter(([k]) => vgg || k !== 'perceptual'));
        if (!outcome.ok) {
          status = 'nan';
          // A failed weights check loses the in-memory weights; the checkpoints on disk are not touched.
          message =
            outcome.failure === 'loss'
              ? `loss is ${lossValue} at step ${step} (terms ${fmtTerms(termRecord)}); stopped without applying the update`
              : outcome.failure === 'gradNorm'
                ? `gradient norm is ${outcome.gradNorm} at step ${step}; stopped without applying the update`
                : `the weights became NaN or Inf in the update of step ${step} (lr ${rate.toExponential(2)}); stopped without saving them`;
          break;
        }
        step += 1;

        const seconds = (performance.now() - t0) / 1000;
        stepSeconds = stepSeconds === undefined ? seconds : 0.8 * stepSeconds + 0.2 * seconds;
        const throughput = o.batch / stepSeconds;
        history.loss.push([step, lossValue]);
        await log({
          type: 'step',
          step,
          epoch: batch.epoch,
          lr: rate,
          loss: lossValue,
          terms: termRecord,
          gradNorm: outcome.gradNorm,
          clipped: outcome.clipped,
          seconds,
          imagesPerSecond: throughput,
        });
        const eta = (totalSteps - step) * stepSeconds;
        const pct = Math.floor((100 * step) / totalSteps);
        reporter.progress(
          `step ${step}/${totalSteps} ${bar(step / totalSteps)} ${pct}% | loss ${lossValue.toFixed(4)} (${fmtTerms(termRecord)}) | lr ${rate.toExponential(2)} | ${throughput.toFixed(2)} img/s | ETA ${formatDuration(eta)}`,
          step % logEvery === 0 || step === totalSteps,
        );
        const validated = step % o.valEvery === 0 || step === totalSteps;
        if (validated) await validate(step);
        const stale = validated && (early.stale(step) || stopAt === step);
        if (step % saveEvery === 0 || step === totalSteps || stale) {
          await saveCheckpoint(lastDir, model, optimizer, state(step, 'last'));
          lastSavedStep = step;
        }
        if (stopAt !== null) break;
        if (stale && step < totalSteps) {
          status = 'early-stopped';
          message = `stopped early at step ${step}/${totalSteps}: validation PSNR has not risen by ${o.minDelta} dB or more for ${early.since(step)} steps (--patience ${o.patience}); best ${bestPsnr?.toFixed(2)} dB at step ${bestStep}, kept in ${join(o.out, 'best')}; last/ saved`;
          break;
        }
      }
    } catch (e) {
      // Whatever stops the run (a bad image, a full disk, a bug), the steps done so far are kept when they can be.
      if (step > lastSavedStep) {
        try {
          await saveCheckpoint(lastDir, model, optimizer, state(step, 'error'));
          reporter.warn(
            `stopped by an error at step ${step}/${totalSteps}: saved ${lastDir}; once fixed, continue with: masr-net train --resume ${o.out}`,
          );
        } catch (saveError) {
          reporter.warn(
            `stopped by an error at step ${step}/${totalSteps}; could not save ${lastDir}: ${firstLine(saveError)}`,
          );
        }
      }
      await log({ type: 'error', step, message: firstLine(e) }).catch(() => undefined);
      throw e;
    }
    if (status === 'done' && stopAt !== null && step < totalSteps) {
      status = 'stopped';
      message = `stopped at step ${step}/${totalSteps} by the caller (onValidation); best ${bestPsnr?.toFixed(2)} dB at step ${bestStep}`;
    }
    if (status === 'interrupted') {
      await saveCheckpoint(join(o.out, 'last'), model, optimizer, state(step, 'interrupted'));
      lastSavedStep = step;
      message = `interrupted at step ${step}/${totalSteps}: saved ${join(o.out, 'last')}; continue with: masr-net train --resume ${o.out}`;
    } else if (status === 'nan') {
      const kept = existsSync(lastDir)
        ? `${lastDir} (step ${lastSavedStep})`
        : existsSync(join(o.out, 'best'))
          ? `${join(o.out, 'best')} (step ${bestStep})`
          : 'none yet';
      // Failing on the first update after a resume points at the resumed state, not at the learning rate (which a
      // resumed run cannot change anyway).
      const advice =
        resumeFrom && step === startStep
          ? `The first update after resuming failed: the optimizer state of ${resumeFrom.dir} may be corrupt; start a new run from its weights without it: masr-net train --init ${resumeFrom.dir} --out NEW_DIR (plus the run's options)`
          : 'Try a lower --lr or --clip-norm';
      message += `. Last good checkpoint kept: ${kept}. ${advice}.`;
    }
    await log({
      type: status === 'done' || status === 'early-stopped' || status === 'stopped' ? 'end' : status,
      reason: status === 'early-stopped' || status === 'stopped' ? status : undefined,
      step,
      bestPsnr,
      bestStep,
      message: message || undefined,
      seconds: (performance.now() - runStart) / 1000,
    });
    const curves = await writeCurves();
    if (status === 'done') {
      message = `done: ${step} steps in ${formatDuration((performance.now() - runStart) / 1000)}; best val PSNR ${bestPsnr?.toFixed(2) ?? '-'} dB at step ${bestStep ?? '-'}; checkpoints ${join(o.out, 'best')}, ${join(o.out, 'last')}; log ${logPath}; curves ${curves}`;
    } else {
      message += ` (log ${logPath}; curves ${curves})`;
    }
    return { status, step, totalSteps, bestPsnr, bestStep, out: o.out, lastVal, message };
  } finally {
    for (const r of owned.reverse()) await r.dispose();
  }
}

async function layoutOf(o: TrainOptions): Promise<PairedLayout> {
  return o.layout && o.layout !== 'auto' ? o.layout : detectLayout(o.data!);
}

function bar(fraction: number, width = 20): string {
  const n = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

const SHORT: Record<string, string> = { charbonnier: 'charb', perceptual: 'perc' };

function fmtTerms(terms: Record<string, number>): string {
  return Object.entries(terms)
    .map(([k, v]) => `${SHORT[k] ?? k} ${Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(3) : v.toExponential(1)}`)
    .join(' ');
}

/**
 * The model a run starts from with `init`: the init's weights, in the model that `preset`/`modelOverrides`
 * describe when that has a denoiser or autoExposure: the init's denoiser weights if it has them, else the
 * denoiser's initial values (an identity), so ISP-only weights can start a model with a denoiser.
 */
async function initialModel(o: TrainOptions): Promise<MASRNet> {
  const denoiser = ['denoiser.'];
  const { model: loaded } = await loadModel(o.init!, {
    preset: o.preset,
    overrides: o.modelOverrides,
    configFile: o.config,
    allowMissing: denoiser,
  });
  const target = withSeededRandom(hashSeed(o.seed, 'init'), () => createModel(o.preset, o.modelOverrides, o.config));
  if (!target.network.denoiser && !target.config.autoExposure) {
    target.dispose();
    return loaded;
  }
  const [had, wants] = [loaded.config.autoExposure, target.config.autoExposure];
  if (o.modelOverrides?.autoExposure === undefined && !sameAutoExposure(had, wants)) {
    target.dispose();
    loaded.dispose();
    // Weights fine-tuned to another normalisation would start from the wrong exposure: the user says which one.
    const setting = (a: AutoExposureConfig | null) => JSON.stringify({ model: { autoExposure: a } });
    throw new UsageError(
      `--init ${o.init} was trained with autoExposure ${JSON.stringify(had)} and preset ${o.preset} applies ${JSON.stringify(wants)}: give the one to train with in a --config file, ${setting(had)} to keep the weights' or ${setting(wants)} to fine-tune them to the preset's`,
    );
  }
  // Through the seeded target, so the denoiser's initial weights repeat with the seed (and the preset's
  // autoExposure holds even when the init was saved without it).
  try {
    target.loadSafetensors(loaded.toSafetensors(), {
      allowMissing: denoiser,
      // Overrides that set autoExposure fine-tune the init to that setting (otherwise they match: checked above).
      anyAutoExposure: true,
    });
    return target;
  } catch (e) {
    target.dispose();
    throw new UsageError(`--init ${o.init} does not fit preset ${o.preset}: ${firstLine(e)}`);
  } finally {
    loaded.dispose();
  }
}

/** "N trainable parameters", or with a frozen base "N trainable parameters (the denoiser; M in all)". */
function trainedParams(model: MASRNet, all: number): string {
  if (!model.baseFrozen) return `${all.toLocaleString('en')} trainable parameters`;
  const trained = model.trainableVariables.reduce((n, v) => n + v.size, 0);
  return `${trained.toLocaleString('en')} trainable parameters (the denoiser; ${all.toLocaleString('en')} in all)`;
}
