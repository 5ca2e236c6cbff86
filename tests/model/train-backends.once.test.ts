import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend, type BackendName } from '../../src/backend';
import { MASRNet, VggPerceptualLoss } from '../../src/index';
import { randomArray } from '../helpers/gradcheck';

// A full training step's loss (all six terms, random VGG) and every weight's gradient norm must agree between the
// cpu and wasm backends. Eval-mode loss: dropout and the sampled MoA expert would draw different random numbers.
async function lossAndGradNorms(backend: BackendName, weights?: Uint8Array) {
  await selectBackend(backend);
  const model = MASRNet.create('lolv1');
  // Same initial weights on both backends (initialisers draw from an unseeded RNG).
  if (weights) model.loadSafetensors(weights);
  const exported = model.toSafetensors();
  expect(tf.getBackend()).toBe(backend);
  const vgg = VggPerceptualLoss.randomForTesting(3);
  const shape = [2, 32, 40, 3];
  const x = tf.tensor4d(randomArray(2 * 32 * 40 * 3, 11, 0, 1), shape as [number, number, number, number]);
  const y = tf.tensor4d(randomArray(2 * 32 * 40 * 3, 12, 0, 1), shape as [number, number, number, number]);
  const vars = model.trainableVariables;
  const { value, grads } = tf.variableGrads(
    () => model.computeLoss(x, y, { training: false, perceptual: vgg }).total,
    vars,
  );
  // In variable order: tfjs-layers suffixes the second model's weight names (`_1`).
  const norms: [string, number][] = vars.map((v) => {
    const g = grads[v.name];
    return [v.name, g ? Math.sqrt(tf.sum(tf.square(g)).dataSync()[0]!) : 0];
  });
  const loss = value.dataSync()[0]!;
  tf.dispose([value, x, y, ...Object.values(grads)]);
  vgg.dispose();
  model.dispose();
  return { loss, norms, exported };
}

describe('training on wasm matches cpu', () => {
  afterAll(async () => {
    await selectBackend('wasm');
  });

  it('loss within 1e-4 relative, gradient norms per weight within 1e-3 relative', async () => {
    const cpu = await lossAndGradNorms('cpu');
    const wasm = await lossAndGradNorms('wasm', cpu.exported);
    expect(Math.abs(wasm.loss - cpu.loss) / Math.abs(cpu.loss)).toBeLessThan(1e-4);
    expect(wasm.norms.length).toBe(cpu.norms.length);
    expect(cpu.norms.filter(([, n]) => n > 0).length).toBeGreaterThan(150);
    let worst = 0;
    let worstName = '';
    for (const [i, [name, n]] of cpu.norms.entries()) {
      const w = wasm.norms[i]![1];
      expect(Number.isFinite(w)).toBe(true);
      // Relative to the norm, with a floor for weights whose gradient is ~0 on both (e.g. k_proj biases).
      const rel = Math.abs(w - n) / Math.max(n, 1e-6);
      if (rel > worst) [worst, worstName] = [rel, name];
    }
    console.log(
      `train-step cpu vs wasm: loss ${cpu.loss} vs ${wasm.loss}; worst gradient-norm rel. diff ${worst.toExponential(2)} (${worstName})`,
    );
    expect(worst).toBeLessThan(1e-3);
  });
});
