import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { gelu } from '../../../src/ops';
import { MixtureOfExperts } from '../../../src/layers/exports-routing';
import { gradCheck, maxAbsDiff, randomTensor } from '../../helpers/gradcheck';
import {
  buildWith,
  int2d,
  projectedSum,
  randomizeWeights,
  referenceLogits,
  referenceRouter,
  weightGrads,
  weightValue,
} from './helpers';

const cleanup: tf.TensorContainer[] = [];
afterEach(() => {
  tf.dispose(cleanup.splice(0));
});

function built(
  opts: ConstructorParameters<typeof MixtureOfExperts>[0],
  inputShape: number[],
  seed = 5,
): MixtureOfExperts {
  const layer = new MixtureOfExperts(opts);
  buildWith(layer, inputShape);
  randomizeWeights(layer, seed);
  return layer;
}

describe(`MixtureOfExperts (${tf.getBackend()})`, () => {
  it('E=1, k=1 equals a dense FFN with the same weights (forward and weight gradients)', () => {
    const layer = built({ numExperts: 1, k: 1, hiddenSizes: [6, 5], outputDim: 3 }, [2, 3, 4]);
    const x = randomTensor([2, 3, 4], 11);
    const w = (name: string) => tf.reshape(weightValue(layer, name), weightValue(layer, name).shape.slice(1));
    const dense = () =>
      tf.tidy(() => {
        let h = tf.reshape(x, [6, 4]);
        h = gelu(tf.add(tf.matMul(h, w('experts.layers.0.weight') as tf.Tensor2D), w('experts.layers.0.bias')));
        h = gelu(
          tf.add(tf.matMul(h as tf.Tensor2D, w('experts.layers.1.weight') as tf.Tensor2D), w('experts.layers.1.bias')),
        );
        h = tf.add(
          tf.matMul(h as tf.Tensor2D, w('experts.layers.2.weight') as tf.Tensor2D),
          w('experts.layers.2.bias'),
        );
        h = tf.add(
          tf.matMul(h as tf.Tensor2D, w('output_experts.layers.0.weight') as tf.Tensor2D),
          w('output_experts.layers.0.bias'),
        );
        // The single gate is p / (p + 1e-6) with p = 1.
        return tf.reshape(tf.mul(h, 1 / (1 + 1e-6)), [2, 3, 3]);
      });
    const y = layer.apply(x) as tf.Tensor;
    const ref = dense();
    cleanup.push(x, y, ref);
    expect(y.shape).toEqual([2, 3, 3]);
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5);
    const gMoe = weightGrads(layer, () => projectedSum(layer.apply(x) as tf.Tensor));
    const gDense = weightGrads(layer, () => projectedSum(dense()));
    cleanup.push([...gMoe.values()], [...gDense.values()]);
    for (const [name, g] of gMoe) {
      if (name === 'w_gate') {
        expect(maxAbsDiff(g, tf.zerosLike(g))).toBeLessThan(1e-6); // softmax over one expert is constant
        continue;
      }
      expect(maxAbsDiff(g, gDense.get(name)!), name).toBeLessThan(1e-4);
      expect(maxAbsDiff(g, tf.zerosLike(g)), name).toBeGreaterThan(1e-3);
    }
    layer.dispose();
  });

  for (const mode of ['sum', 'slots'] as const) {
    it(`sparse dispatch equals dense-mask dispatch, mode '${mode}' (forward and gradients)`, () => {
      const opts = { numExperts: 4, k: 2, hiddenSizes: [5], outputDim: 3, mode } as const;
      const sparse = built({ ...opts, dispatch: 'sparse' }, [3, 5, 4], 7);
      const dense = built({ ...opts, dispatch: 'dense' }, [3, 5, 4], 7);
      const x = randomTensor([3, 5, 4], 12, -2, 2);
      const ys = sparse.apply(x) as tf.Tensor;
      const yd = dense.apply(x) as tf.Tensor;
      cleanup.push(x, ys, yd);
      expect(ys.shape).toEqual(mode === 'sum' ? [3, 5, 3] : [3, 5, 2, 3]);
      expect(maxAbsDiff(ys, yd)).toBeLessThan(1e-5);
      expect(sparse.lastRouting!.indices.arraySync()).toEqual(dense.lastRouting!.indices.arraySync());
      // Every expert is used, so the comparison covers all of them.
      expect(new Set(sparse.lastRouting!.indices.dataSync()).size).toBe(4);
      const gs = weightGrads(sparse, () => projectedSum(sparse.apply(x) as tf.Tensor));
      const gd = weightGrads(dense, () => projectedSum(dense.apply(x) as tf.Tensor));
      cleanup.push([...gs.values()], [...gd.values()]);
      for (const [name, g] of gs) expect(maxAbsDiff(g, gd.get(name)!), name).toBeLessThan(1e-4);
      const [dxs, dxd] = [sparse, dense].map((l) =>
        tf.grad((a: tf.Tensor) => projectedSum(l.apply(a) as tf.Tensor))(x),
      );
      cleanup.push(dxs!, dxd!);
      expect(maxAbsDiff(dxs!, dxd!)).toBeLessThan(1e-4);
      sparse.dispose();
      dense.dispose();
    });
  }

  it('input gradient matches central differences (routing replayed)', () => {
    const layer = built({ numExperts: 3, k: 2, hiddenSizes: [4], mode: 'slots' }, [5, 3], 9);
    const x = randomTensor([5, 3], 13);
    layer.apply(x);
    layer.setRoutingOverride(layer.lastRouting!.indices);
    const r = gradCheck((a) => layer.apply(a) as tf.Tensor, [x], { eps: 1e-2, maxChecks: 15 });
    cleanup.push(x);
    expect(r.maxRelError[0]).toBeLessThan(2e-2);
    layer.dispose();
  });

  it("'slots' mode orders each token's slots by ascending expert id, whatever the override order", () => {
    const layer = built({ numExperts: 4, k: 3, hiddenSizes: [4], mode: 'slots' }, [3, 4], 3);
    const x = randomTensor([3, 4], 14);
    layer.setRoutingOverride(
      int2d([
        [3, 0, 2],
        [1, 2, 0],
        [2, 3, 1],
      ]),
    );
    const y1 = layer.apply(x) as tf.Tensor;
    expect(layer.lastRouting!.indices.arraySync()).toEqual([
      [0, 2, 3],
      [0, 1, 2],
      [1, 2, 3],
    ]);
    layer.setRoutingOverride(
      int2d([
        [0, 2, 3],
        [0, 1, 2],
        [3, 2, 1],
      ]),
    );
    const y2 = layer.apply(x) as tf.Tensor;
    cleanup.push(x, y1, y2);
    expect(maxAbsDiff(y1, y2)).toBe(0);
    // Slot 0 of token 0 is expert 0 weighted by its gate: compare with an E=1 layer holding expert 0's weights.
    const gate0 = layer.lastRouting!.gates.arraySync()[0]![0]!;
    const single = new MixtureOfExperts({ numExperts: 1, k: 1, hiddenSizes: [4] });
    buildWith(single, [1, 4]);
    single.weights.forEach((w) => {
      const full = weightValue(layer, w.originalName.split('/').pop()!);
      // Expert-major stacks [E, ...] take row 0; w_gate [d, E] takes column 0; w_atten_gate [E, E] takes [0, 0].
      const size = w.shape as number[];
      const first = tf.slice(
        full,
        full.shape.map(() => 0),
        size,
      );
      w.write(first);
      first.dispose();
    });
    const one = single.apply(tf.slice(x, [0, 0], [1, 4])) as tf.Tensor;
    const slot0 = tf.slice(y1, [0, 0, 0], [1, 1, 4]);
    cleanup.push(one, slot0);
    expect(maxAbsDiff(tf.mul(tf.reshape(one, [4]), gate0 * (1 + 1e-6)), tf.reshape(slot0, [4]))).toBeLessThan(1e-5);
    layer.dispose();
    single.dispose();
  });

  it('routing, gates and aux losses match an independent float64 implementation of the reference formulas', () => {
    for (const clamp of [10, 0.2]) {
      const layer = built({ numExperts: 5, k: 2, hiddenSizes: [3], logitClamp: clamp }, [7, 6], 4);
      const x = randomTensor([7, 6], 15, -3, 3);
      layer.apply(x);
      const logits = referenceLogits(x.dataSync(), weightValue(layer, 'w_gate').dataSync(), 7, 6, 5, clamp);
      const ref = referenceRouter(logits, 7, 5, 2);
      const aux = layer.lastAux!;
      expect(layer.lastRouting!.indices.arraySync()).toEqual(ref.indices);
      expect(maxAbsDiff(layer.lastRouting!.gates, ref.gates.flat())).toBeLessThan(1e-6);
      expect(Math.abs(aux.cv.dataSync()[0]! - ref.cv)).toBeLessThan(1e-5);
      expect(Math.abs(aux.switch.dataSync()[0]! - ref.switch)).toBeLessThan(1e-5);
      expect(Math.abs(aux.z.dataSync()[0]! - ref.z)).toBeLessThan(1e-5);
      expect(Math.abs(aux.total.dataSync()[0]! - ref.total)).toBeLessThan(1e-6);
      cleanup.push(x);
      layer.dispose();
    }
  });

  it('auxWeights weight the total; E=1 has cv = 0', () => {
    const layer = built({ numExperts: 3, k: 1, hiddenSizes: [3], auxWeights: { cv: 1, switch: 2, z: 0 } }, [4, 3]);
    const x = randomTensor([4, 3], 16);
    layer.apply(x);
    const a = layer.lastAux!;
    const [cv, sw, z, total] = [a.cv, a.switch, a.z, a.total].map((t) => t.dataSync()[0]!);
    expect(total).toBeCloseTo(cv! + 2 * sw!, 5);
    expect(z).toBeGreaterThan(0);
    const one = built({ numExperts: 1, k: 1, hiddenSizes: [3] }, [4, 3]);
    one.apply(x);
    expect(one.lastAux!.cv.dataSync()[0]).toBe(0);
    cleanup.push(x);
    layer.dispose();
    one.dispose();
  });

  it('sampleTopk samples the last slot in training only; noisy gating trains w_noise and is off at inference', () => {
    const layer = built({ numExperts: 4, k: 2, hiddenSizes: [3], sampleTopk: 1, seed: 3 }, [64, 3]);
    const x = randomTensor([64, 3], 17, -2, 2);
    layer.apply(x);
    const top = layer.lastRouting!.indices.arraySync() as number[][];
    layer.apply(x, { training: true });
    const sampled = layer.lastRouting!.indices.arraySync() as number[][];
    expect(sampled.map((r) => r[0])).toEqual(top.map((r) => r[0]));
    expect(sampled.every((r) => r[0] !== r[1])).toBe(true);
    expect(sampled.some((r, i) => r[1] !== top[i]![1])).toBe(true);

    const noisy = built({ numExperts: 4, k: 2, hiddenSizes: [3], noisyGating: true, seed: 4 }, [64, 3]);
    const y1 = noisy.apply(x) as tf.Tensor;
    const y2 = noisy.apply(x) as tf.Tensor;
    const yt = noisy.apply(x, { training: true }) as tf.Tensor;
    cleanup.push(x, y1, y2, yt);
    expect(maxAbsDiff(y1, y2)).toBe(0);
    expect(maxAbsDiff(y1, yt)).toBeGreaterThan(1e-4);
    const g = weightGrads(noisy, () =>
      tf.add(projectedSum(noisy.apply(x, { training: true }) as tf.Tensor), noisy.lastAux!.total),
    );
    cleanup.push([...g.values()]);
    expect(maxAbsDiff(g.get('w_noise')!, tf.zerosLike(g.get('w_noise')!))).toBeGreaterThan(1e-6);
    layer.dispose();
    noisy.dispose();
  });

  it('creates the reference weight names; w_atten_gate is non-trainable and only with referenceCompat', () => {
    const layer = new MixtureOfExperts({ numExperts: 3, k: 2, hiddenSizes: [256, 512, 256], referenceCompat: true });
    buildWith(layer, [1, 2, 3, 128]);
    const names = (ws: { originalName: string }[]) => ws.map((w) => w.originalName.split('/').pop()).sort();
    expect(names(layer.trainableWeights)).toEqual(
      [
        'w_gate',
        ...[0, 1, 2, 3].flatMap((i) => [`experts.layers.${i}.weight`, `experts.layers.${i}.bias`]),
        'output_experts.layers.0.weight',
        'output_experts.layers.0.bias',
      ].sort(),
    );
    expect(names(layer.nonTrainableWeights)).toEqual(['w_atten_gate']);
    expect(weightValue(layer, 'experts.layers.3.weight').shape).toEqual([3, 256, 128]);
    // referenceCompat defaults to off: no never-used weights unless asked for (MASRNet asks, for its checkpoints).
    const lean = new MixtureOfExperts({
      numExperts: 3,
      k: 2,
      useBias: false,
      outputProjection: false,
    });
    buildWith(lean, [4, 8]);
    expect(names(lean.weights)).toEqual([
      'experts.layers.0.weight',
      'experts.layers.1.weight',
      'experts.layers.2.weight',
      'w_gate',
    ]);
    expect(lean.computeOutputShape([null, 4, 8])).toEqual([null, 4, 8]);
    layer.dispose();
    lean.dispose();
  });

  it('keeps only the latest aux/routing tensors: no leaks over repeated calls, released on dispose', () => {
    const layer = built({ numExperts: 3, k: 2, hiddenSizes: [4] }, [6, 3]);
    const x = randomTensor([6, 3], 18);
    const run = () => tf.dispose(layer.apply(x) as tf.Tensor);
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    const weights = layer.weights.length;
    layer.dispose();
    // The layer's weights and its 6 kept tensors (4 aux + indices + gates) are gone.
    expect(tf.memory().numTensors).toBe(before - weights - 6);
    x.dispose();
  });

  it('throws clear errors', () => {
    expect(() => new MixtureOfExperts({ numExperts: 2, k: 3 })).toThrow(/k \(3\) must not exceed numExperts \(2\)/);
    expect(() => new MixtureOfExperts({ numExperts: 0, k: 1 })).toThrow(/numExperts must be a positive integer/);
    expect(() => new MixtureOfExperts({ numExperts: 2, k: 1, hiddenSizes: [4, 0] })).toThrow(/hiddenSizes\[1\]/);
    expect(() => new MixtureOfExperts({ numExperts: 2, k: 1, sampleTopk: 2 })).toThrow(/sampleTopk/);
    expect(() => new MixtureOfExperts({ numExperts: 2, k: 1, mode: 'merge' as 'sum' })).toThrow(/mode must be one of/);
    const layer = built({ numExperts: 3, k: 2, hiddenSizes: [4] }, [2, 5]);
    const bad = tf.zeros([2, 4]);
    const vec = tf.zeros([5]);
    const x = tf.zeros([2, 5]);
    cleanup.push(bad, vec, x);
    expect(() => layer.apply(bad)).toThrow(/expected input \[\.\.\., 5\]/);
    expect(() => layer.apply(vec)).toThrow(/rank >= 2/);
    expect(() => layer.setRoutingOverride(int2d([[0, 1, 2]]))).toThrow(/\[N, k=2\]/);
    expect(() => layer.setRoutingOverride(int2d([[0, 3]]))).toThrow(/integers in \[0, 3\)/);
    layer.setRoutingOverride(int2d([[0, 1]]));
    expect(() => layer.apply(x)).toThrow(/override has 1 rows but this call routes 2 tokens/);
    layer.dispose();
  });
});
