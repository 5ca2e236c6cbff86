import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { defaultMicroBatch, type MASRNetOverrides, type MASRNetPreset } from '../models/index';
import { UsageError } from '../data/errors';
import { readTrainerState, resolveCheckpointDir } from './checkpoint';
import { recoverCheckpoints } from './checkpoint-recovery';
import type { Reporter } from '../reporter';
import type { SourceOptions } from '../data/sources';
import type { SynthesisProtocol } from '../data/index';

/** Everything a training run is defined by. Defaults in {@link TRAIN_DEFAULTS}. */
export interface TrainOptions extends SourceOptions {
  /** Validation source instead of a hold-out: a paired dataset root (its test split) or photos. */
  valData?: string;
  valPhotos?: string;
  /** Darkening protocol of `valPhotos` (default: as `synthesis`). */
  valSynthesis?: SynthesisProtocol;
  /** Items held out from the training source for validation when no validation source is given. */
  valCount: number;
  /** At most this many validation images (the first ones). */
  valMax: number;
  /** Centre crop of validation images (0 = full images). */
  valCrop: number;
  preset: MASRNetPreset;
  /** JSON file: model overrides (`{"model": {...}, "train": {...}}` or bare overrides). */
  config?: string;
  /** Model overrides (programmatic; the config file's `model` section ends up here). */
  modelOverrides?: MASRNetOverrides;
  batch: number;
  crop: number;
  /** Total steps; if absent, `epochs` passes over the training set (default 1000 steps). */
  steps?: number;
  epochs?: number;
  lr: number;
  weightDecay: number;
  /** Warm-up steps (default 5% of the steps). */
  warmupSteps?: number;
  minLrFactor: number;
  lrSteepness: number;
  lrAcceleration: number;
  /** Global gradient-norm clip (0 = off). Reference 1.0. */
  clipNorm: number;
  /**
   * Early stopping: stop when validation PSNR has not risen by at least `minDelta` dB for this many steps (checked
   * at validations; 0 = off). The reference trainer's default is 2000.
   */
  patience: number;
  minDelta: number;
  /**
   * Images per forward/backward pass; gradients are accumulated over the batch (one update per step). Default: as
   * one 256x256 image per pass on wasm (its heap stops at 4 GB), the whole batch on other backends.
   */
  microBatch?: number;
  valEvery: number;
  /** Save `last/` every N steps (default: at each validation). */
  saveEvery?: number;
  /** Print a progress line every N steps when not on a terminal (default: ~20 lines per run). */
  logEvery?: number;
  seed: number;
  /**
   * Seed of the validation pairs' synthetic darkening (default: `seed`). Set it to keep one validation set while a
   * continued run draws new training pairs with another `seed`.
   */
  valSeed?: number;
  /**
   * Also score the validation photos fed undarkened (do no harm: a well-exposed photo should come out unchanged).
   * Logged as `undarkenedPsnr` / `undarkenedWorst`; it costs one more forward per validation image and does not
   * change what is trained or which checkpoint is best.
   */
  valUndarkened?: boolean;
  workers: number;
  /**
   * Worker threads computing gradients beside the training thread, each on its own share of the micro-batches
   * (data-parallel; ~2 GB more memory each on wasm). 0 = off. A run repeats exactly only with the same count.
   */
  gradWorkers: number;
  prefetch: number;
  out: string;
  /** Continue a run from its checkpoint (a run folder or a checkpoint folder). */
  resume?: string;
  /** Start a new run in an `out` folder that holds one, replacing it (refused without). */
  overwrite?: boolean;
  /** Safetensors VGG16 `features` weights for the perceptual term (off without). */
  vggWeights?: string;
  /**
   * Start from these weights (checkpoint folder, run folder or reference .safetensors) instead of a random init.
   * Weights of ISP-only models can start a model with a denoiser (`preset`/`modelOverrides`): the denoiser then
   * starts from its initial values (an identity).
   */
  init?: string;
  /** Train only the denoiser: the rest of the model keeps its weights (MASRNet.freezeBase). */
  freezeBase?: boolean;
}

export const TRAIN_DEFAULTS: TrainOptions = {
  valCount: 2,
  valMax: 16,
  valCrop: 256,
  preset: 'lolv1',
  batch: 4,
  crop: 128,
  lr: 1e-4,
  weightDecay: 1e-2,
  minLrFactor: 0.001,
  lrSteepness: 1,
  lrAcceleration: 1,
  clipNorm: 1,
  patience: 2000,
  minDelta: 1e-5,
  valEvery: 200,
  seed: 3407,
  workers: 1,
  gradWorkers: 0,
  prefetch: 2,
  out: 'runs/train',
};

/** Options that define the run: a resumed run must keep them (only `steps` may be extended). */
const LOCKED: (keyof TrainOptions)[] = [
  'data',
  'layout',
  'lolv2Subset',
  'lowDir',
  'highDir',
  'photos',
  'synthesis',
  'valSynthesis',
  'valData',
  'valPhotos',
  'valCount',
  'valMax',
  'valCrop',
  'preset',
  'config',
  'modelOverrides',
  'batch',
  'crop',
  'epochs',
  'lr',
  'weightDecay',
  'warmupSteps',
  'minLrFactor',
  'lrSteepness',
  'lrAcceleration',
  'clipNorm',
  'seed',
  'valSeed',
  'vggWeights',
  'init',
  'freezeBase',
];

const definedOnly = <T extends object>(o: Partial<T>): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Resolve the options of a run: defaults + given, or for `--resume` the checkpoint's options + allowed changes. */
export async function resolveOptions(given: Partial<TrainOptions>, reporter: Reporter) {
  if (!given.resume) {
    return { options: { ...TRAIN_DEFAULTS, ...definedOnly(given) } as TrainOptions, resumeFrom: undefined };
  }
  // A save cut short by a crash can leave the newest checkpoint in a temporary folder: put it back first.
  const named = ['best', 'last'].includes(basename(given.resume)) && !existsSync(given.resume);
  for (const note of await recoverCheckpoints(named ? dirname(given.resume) : given.resume)) reporter.warn(note);
  const dir = resolveCheckpointDir(given.resume, 'last');
  const saved = await readTrainerState(dir);
  if (dir === join(given.resume, 'best'))
    reporter.warn(
      `${given.resume} has no last/ checkpoint: resuming from best/ (step ${saved.state.step}); steps after it are trained again`,
    );
  const prev = saved.state.options as unknown as TrainOptions;
  for (const key of LOCKED) {
    const v = given[key];
    if (v !== undefined && JSON.stringify(v) !== JSON.stringify(prev[key])) {
      throw new UsageError(
        `--${kebab(key)} cannot change when resuming (the checkpoint has ${JSON.stringify(prev[key])}); start a new run instead`,
      );
    }
  }
  if (given.steps !== undefined && given.steps !== prev.steps) {
    reporter.warn(
      `--steps changed from ${prev.steps} to ${given.steps}: the learning-rate schedule is stretched from here on`,
    );
  }
  const runDir = ['best', 'last'].includes(basename(dir)) ? dirname(dir) : dir;
  const options = {
    // Options added since the checkpoint was written take their defaults.
    ...TRAIN_DEFAULTS,
    ...prev,
    ...definedOnly(given),
    out: given.out ?? runDir,
    resume: given.resume,
    overwrite: given.overwrite,
  } as TrainOptions;
  return { options, resumeFrom: { dir, ...saved } };
}

/**
 * The smallest training crop (and validation crop): SSIM, in the loss and in the validation metric, works on an
 * 11x11 window. (The model itself pads any size.)
 */
export const MIN_CROP = 11;
/** Above this AdamW moves every weight by ~lr per step: the weights blow up to NaN/Inf within a few steps. */
export const MAX_LR = 1;

export function validateOptions(o: TrainOptions): void {
  const positive: (keyof TrainOptions)[] = ['valEvery', 'lr'];
  for (const k of positive) {
    const v = o[k] as number;
    if (!(typeof v === 'number' && v > 0)) throw new UsageError(`--${kebab(k)} must be > 0, got ${String(v)}`);
  }
  // Validation picks best/: with no validation image there is no score, and a "best 0.00 dB" would be a fake one.
  for (const k of ['valCount', 'valMax'] as const) {
    if (!(Number.isInteger(o[k]) && o[k] >= 1))
      throw new UsageError(`--${kebab(k)} must be an integer >= 1 (validation needs an image), got ${String(o[k])}`);
  }
  if (!(Number.isInteger(o.batch) && o.batch >= 1))
    throw new UsageError(`--batch must be an integer >= 1, got ${String(o.batch)}`);
  if (!(Number.isInteger(o.crop) && o.crop >= MIN_CROP))
    throw new UsageError(`--crop must be an integer >= ${MIN_CROP} (SSIM's 11x11 window), got ${String(o.crop)}`);
  if (!(Number.isInteger(o.valCrop) && (o.valCrop === 0 || o.valCrop >= MIN_CROP)))
    throw new UsageError(
      `--val-crop must be 0 (full images) or an integer >= ${MIN_CROP} (SSIM's 11x11 window), got ${String(o.valCrop)}`,
    );
  if (!(o.lr <= MAX_LR))
    throw new UsageError(`--lr must be at most ${MAX_LR} (AdamW moves each weight by about lr per step), got ${o.lr}`);
  if (o.steps !== undefined && !(Number.isInteger(o.steps) && o.steps > 0))
    throw new UsageError(`--steps must be a positive integer, got ${o.steps}`);
  if (o.epochs !== undefined && !(o.epochs > 0)) throw new UsageError(`--epochs must be > 0, got ${o.epochs}`);
  if (!(Number.isInteger(o.patience) && o.patience >= 0))
    throw new UsageError(`--patience must be an integer >= 0 (0 = off), got ${String(o.patience)}`);
  if (!(o.minDelta >= 0)) throw new UsageError(`--min-delta must be >= 0, got ${String(o.minDelta)}`);
  if (!(o.clipNorm >= 0)) throw new UsageError(`--clip-norm must be >= 0, got ${o.clipNorm}`);
  if (o.microBatch !== undefined && !(Number.isInteger(o.microBatch) && o.microBatch > 0))
    throw new UsageError(`--micro-batch must be a positive integer, got ${o.microBatch}`);
  if (!(o.weightDecay >= 0)) throw new UsageError(`--weight-decay must be >= 0, got ${o.weightDecay}`);
  if (!(Number.isInteger(o.gradWorkers) && o.gradWorkers >= 0))
    throw new UsageError(`--grad-workers must be an integer >= 0, got ${o.gradWorkers}`);
}

/** The micro-batch a run uses: the explicit one, else what fits the backend's memory. */
export function effectiveMicroBatch(o: TrainOptions, backend: string): number {
  if (o.microBatch !== undefined) return Math.min(o.microBatch, o.batch);
  return defaultMicroBatch(o.batch, o.crop, o.crop, backend);
}
