import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  AdamW,
  MASRNet,
  Trainer,
  batchGradients,
  clipByGlobalNorm,
  namedGradients,
  warmupCosineLr,
} from '../../src/index';
import type { MASRNetOverrides } from '../../src/models';
import { hashSeed, withSeededRandom } from '../../src/random/index';
import { TINY_MODEL_STOCHASTIC } from '../cli/helpers';

const tiny = () => withSeededRandom(7, () => MASRNet.create('lolv1', TINY_MODEL_STOCHASTIC as MASRNetOverrides));
const batch = (seed: number) => tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
/** The first loss calls cache constants (SSIM windows and the like): run them before counting tensors. */
const warmUp = (m: MASRNet, x: tf.Tensor4D) => {
  for (let i = 0; i < 2; i++) tf.tidy(() => m.computeLoss(x, x, { training: false }).total);
};
const weights = (m: MASRNet) => m.trainableVariables.map((v) => Array.from(v.dataSync()));

describe(`Trainer (${tf.getBackend()})`, () => {
  it('is the seeded AdamW + warm-up/cosine + clipping loop, step for step (dropout and sampling on)', async () => {
    const [x, y] = [batch(1), batch(2)];
    const options = { totalSteps: 10, lr: 1e-3, weightDecay: 0.01, warmupSteps: 2, clipNorm: 0.5, seed: 5 };
    const a = tiny();
    const trainer = new Trainer(a, options);
    // The same loop written out.
    const b = tiny();
    const vars = b.trainableVariables;
    const opt = new AdamW({ weightDecay: 0.01 });
    warmUp(a, x);
    warmUp(b, x);
    const before = tf.memory().numTensors;
    for (let step = 0; step < 2; step++) {
      const outcome = await trainer.step(step, x, y);
      expect(outcome.ok).toBe(true);
      const r = withSeededRandom(hashSeed(5, 'step', step), () =>
        batchGradients((p, q) => b.computeLoss(p, q, { training: true }), vars, x, y, 2),
      );
      expect(outcome.loss).toBe(r.loss);
      const list = vars.map((v) => r.grads[v.name] ?? null);
      const clip = clipByGlobalNorm(list, 0.5);
      expect(outcome.gradNorm).toBe(clip.norm);
      opt.learningRate = warmupCosineLr(step, { baseLr: 1e-3, warmupSteps: 2, totalSteps: 10 });
      expect(outcome.lr).toBe(opt.learningRate);
      opt.applyGradients(namedGradients(vars, clip.grads));
      tf.dispose(Object.values(r.grads));
      if (clip.clipped) tf.dispose(clip.grads.filter((g): g is tf.Tensor => g !== null));
    }
    expect(weights(a)).toEqual(weights(b));
    // The only new tensors are the two optimizers' moments.
    expect(tf.memory().numTensors).toBe(before + 4 * vars.length);
    trainer.dispose();
    opt.dispose();
    tf.dispose([x, y]);
    a.dispose();
    b.dispose();
  });

  it('applies nothing on a non-finite loss, and says so', async () => {
    const [x, y] = [batch(3), batch(4)];
    const model = tiny();
    const trainer = new Trainer(model, { totalSteps: 4 });
    const start = weights(model);
    warmUp(model, x);
    const before = tf.memory().numTensors;
    const g = await trainer.gradients(0, x, y);
    g.loss = NaN;
    const outcome = trainer.apply(0, g);
    expect(outcome).toMatchObject({ ok: false, failure: 'loss' });
    expect(weights(model)).toEqual(start);
    expect(trainer.optimizer.iterations).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => new Trainer(model, { totalSteps: 0 })).toThrow(/totalSteps must be a positive integer, got 0/);
    trainer.dispose();
    model.dispose();
    tf.dispose([x, y]);
  });
});
