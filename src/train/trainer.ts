import * as tf from '@tensorflow/tfjs-core';
import type { VggPerceptualLoss } from '../losses/index';
import { batchGradients, clipByGlobalNorm, type BatchGradients, type MASRNet } from '../models/index';
import { hashSeed, withSeededRandom } from '../random/index';
import { AdamW } from './adamw';
import { warmupCosineLr } from './schedule';

/** Computes a batch's gradients some other way (e.g. `ParallelGradients.gradients` over worker threads). */
export type GradientSource = (
  input: tf.Tensor4D,
  target: tf.Tensor4D,
  options: { microBatch: number; perceptual: VggPerceptualLoss | null; seed: number },
) => Promise<BatchGradients>;

/** How a {@link Trainer} trains: the reference recipe's defaults (AdamW, warm-up + cosine, clip at norm 1). */
export interface TrainerOptions {
  /** Steps of the whole run (the schedule's length). */
  totalSteps: number;
  /** Peak learning rate. Default 1e-4. */
  lr?: number;
  /** AdamW's decoupled weight decay. Default 1e-2. */
  weightDecay?: number;
  /** Linear warm-up steps. Default 5% of `totalSteps` (at least 1). */
  warmupSteps?: number;
  /** Floor, steepness and speed-up of the cosine decay (see {@link warmupCosineLr}). Defaults 0.001, 1, 1. */
  minLrFactor?: number;
  lrSteepness?: number;
  lrAcceleration?: number;
  /** Global gradient-norm clip (0 = off; the norm is still checked for NaN/Inf). Default 1 (the reference's). */
  clipNorm?: number;
  /**
   * Seed of the run: each step's dropout masks, sampled experts and initialiser draws come from `Math.random` seeded
   * with (seed, step), so a run, and a resumed run, repeat exactly. Default 3407.
   */
  seed?: number;
  /** Images per forward/backward pass (gradients accumulated over the batch). Default: the whole batch. */
  microBatch?: number;
  /** The VGG16 perceptual term (off when null). */
  perceptual?: VggPerceptualLoss | null;
  /** Gradients from elsewhere (worker threads); default: `batchGradients` on this thread. */
  gradients?: GradientSource;
}

/** A batch's loss and gradients, before the update (from {@link Trainer.gradients}). */
export interface StepGradients {
  loss: number;
  terms: Record<string, number>;
  /** Aligned with `model.trainableVariables` (null: no gradient). Owned by the trainer until `apply`. */
  grads: (tf.Tensor | null)[];
}

/** What one step did. `ok: false`: nothing was applied (loss or gradient norm not finite) or the weights broke. */
export interface StepOutcome {
  ok: boolean;
  /** Why the step failed: a non-finite loss, gradient norm, or weights after the update. */
  failure?: 'loss' | 'gradNorm' | 'weights';
  loss: number;
  terms: Record<string, number>;
  /** Global gradient norm before clipping (NaN when the loss was not finite). */
  gradNorm: number;
  clipped: boolean;
  /** The learning rate of this step. */
  lr: number;
}

/** Gradients aligned with `variables` (as `clipByGlobalNorm` returns them) by name, as optimizers take them. */
export function namedGradients(variables: tf.Variable[], grads: (tf.Tensor | null)[]): tf.NamedTensorMap {
  const named: tf.NamedTensorMap = {};
  variables.forEach((v, i) => {
    const g = grads[i];
    if (g) named[v.name] = g;
  });
  return named;
}

/**
 * The training step loop over tensors, without files: AdamW + warm-up/cosine schedule + global-norm clipping,
 * seeded per step so runs repeat exactly. Browser-safe. `masr-net/node`'s `runTrain` drives it with datasets,
 * validation and checkpoints; a script can drive it with its own batches:
 *
 * ```ts
 * const trainer = new Trainer(model, { totalSteps: 1000, lr: 5e-4 });
 * for (let step = 0; step < 1000; step++) await trainer.step(step, input, target);
 * ```
 */
export class Trainer {
  readonly optimizer: AdamW;
  readonly variables: tf.Variable[];
  readonly totalSteps: number;
  readonly warmupSteps: number;
  private readonly o: Required<Omit<TrainerOptions, 'gradients' | 'microBatch' | 'perceptual' | 'warmupSteps'>>;

  constructor(
    readonly model: MASRNet,
    private readonly options: TrainerOptions,
  ) {
    if (!(Number.isInteger(options.totalSteps) && options.totalSteps > 0))
      throw new Error(`Trainer: totalSteps must be a positive integer, got ${options.totalSteps}`);
    this.o = {
      totalSteps: options.totalSteps,
      lr: options.lr ?? 1e-4,
      weightDecay: options.weightDecay ?? 1e-2,
      minLrFactor: options.minLrFactor ?? 0.001,
      lrSteepness: options.lrSteepness ?? 1,
      lrAcceleration: options.lrAcceleration ?? 1,
      clipNorm: options.clipNorm ?? 1,
      seed: options.seed ?? 3407,
    };
    this.totalSteps = options.totalSteps;
    this.warmupSteps = options.warmupSteps ?? Math.max(1, Math.round(options.totalSteps * 0.05));
    this.variables = model.trainableVariables;
    if (new Set(this.variables.map((v) => v.name)).size !== this.variables.length)
      throw new Error('Trainer: the model has duplicate variable names');
    this.optimizer = new AdamW({ learningRate: this.o.lr, weightDecay: this.o.weightDecay });
  }

  /** The learning rate of step `step` (0-based). */
  lr(step: number): number {
    return warmupCosineLr(step, {
      baseLr: this.o.lr,
      warmupSteps: this.warmupSteps,
      totalSteps: this.totalSteps,
      minLrFactor: this.o.minLrFactor,
      steepness: this.o.lrSteepness,
      acceleration: this.o.lrAcceleration,
    });
  }

  /** The loss and gradients of step `step`'s batch (the caller keeps `input` and `target`). */
  async gradients(step: number, input: tf.Tensor4D, target: tf.Tensor4D): Promise<StepGradients> {
    const microBatch = this.options.microBatch ?? input.shape[0];
    const perceptual = this.options.perceptual ?? null;
    // Dropout masks and sampled experts draw from Math.random: seed them per step so runs (and resumes) repeat.
    const seed = hashSeed(this.o.seed, 'step', step);
    const r = this.options.gradients
      ? await this.options.gradients(input, target, { microBatch, perceptual, seed })
      : withSeededRandom(seed, () =>
          batchGradients(
            (x, y) => this.model.computeLoss(x, y, { training: true, perceptual }),
            this.variables,
            input,
            target,
            microBatch,
          ),
        );
    return { loss: r.loss, terms: r.terms, grads: this.variables.map((v) => r.grads[v.name] ?? null) };
  }

  /**
   * Clip and apply step `step`'s gradients (always disposed here). Nothing is applied when the loss or the gradient
   * norm is not finite; non-finite weights after the update are reported (the caller must not save them).
   */
  apply(step: number, g: StepGradients): StepOutcome {
    const lr = this.lr(step);
    const fail = (failure: StepOutcome['failure'], gradNorm: number): StepOutcome => ({
      ok: false,
      failure,
      loss: g.loss,
      terms: g.terms,
      gradNorm,
      clipped: false,
      lr,
    });
    const owned = g.grads.filter((x): x is tf.Tensor => x !== null);
    if (!Number.isFinite(g.loss)) {
      tf.dispose(owned);
      return fail('loss', NaN);
    }
    // The norm is always computed (clip 0 = no clipping): non-finite gradients must never reach the weights.
    const clip = clipByGlobalNorm(g.grads, this.o.clipNorm > 0 ? this.o.clipNorm : Infinity);
    if (!Number.isFinite(clip.norm)) {
      tf.dispose(owned);
      return fail('gradNorm', clip.norm);
    }
    this.optimizer.learningRate = lr;
    this.optimizer.applyGradients(namedGradients(this.variables, clip.grads));
    tf.dispose(owned);
    if (clip.clipped) tf.dispose(clip.grads.filter((x): x is tf.Tensor => x !== null));
    // Finite loss and gradients can still give non-finite weights (a huge step, corrupt moments).
    if (!this.optimizer.allFinite(this.variables)) return fail('weights', clip.norm);
    return { ok: true, loss: g.loss, terms: g.terms, gradNorm: clip.norm, clipped: clip.clipped, lr };
  }

  /** One step: gradients of the batch, clipping, the AdamW update at the scheduled learning rate. */
  async step(step: number, input: tf.Tensor4D, target: tf.Tensor4D): Promise<StepOutcome> {
    return this.apply(step, await this.gradients(step, input, target));
  }

  /** Whether the weights and optimizer moments are all finite (checked before saving or resuming). */
  allFinite(): boolean {
    return this.optimizer.allFinite(this.variables);
  }

  /** Frees the optimizer state (the model belongs to the caller). */
  dispose(): void {
    this.optimizer.dispose();
  }
}
