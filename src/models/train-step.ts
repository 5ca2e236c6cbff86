import * as tf from '@tensorflow/tfjs-core';
import type { VggPerceptualLoss } from '../losses/index';

export interface TrainStepOptions {
  /** The VGG16 perceptual term (left out when null). */
  perceptual?: VggPerceptualLoss | null;
  /**
   * Images per forward/backward pass; gradients of the micro-batches are accumulated and applied once, so the step
   * is still one optimizer update for the whole batch. Default: the whole batch.
   * Memory grows with the micro-batch: the wasm backend's 4 GB heap holds about two 256x256 images of training
   * activations, so use 1 there for batch 4 at 256x256. Charbonnier, SSIM, LAB and perceptual terms are means, so
   * splitting is exact for them; the batch-level PSNR term and the routing load-balancing terms are then averaged
   * per micro-batch (as in gradient accumulation in PyTorch).
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

/**
 * One optimizer step over a batch, in micro-batches with gradient accumulation. The caller's loss function must be
 * differentiable w.r.t. `variables`. Leaves no tensors behind.
 */
export function trainStep(
  lossFn: LossFn,
  variables: tf.Variable[],
  optimizer: tf.Optimizer,
  input: tf.Tensor4D,
  target: tf.Tensor4D,
  options: TrainStepOptions = {},
): TrainStepResult {
  const batch = input.shape[0];
  const micro = options.microBatch ?? batch;
  if (!Number.isInteger(micro) || micro < 1)
    throw new Error(`trainStep: microBatch must be a positive integer, got ${micro}`);
  if (!tf.util.arraysEqual(input.shape, target.shape)) {
    throw new Error(`trainStep: input [${input.shape}] and target [${target.shape}] differ in shape`);
  }
  const sums: Record<string, number> = {};
  let loss = 0;
  let acc: Record<string, tf.Tensor> = {};
  for (let start = 0; start < batch; start += micro) {
    const n = Math.min(micro, batch - start);
    const frac = n / batch;
    const next = tf.tidy(() => {
      const x = tf.slice(input, [start, 0, 0, 0], [n, -1, -1, -1]);
      const y = tf.slice(target, [start, 0, 0, 0], [n, -1, -1, -1]);
      let terms: Record<string, tf.Scalar> = {};
      const { value, grads } = tf.variableGrads(() => {
        const out = lossFn(x, y);
        terms = Object.fromEntries(Object.entries(out.terms).map(([k, v]) => [k, tf.keep(v)]));
        return tf.mul(out.total, frac) as tf.Scalar;
      }, variables);
      loss += value.dataSync()[0]!;
      for (const [k, v] of Object.entries(terms)) {
        sums[k] = (sums[k] ?? 0) + v.dataSync()[0]! * frac;
        v.dispose();
      }
      const merged: Record<string, tf.Tensor> = {};
      for (const [name, g] of Object.entries(grads)) merged[name] = acc[name] ? tf.add(acc[name]!, g) : g;
      return merged;
    });
    tf.dispose(acc);
    acc = next;
  }
  const gradNorm = tf.tidy(() => tf.sqrt(tf.addN(Object.values(acc).map((g) => tf.sum(tf.square(g))))).dataSync()[0]!);
  if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
    tf.dispose(acc);
    throw new Error(
      `trainStep: non-finite ${Number.isFinite(loss) ? 'gradient norm' : 'loss'} (loss ${loss}, gradient norm ${gradNorm}); weights left unchanged`,
    );
  }
  const clip = options.clipNorm;
  if (clip != null && gradNorm > clip) {
    const scaled = tf.tidy(() =>
      Object.fromEntries(Object.entries(acc).map(([k, g]) => [k, tf.mul(g, clip / (gradNorm + 1e-6))])),
    );
    tf.dispose(acc);
    acc = scaled;
  }
  optimizer.applyGradients(acc as tf.NamedTensorMap);
  tf.dispose(acc);
  return { loss, terms: sums, gradNorm };
}
