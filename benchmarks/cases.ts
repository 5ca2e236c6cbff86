import * as tf from '@tensorflow/tfjs-core';
import {
  batchGradients,
  clipByGlobalNorm,
  defaultMicroBatch,
  MASRNet,
  VggPerceptualLoss,
  type MASRNetPreset,
} from '../src/index';
import { AdamW, ParallelGradients, namedGradients } from '../src/node/index';

export interface CaseSpec {
  id: string;
  kind: 'forward' | 'train';
  preset: MASRNetPreset;
  batch: number;
  height: number;
  width: number;
  perceptual?: boolean;
  /** Too slow for the pure-JS cpu backend. */
  heavy: boolean;
  /** Gradient worker threads beside the main thread (data-parallel, `ParallelGradients`); 1-thread wasm only. */
  gradWorkers?: number;
}

export const CASES: CaseSpec[] = [
  { id: 'forward-lolv1-400x600', kind: 'forward', preset: 'lolv1', batch: 1, height: 400, width: 600, heavy: true },
  // The noise-aware variant (issue 17): budget 1.5x the ISP-only forward above.
  {
    id: 'forward-lolv1-denoise-400x600',
    kind: 'forward',
    preset: 'lolv1-denoise',
    batch: 1,
    height: 400,
    width: 600,
    heavy: true,
  },
  {
    id: 'forward-lolv1-denoise-autoexposure-400x600',
    kind: 'forward',
    preset: 'lolv1-denoise-autoexposure',
    batch: 1,
    height: 400,
    width: 600,
    heavy: true,
  },
  { id: 'forward-lolv1-256x256', kind: 'forward', preset: 'lolv1', batch: 1, height: 256, width: 256, heavy: false },
  { id: 'forward-lolv2-400x600', kind: 'forward', preset: 'lolv2', batch: 1, height: 400, width: 600, heavy: true },
  {
    id: 'train-lolv1-b4-256-full',
    kind: 'train',
    preset: 'lolv1',
    batch: 4,
    height: 256,
    width: 256,
    perceptual: true,
    heavy: true,
  },
  {
    id: 'train-lolv1-b4-256-noperceptual',
    kind: 'train',
    preset: 'lolv1',
    batch: 4,
    height: 256,
    width: 256,
    heavy: true,
  },
  {
    id: 'train-lolv1-b4-256-full-parallel',
    kind: 'train',
    preset: 'lolv1',
    batch: 4,
    height: 256,
    width: 256,
    perceptual: true,
    heavy: true,
    gradWorkers: 1,
  },
  {
    id: 'train-lolv1-b4-256-noperceptual-parallel',
    kind: 'train',
    preset: 'lolv1',
    batch: 4,
    height: 256,
    width: 256,
    heavy: true,
    gradWorkers: 1,
  },
  { id: 'forward-lolv1-64x96', kind: 'forward', preset: 'lolv1', batch: 1, height: 64, width: 96, heavy: false },
  {
    id: 'train-lolv1-b1-64x96-noperceptual',
    kind: 'train',
    preset: 'lolv1',
    batch: 1,
    height: 64,
    width: 96,
    heavy: false,
  },
];

export interface PreparedCase {
  /** One timed unit of work; must leave no tensors behind. */
  step: () => void | Promise<void>;
  flops: number;
  dispose: () => void | Promise<void>;
}

/** Builds the model and inputs for a case. Training uses AdamW-equivalent Adam steps; VGG weights are random (timing only). */
export async function prepareCase(spec: CaseSpec): Promise<PreparedCase> {
  const model = MASRNet.create(spec.preset);
  const x = tf.randomUniform([spec.batch, spec.height, spec.width, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const forwardFlops = model.flops(spec.height, spec.width) * spec.batch;
  if (spec.kind === 'forward') {
    return {
      // The read happens outside tidy: tidy walks a returned value for tensors, and a Float32Array of 720k pixels
      // costs ~0.3 s to walk (the bench measured that, not the model, before).
      step: () => {
        const y = model.enhance(x);
        y.dataSync();
        y.dispose();
      },
      flops: forwardFlops,
      dispose: () => {
        x.dispose();
        model.dispose();
      },
    };
  }
  const target = tf.randomUniform([spec.batch, spec.height, spec.width, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const vgg = spec.perceptual ? VggPerceptualLoss.randomForTesting(0) : null;
  const vars = model.trainableVariables;
  const opt = new AdamW({ learningRate: 1e-4, weightDecay: 1e-2 });
  // The same micro-batch as the CLI trainer: passes of ~256x256 pixels on wasm (its heap stops at 4 GB).
  const microBatch = defaultMicroBatch(spec.batch, spec.height, spec.width, tf.getBackend());
  const parallel = spec.gradWorkers
    ? await ParallelGradients.start(model, {
        workers: spec.gradWorkers,
        perceptual: spec.perceptual ? { random: 0 } : null,
      })
    : null;
  const apply = (grads: tf.NamedTensorMap) => {
    const list = vars.map((v) => grads[v.name] ?? null);
    const clip = clipByGlobalNorm(list, 1);
    opt.applyGradients(namedGradients(vars, clip.grads));
    tf.dispose(Object.values(grads));
    if (clip.clipped) tf.dispose(clip.grads.filter((g): g is tf.Tensor => g !== null));
  };
  return {
    // The CLI trainer's step: micro-batched gradients (shared with a worker thread in the parallel cases),
    // global-norm clipping at 1, AdamW.
    step: parallel
      ? async () => apply((await parallel.gradients(x, target, { microBatch, perceptual: vgg })).grads)
      : () =>
          apply(
            batchGradients(
              (a, b) => model.computeLoss(a, b, { training: true, perceptual: vgg }),
              vars,
              x,
              target,
              microBatch,
            ).grads,
          ),
    // Backward ~ 2x forward (input + weight gradients).
    flops: forwardFlops * 3,
    dispose: async () => {
      await parallel?.dispose();
      x.dispose();
      target.dispose();
      vgg?.dispose();
      opt.dispose();
      model.dispose();
    },
  };
}
