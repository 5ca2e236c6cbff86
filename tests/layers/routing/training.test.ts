import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, describe, expect, it } from 'vitest';
import { MixtureOfAttention, MixtureOfExperts, type RoutingLayer } from '../../../src/layers/exports-routing';
import { maxAbsDiff, randomTensor } from '../../helpers/gradcheck';
import { projectedSum, randomizeWeights, weightGrads } from './helpers';

const cleanup: tf.TensorContainer[] = [];
afterEach(() => {
  tf.dispose(cleanup.splice(0));
});

function expectAllNonZero(layer: RoutingLayer, run: () => tf.Tensor): void {
  tf.dispose(run()); // builds the layer
  const grads = weightGrads(layer, () => tf.add(projectedSum(run()), layer.lastAux!.total) as tf.Scalar);
  cleanup.push([...grads.values()]);
  expect(grads.size).toBe(layer.trainableWeights.length);
  for (const [name, g] of grads) {
    // k_proj.bias shifts all of a query's scores equally, which the softmax cancels: its gradient is exactly 0.
    if (name === 'k_proj.bias') continue;
    const nonZero = Array.from(g.dataSync()).filter((v) => v !== 0).length;
    expect(nonZero, `${name} has an all-zero gradient`).toBeGreaterThan(0);
    expect(Array.from(g.dataSync()).every(Number.isFinite), name).toBe(true);
  }
}

describe(`routing layers in training (${tf.getBackend()})`, () => {
  it('every trainable weight gets a non-zero gradient in one step', () => {
    const x = randomTensor([2, 6, 4], 1, -2, 2);
    for (const mode of ['sum', 'slots'] as const) {
      const moe = new MixtureOfExperts({ numExperts: 3, k: 2, hiddenSizes: [5, 3], mode, seed: 1 });
      expectAllNonZero(moe, () => moe.apply(x, { training: true }) as tf.Tensor);
      moe.dispose();
    }
    const q = randomTensor([1, 4, 3, 4], 2);
    const nb = randomTensor([1, 4, 24, 4], 3);
    const moa = new MixtureOfAttention({ numExperts: 3, k: 2, headDim: 2, positionBias: 'reference', seed: 2 });
    expectAllNonZero(moa, () => moa.apply([q, nb], { training: true }) as tf.Tensor);
    const gk = randomTensor([1, 4, 3, 4], 4);
    const gated = new MixtureOfAttention({ numExperts: 3, k: 2, headDim: 2, routing: 'attentionGate', seed: 3 });
    expectAllNonZero(gated, () => gated.apply([q, nb, nb, gk], { training: true }) as tf.Tensor);
    cleanup.push(x, q, nb, gk);
    moa.dispose();
    gated.dispose();
  });

  it('tf.model + fit: one step lowers a toy loss, and the aux loss reaches fit through addLoss', async () => {
    const input = tfl.input({ shape: [6, 4] });
    const moe = new MixtureOfExperts({ numExperts: 3, k: 2, hiddenSizes: [8], seed: 4 });
    const model = tfl.model({ inputs: input, outputs: moe.apply(input) as tfl.SymbolicTensor });
    model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
    const x = randomTensor([4, 6, 4], 5);
    const y = randomTensor([4, 6, 4], 6);
    const mseBefore = (model.evaluate(x, y) as tf.Scalar).dataSync()[0]!;
    tf.dispose(model.predict(x));
    const auxBefore = moe.lastAux!.total.dataSync()[0]!;
    expect(auxBefore).toBeGreaterThan(0);
    const history = await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    const mseAfter = (model.evaluate(x, y) as tf.Scalar).dataSync()[0]!;
    cleanup.push(x, y);
    // The reported training loss is the task loss plus the layer's weighted aux total.
    expect(history.history['loss']![0] as number).toBeCloseTo(mseBefore + auxBefore, 5);
    expect(mseAfter).toBeLessThan(mseBefore);
    model.dispose();
  });

  it('MixtureOfAttention with two inputs trains in tf.model; MixtureOfExperts works in tf.sequential', async () => {
    const query = tfl.input({ shape: [2, 3, 4] });
    const kv = tfl.input({ shape: [2, 5, 4] });
    const moa = new MixtureOfAttention({
      numExperts: 3,
      k: 2,
      headDim: 4,
      sampleSecondExpert: 'never',
      attentionDropout: 0,
    });
    const model = tfl.model({ inputs: [query, kv], outputs: moa.apply([query, kv]) as tfl.SymbolicTensor });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const xs = [randomTensor([3, 2, 3, 4], 7), randomTensor([3, 2, 5, 4], 8)];
    const y = randomTensor([3, 2, 3, 4], 9, -0.3, 0.3);
    const before = (model.evaluate(xs, y) as tf.Scalar).dataSync()[0]!;
    await model.fit(xs, y, { epochs: 2, batchSize: 3, verbose: 0 });
    const after = (model.evaluate(xs, y) as tf.Scalar).dataSync()[0]!;
    expect(after).toBeLessThan(before);

    const seq = tfl.sequential({
      layers: [new MixtureOfExperts({ inputShape: [3, 4], numExperts: 2, k: 1, hiddenSizes: [4], mode: 'slots' })],
    });
    expect(seq.outputs[0]!.shape).toEqual([null, 3, 1, 4]);
    seq.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const sx = randomTensor([2, 3, 4], 10);
    const sy = randomTensor([2, 3, 1, 4], 11);
    const h = await seq.fit(sx, sy, { epochs: 1, verbose: 0 });
    expect(Number.isFinite(h.history['loss']![0] as number)).toBe(true);
    cleanup.push(xs, y, sx, sy);
    model.dispose();
    seq.dispose();
  });

  it('eager optimizer.minimize loop with lastAux: loss goes down and numTensors stays constant', () => {
    const q = randomTensor([2, 2, 3, 4], 12);
    const target = randomTensor([2, 2, 3, 4], 13, -0.2, 0.2);
    const moa = new MixtureOfAttention({ numExperts: 3, k: 2, headDim: 4, seed: 5 }); // samples + dropout in training
    const moe = new MixtureOfExperts({ numExperts: 3, k: 2, hiddenSizes: [6], seed: 6 });
    tf.dispose(moe.apply(moa.apply(q)) as tf.Tensor);
    randomizeWeights(moe, 3, 0.3);
    const opt = tf.train.adam(0.02);
    const step = (): number => {
      const loss = opt.minimize(() => {
        const y = moe.apply(moa.apply(q, { training: true }), { training: true }) as tf.Tensor;
        const task = tf.mean(tf.square(tf.sub(y, target)));
        return tf.addN([task, moa.lastAux!.total, moe.lastAux!.total]) as tf.Scalar;
      }, true)!;
      const v = loss.dataSync()[0]!;
      loss.dispose();
      return v;
    };
    const first = step();
    step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 8; i++) last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first);
    cleanup.push(q, target);
    opt.dispose();
    moa.dispose();
    moe.dispose();
  });

  it('the addLoss closure returns a fresh tensor each time (the layer keeps lastAux)', () => {
    const moe = new MixtureOfExperts({ numExperts: 2, k: 1, hiddenSizes: [3] });
    const x = randomTensor([3, 4], 14);
    tf.dispose(moe.apply(x) as tf.Tensor);
    const [l] = moe.calculateLosses();
    cleanup.push(x, l!);
    expect(maxAbsDiff(l!, moe.lastAux!.total)).toBe(0);
    expect(l).not.toBe(moe.lastAux!.total);
    moe.dispose();
  });
});
