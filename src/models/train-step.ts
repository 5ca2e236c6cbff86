import * as tf from '@tensorflow/tfjs-core';
import type { VggPerceptualLoss } from '../losses/index';

export interface TrainStepOptions {
  /** The VGG16 perceptual term (left out when null). */
  perceptual?: VggPerceptualLoss | null;
  /**
   * Images per forward/backward pass; gradients of the micro-batches are accumulated and applied once, so the step
   * is still one optimizer update for the whole batch. Default: the whole batch.
   * Memory grows with the micro-batch: on wasm (4 GB heap) one 256x256 image peaks at ~2.1 GB RSS (2.8 GB with the
   * perceptual term) and two at ~3.9 GB, so use 1 there at 256x256. Charbonnier, SSIM, LAB and perceptual terms are
   * means, so splitting is exact for them; the batch-level PSNR term and the routing load-balancing terms are then
   * averaged per micro-batch (as in gradient accumulation in PyTorch).
   */
  microBatch?: number;
  /** Clip the gradients to this global L2 norm before the update (the reference trainer uses 1.0). Default none. */
  clipNorm?: number | null;
}

export interface TrainStepResult {
  /** The weighted total loss (mean over micro-batches, weighted by their sizes). */
  loss: number;
  /** The unweighted terms (same averaging). */
  terms: Record<string, number>;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
}

type LossFn = (input: tf.Tensor4D, target: tf.Tensor4D) => { total: tf.Scalar; terms: Record<string, tf.Scalar> };

export interface BatchGradients {
  /** The weighted total loss (micro-batch losses weighted by their share of the batch). */
  loss: number;
  /** The unweighted terms (same averaging). */
  terms: Record<string, number>;
  /** Accumulated gradients by variable name (variables without a gradient are absent). Caller disposes. */
  grads: tf.NamedTensorMap;
}

/**
 * Gradients of a batch's loss, computed in micro-batches of `microBatch` images and accumulated (weighted by their
 * share of the batch), so memory grows with the micro-batch and not the batch. Leaves only `grads` behind.
 */
export function batchGradients(
  lossFn: LossFn,
  variables: tf.Variable[],
  input: tf.Tensor4D,
  target: tf.Tensor4D,
  microBatch?: number,
): BatchGradients {
  const pending = batchGradientTensors(lossFn, variables, input, target, microBatch);
  const loss = pending.loss.dataSync()[0]!;
  const terms = Object.fromEntries(Object.entries(pending.terms).map(([k, v]) => [k, v.dataSync()[0]!]));
  tf.dispose([pending.loss, ...Object.values(pending.terms)]);
  return { loss, terms, grads: pending.grads };
}

/** batchGradients with the loss and terms still tensors, so a caller can read them asynchronously. */
interface PendingGradients {
  loss: tf.Scalar;
  terms: Record<string, tf.Scalar>;
  grads: tf.NamedTensorMap;
}

function batchGradientTensors(
  lossFn: LossFn,
  variables: tf.Variable[],
  input: tf.Tensor4D,
  target: tf.Tensor4D,
  microBatch?: number,
): PendingGradients {
  const batch = input.shape[0];
  const micro = microBatch ?? batch;
  if (!Number.isInteger(micro) || micro < 1) {
    throw new Error(`microBatch must be a positive integer, got ${micro}`);
  }
  if (!tf.util.arraysEqual(input.shape, target.shape)) {
    throw new Error(`input [${input.shape}] and target [${target.shape}] differ in shape`);
  }
  let state: PendingGradients | null = null;
  for (let start = 0; start < batch; start += micro) {
    const n = Math.min(micro, batch - start);
    const frac = n / batch;
    const prev: PendingGradients | null = state;
    const next: PendingGradients = tf.tidy(() => {
      const whole = n === batch;
      const x = whole ? input : tf.slice(input, [start, 0, 0, 0], [n, -1, -1, -1]);
      const y = whole ? target : tf.slice(target, [start, 0, 0, 0], [n, -1, -1, -1]);
      let termTensors: Record<string, tf.Scalar> = {};
      const { value, grads } = tf.variableGrads(() => {
        const out = lossFn(x, y);
        termTensors = Object.fromEntries(Object.entries(out.terms).map(([k, v]) => [k, tf.keep(v)]));
        return (frac === 1 ? out.total : tf.mul(out.total, frac)) as tf.Scalar;
      }, variables);
      const terms: Record<string, tf.Scalar> = {};
      for (const [k, v] of Object.entries(termTensors)) {
        const weighted = tf.mul(v, frac) as tf.Scalar;
        terms[k] = prev?.terms[k] ? (tf.add(prev.terms[k]!, weighted) as tf.Scalar) : weighted;
        v.dispose();
      }
      const acc = prev?.grads ?? {};
      const merged: tf.NamedTensorMap = {};
      for (const [name, g] of Object.entries(grads)) merged[name] = acc[name] ? tf.add(acc[name]!, g) : g;
      // Variables this micro-batch did not reach keep what earlier ones accumulated.
      for (const [name, g] of Object.entries(acc)) if (!(name in merged)) merged[name] = tf.clone(g);
      return { loss: (prev ? tf.add(prev.loss, value) : value) as tf.Scalar, terms, grads: merged };
    });
    if (prev) tf.dispose([prev.loss, ...Object.values(prev.terms), ...Object.values(prev.grads)]);
    state = next;
  }
  return state!;
}

/**
 * Global-norm gradient clipping (as `torch.nn.utils.clip_grad_norm_`): when the norm over all gradients exceeds
 * `maxNorm`, every gradient is scaled by maxNorm / (norm + 1e-6). Returns the clipped gradients (new tensors when
 * clipped, the inputs otherwise) and the norm before clipping.
 */
export function clipByGlobalNorm(
  grads: (tf.Tensor | null)[],
  maxNorm: number,
): { grads: (tf.Tensor | null)[]; norm: number; clipped: boolean } {
  const normT = globalNorm(grads.filter((g): g is tf.Tensor => g !== null));
  const norm = normT.dataSync()[0]!;
  normT.dispose();
  if (!(norm > maxNorm) || !Number.isFinite(norm)) return { grads, norm, clipped: false };
  const scale = maxNorm / (norm + 1e-6);
  return { grads: grads.map((g) => (g ? tf.mul(g, scale) : null)), norm, clipped: true };
}

/** The L2 norm over all of the tensors, as a scalar tensor (read it synchronously or not). */
function globalNorm(grads: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

function checkedClipNorm(options: TrainStepOptions): number | null | undefined {
  const clip = options.clipNorm;
  if (clip != null && !(clip > 0))
    throw new Error(`trainStep: clipNorm must be > 0 (or null for no clipping), got ${clip}`);
  return clip;
}

const NO_GRADIENTS = 'trainStep: the loss does not depend on any of the variables (no gradients)';

/** Training pixels per pass on wasm (4 GB heap): one 256x256 image peaks at ~2.1 GB RSS (2.8 GB with the perceptual term). */
const WASM_PIXELS_PER_PASS = 256 * 256;

/** The micro-batch that fits the backend's memory: whole batches except on wasm, where passes stay near 256x256 pixels. */
export function defaultMicroBatch(batch: number, height: number, width: number, backend: string): number {
  if (backend !== 'wasm') return batch;
  return Math.max(1, Math.min(batch, Math.floor(WASM_PIXELS_PER_PASS / (height * width))));
}

/**
 * One optimizer step over a batch (micro-batched gradient accumulation, optional global-norm clipping). Throws,
 * leaving the weights unchanged, on a non-finite loss or gradient. Leaves no tensors behind.
 */
export function trainStep(
  lossFn: LossFn,
  variables: tf.Variable[],
  optimizer: tf.Optimizer,
  input: tf.Tensor4D,
  target: tf.Tensor4D,
  options: TrainStepOptions = {},
): TrainStepResult {
  const clip = checkedClipNorm(options);
  const { loss, terms, grads } = batchGradients(lossFn, variables, input, target, options.microBatch);
  let acc = grads;
  if (Object.keys(acc).length === 0) throw new Error(NO_GRADIENTS);
  const names = Object.keys(acc);
  const clipped = clipByGlobalNorm(Object.values(acc), clip ?? Infinity);
  const gradNorm = clipped.norm;
  refuseNonFinite(loss, gradNorm, acc);
  if (clipped.clipped) {
    tf.dispose(acc);
    acc = Object.fromEntries(names.map((k, i) => [k, clipped.grads[i]!]));
  }
  optimizer.applyGradients(acc);
  tf.dispose(acc);
  return { loss, terms, gradNorm };
}

/** Throws, disposing the gradients and leaving the weights unchanged, when the loss or gradient norm is not finite. */
function refuseNonFinite(loss: number, gradNorm: number, grads: tf.NamedTensorMap): void {
  if (Number.isFinite(loss) && Number.isFinite(gradNorm)) return;
  tf.dispose(grads);
  throw new Error(
    `trainStep: non-finite ${Number.isFinite(loss) ? 'gradient norm' : 'loss'} (loss ${loss}, gradient norm ${gradNorm}); weights left unchanged`,
  );
}

/**
 * trainStep without a synchronous read (for WebGL/WebGPU, where one stalls the page or is not possible): the loss,
 * terms and gradient norm are read with `await data()` before the update, and the update is skipped, leaving the
 * weights unchanged, when any of them is not finite. Same result as trainStep.
 */
export async function trainStepAsync(
  lossFn: LossFn,
  variables: tf.Variable[],
  optimizer: tf.Optimizer,
  input: tf.Tensor4D,
  target: tf.Tensor4D,
  options: TrainStepOptions = {},
): Promise<TrainStepResult> {
  const clip = checkedClipNorm(options);
  const pending = batchGradientTensors(lossFn, variables, input, target, options.microBatch);
  let acc = pending.grads;
  const names = Object.keys(acc);
  const keys = Object.keys(pending.terms);
  const scalars = [pending.loss, ...keys.map((k) => pending.terms[k]!)];
  if (names.length === 0) {
    tf.dispose(scalars);
    throw new Error(NO_GRADIENTS);
  }
  const normT = globalNorm(Object.values(acc));
  const read = await Promise.all([normT, ...scalars].map((t) => t.data()));
  tf.dispose([normT, ...scalars]);
  const gradNorm = read[0]![0]!;
  const loss = read[1]![0]!;
  const terms = Object.fromEntries(keys.map((k, i) => [k, read[i + 2]![0]!]));
  refuseNonFinite(loss, gradNorm, acc);
  if (clip != null && gradNorm > clip) {
    const scale = clip / (gradNorm + 1e-6);
    const scaled = Object.fromEntries(names.map((k) => [k, tf.mul(acc[k]!, scale)]));
    tf.dispose(acc);
    acc = scaled;
  }
  optimizer.applyGradients(acc);
  tf.dispose(acc);
  return { loss, terms, gradNorm };
}
