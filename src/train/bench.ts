import * as tf from '@tensorflow/tfjs-core';
import type { MASRNetOverrides, MASRNetPreset } from '../models/index';
import { AdamW } from './adamw';
import { UsageError } from '../data/errors';
import { createModel, readModelConfigFile } from '../infer/model-source';
import type { Reporter } from '../reporter';

export interface BenchOptions {
  preset: MASRNetPreset;
  config?: string;
  /** `HxW`, e.g. `256x256`. */
  size: string;
  batch: number;
  runs: number;
  train: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(runs: number, fn: () => Promise<void>): Promise<number[]> {
  await fn(); // warm-up: kernel compilation, first allocations
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}

/** A quick timing of this machine: forward pass (and a training step) at one size, with parameters and FLOPs. */
export async function runBench(o: BenchOptions, reporter: Reporter): Promise<{ forward: number; train?: number }> {
  const m = /^(\d+)x(\d+)$/.exec(o.size);
  if (!m) throw new UsageError(`--size must look like 256x256, got '${o.size}'`);
  const [h, w] = [Number(m[1]), Number(m[2])];
  const overrides = o.config
    ? ((await readModelConfigFile(o.config)).model as MASRNetOverrides | undefined)
    : undefined;
  const model = createModel(o.preset, overrides, o.config);
  try {
    const p = model.countParams();
    reporter.info(
      `model: preset ${o.preset}, ${p.trainable.toLocaleString('en')} trainable parameters, ${(model.flops(h, w) / 1e9).toFixed(1)} GFLOPs per image at ${h}x${w}; backend ${tf.getBackend()}`,
    );
    const x = tf.randomUniform([o.batch, h, w, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const forward = await time(o.runs, async () => {
      const y = model.enhance(x);
      await y.data();
      y.dispose();
    });
    const fwd = median(forward);
    reporter.info(
      `forward: batch ${o.batch} at ${h}x${w}: median ${fwd.toFixed(3)} s over ${o.runs} runs (${((o.batch * model.flops(h, w)) / fwd / 1e9).toFixed(1)} GFLOP/s)`,
    );
    let train: number | undefined;
    if (o.train) {
      const target = tf.randomUniform([o.batch, h, w, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
      const vars = model.trainableVariables;
      const opt = new AdamW({ learningRate: 1e-4 });
      const steps = await time(o.runs, async () => {
        const { value, grads } = tf.variableGrads(() => model.computeLoss(x, target, { training: true }).total, vars);
        await value.data();
        opt.applyGradients(grads);
        tf.dispose([value, ...Object.values(grads)]);
      });
      train = median(steps);
      reporter.info(
        `train step (loss without perceptual + gradients + AdamW): batch ${o.batch} at ${h}x${w}: median ${train.toFixed(3)} s`,
      );
      opt.dispose();
      target.dispose();
    }
    x.dispose();
    reporter.info(
      `memory: ${tf.memory().numTensors} tensors, ${(tf.memory().numBytes / 2 ** 20).toFixed(0)} MiB held by tfjs; RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
    );
    return { forward: fwd, train };
  } finally {
    model.dispose();
  }
}
