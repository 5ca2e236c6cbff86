// Data-parallel gradients: worker threads with their own engines give what batchGradients gives on one thread.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchGradients, MASRNet, VggPerceptualLoss, type MASRNetConfig } from '../../src/index';
import { ParallelGradients } from '../../src/parallel/parallel-gradients';
import { randomArray } from '../helpers/gradcheck';

/** The config with every dropout at 0 and no sampled expert: training-mode losses without randomness. */
function deterministic(config: MASRNetConfig): MASRNetConfig {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [
          k,
          k === 'dropout' || k === 'ffnDropout' ? 0 : k === 'sampleSecondExpert' ? 'never' : strip(x),
        ]),
      );
    }
    return v;
  };
  return strip(config) as MASRNetConfig;
}

const shape: [number, number, number, number] = [3, 16, 24, 3];
const image = (seed: number) => tf.tensor4d(randomArray(3 * 16 * 24 * 3, seed, 0, 1), shape);

describe('ParallelGradients (1 worker thread + the calling thread)', () => {
  const model = MASRNet.fromConfig(deterministic(MASRNet.create('lolv1').config));
  const vgg = VggPerceptualLoss.randomForTesting(3);
  const x = image(1);
  const y = image(2);
  let pg: ParallelGradients;

  beforeAll(async () => {
    pg = await ParallelGradients.start(model, { perceptual: { random: 3 } });
  });
  afterAll(async () => {
    await pg.dispose();
    tf.dispose([x, y]);
    vgg.dispose();
    model.dispose();
  });

  it('matches batchGradients: loss, terms and every gradient (batch 3 shared 2 + 1)', async () => {
    expect(pg.engines).toBe(2);
    const vars = model.trainableVariables;
    const one = batchGradients((a, b) => model.computeLoss(a, b, { training: true, perceptual: vgg }), vars, x, y, 1);
    const par = await pg.gradients(x, y, { microBatch: 1, perceptual: vgg });
    expect(Math.abs(par.loss - one.loss) / one.loss).toBeLessThan(1e-6);
    for (const [k, v] of Object.entries(one.terms)) {
      expect(Math.abs(par.terms[k]! - v), k).toBeLessThanOrEqual(1e-6 * Math.abs(v) + 1e-9);
    }
    expect(Object.keys(par.grads).sort()).toEqual(Object.keys(one.grads).sort());
    // Relative to each gradient's largest element, floored at 1e-6 of the largest of all: some gradients are
    // mathematically zero (k_proj.bias shifts every score of a query equally) and are rounding noise on both sides.
    const maxOf = (g: tf.Tensor) => tf.max(tf.abs(g)).dataSync()[0]!;
    const floor = 1e-6 * Math.max(...Object.values(one.grads).map(maxOf));
    let worst = 0;
    let worstName = '';
    for (const [name, g] of Object.entries(one.grads)) {
      if (/k_proj\.bias/.test(name)) continue; // exactly zero in exact arithmetic: both sides are rounding noise
      const diff = maxOf(tf.sub(g, par.grads[name]!));
      const rel = diff / Math.max(maxOf(g), floor);
      if (rel > worst) [worst, worstName] = [rel, name];
    }
    console.log(
      `ParallelGradients vs batchGradients: worst gradient difference ${worst.toExponential(2)} (${worstName})`,
    );
    expect(worst).toBeLessThan(1e-4);
    tf.dispose([...Object.values(one.grads), ...Object.values(par.grads)]);
  });

  it('leaves no tensors behind, on this thread or in the worker', async () => {
    const first = await pg.gradients(x, y, { microBatch: 1, perceptual: vgg });
    tf.dispose(Object.values(first.grads));
    const before = tf.memory().numTensors;
    const workerBefore = [...pg.workerTensors];
    for (let i = 0; i < 2; i++) {
      const again = await pg.gradients(x, y, { microBatch: 1, perceptual: vgg });
      tf.dispose(Object.values(again.grads));
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(workerBefore[0]).toBeGreaterThan(0);
    expect(pg.workerTensors).toEqual(workerBefore);
  });

  it('takes whole micro-batches: batch 3 in micro-batches of 2 is 2 images here and 1 in the worker', async () => {
    const vars = model.trainableVariables;
    const one = batchGradients((a, b) => model.computeLoss(a, b, { training: true, perceptual: vgg }), vars, x, y, 2);
    const par = await pg.gradients(x, y, { microBatch: 2, perceptual: vgg });
    expect(Math.abs(par.loss - one.loss) / one.loss).toBeLessThan(1e-6);
    tf.dispose([...Object.values(one.grads), ...Object.values(par.grads)]);
  });
});

describe('ParallelGradients with 2 workers (3 engines)', () => {
  it('matches batchGradients for batch 4 shared 2 + 1 + 1, and stops cleanly', async () => {
    const model = MASRNet.fromConfig(deterministic(MASRNet.create('lolv1').config));
    const x4 = tf.slice(tf.concat([image(5), image(6)]), [0, 0, 0, 0], [4, -1, -1, -1]) as tf.Tensor4D;
    const y4 = tf.slice(tf.concat([image(7), image(8)]), [0, 0, 0, 0], [4, -1, -1, -1]) as tf.Tensor4D;
    const pg = await ParallelGradients.start(model, { workers: 2 });
    try {
      expect(pg.engines).toBe(3);
      const vars = model.trainableVariables;
      const one = batchGradients((a, b) => model.computeLoss(a, b, { training: true }), vars, x4, y4, 1);
      const par = await pg.gradients(x4, y4, { microBatch: 1 });
      expect(Math.abs(par.loss - one.loss) / one.loss).toBeLessThan(1e-6);
      // The largest weight (an expert stack).
      const g = [...vars].sort((a, b) => b.size - a.size)[0]!.name;
      const diff = tf.max(tf.abs(tf.sub(one.grads[g]!, par.grads[g]!))).dataSync()[0]!;
      expect(diff).toBeLessThan(1e-5 * tf.max(tf.abs(one.grads[g]!)).dataSync()[0]!);
      tf.dispose([...Object.values(one.grads), ...Object.values(par.grads)]);
    } finally {
      await pg.dispose();
      tf.dispose([x4, y4]);
      model.dispose();
    }
    await expect(pg.gradients(x4, y4)).rejects.toThrow(/disposed/);
  });
});

describe('ParallelGradients with dropout and sampled experts', () => {
  it('repeats a step exactly under the same seed, and differs under another', async () => {
    const model = MASRNet.create('lolv1', { sampleSecondExpert: 'always' });
    const x = image(3);
    const y = image(4);
    const pg = await ParallelGradients.start(model);
    try {
      const run = async (seed: number) => {
        const out = await pg.gradients(x, y, { microBatch: 1, seed });
        const norms = Object.values(out.grads).map((g) => tf.sum(tf.square(g)).dataSync()[0]!);
        tf.dispose(Object.values(out.grads));
        return { loss: out.loss, norms };
      };
      const a = await run(7);
      const b = await run(7);
      expect(b).toEqual(a);
      expect((await run(8)).loss).not.toBe(a.loss);
    } finally {
      await pg.dispose();
      tf.dispose([x, y]);
      model.dispose();
    }
  });
});
