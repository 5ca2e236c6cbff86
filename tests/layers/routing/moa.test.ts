import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { MixtureOfAttention, type MixtureOfAttentionOptions } from '../../../src/layers/exports-routing';
import { maxAbsDiff, randomTensor } from '../../helpers/gradcheck';
import {
  int2d,
  projectedSum,
  randomizeWeights,
  referenceLogits,
  referenceMoa,
  referenceRouter,
  weightGrads,
  weightValue,
} from './helpers';

const cleanup: tf.TensorContainer[] = [];
afterEach(() => {
  tf.dispose(cleanup.splice(0));
});

function built(opts: MixtureOfAttentionOptions, inputs: tf.Tensor[], seed = 5): MixtureOfAttention {
  const layer = new MixtureOfAttention(opts);
  tf.dispose(layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as tf.Tensor);
  randomizeWeights(layer, seed);
  return layer;
}

const data = (layer: MixtureOfAttention, name: string) => weightValue(layer, name).dataSync();

describe(`MixtureOfAttention (${tf.getBackend()})`, () => {
  it('E=1 equals single-head cross-attention with W_q, W_o (forward and weight gradients)', () => {
    const q = randomTensor([2, 3, 2, 4], 1);
    const kv = randomTensor([2, 3, 5, 4], 2);
    const layer = built({ numExperts: 1, k: 1, headDim: 3 }, [q, kv]);
    const w = (name: string) => weightValue(layer, name);
    const attention = () =>
      tf.tidy(() => {
        const wq = tf.reshape(w('q_proj.moe.experts.layers.0.weight'), [4, 3]);
        const wo = tf.reshape(w('q_proj.moe.output_experts.layers.0.weight'), [3, 4]);
        const qq = tf.reshape(tf.mul(tf.matMul(tf.reshape(q, [12, 4]), wq), 1 / Math.sqrt(3)), [6, 2, 3]);
        const kk = tf.reshape(
          tf.add(tf.matMul(tf.reshape(kv, [30, 4]), w('k_proj.weight') as tf.Tensor2D), w('k_proj.bias')),
          [6, 5, 3],
        );
        const vv = tf.reshape(
          tf.add(tf.matMul(tf.reshape(kv, [30, 4]), w('v_proj.weight') as tf.Tensor2D), w('v_proj.bias')),
          [6, 5, 3],
        );
        const p = tf.softmax(tf.matMul(qq as tf.Tensor3D, kk as tf.Tensor3D, false, true));
        const a = tf.reshape(tf.matMul(p as tf.Tensor3D, vv as tf.Tensor3D), [12, 3]);
        return tf.reshape(tf.mul(tf.matMul(a, wo), 1 / (1 + 1e-6)), [2, 3, 2, 4]);
      });
    const y = layer.apply([q, kv]) as tf.Tensor;
    const ref = attention();
    cleanup.push(q, kv, y, ref);
    expect(y.shape).toEqual([2, 3, 2, 4]);
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5);
    const gm = weightGrads(layer, () => projectedSum(layer.apply([q, kv]) as tf.Tensor));
    const ga = weightGrads(layer, () => projectedSum(attention()));
    cleanup.push([...gm.values()], [...ga.values()]);
    for (const [name, g] of gm) {
      if (name === 'q_proj.moe.w_gate') continue; // constant softmax over one expert
      expect(maxAbsDiff(g, ga.get(name)!), name).toBeLessThan(1e-4);
      // q · k_bias is the same for every source token of a query, so softmax cancels it: its gradient is 0 (also in
      // the reference).
      if (name !== 'k_proj.bias') expect(maxAbsDiff(g, tf.zerosLike(g)), name).toBeGreaterThan(1e-4);
    }
    layer.dispose();
  });

  for (const layout of ['reference', 'aligned'] as const) {
    it(`k=2 of E=3 heads with position bias '${layout}' match a float64 loop implementation`, () => {
      const [g, tq, tk, d, h] = [2, 2, 6, 4, 3];
      const q = randomTensor([1, g, tq, d], 3);
      const kv = randomTensor([1, g, tk, d], 4);
      const v = randomTensor([1, g, tk, d], 5);
      const opts = { numExperts: 3, k: 2, headDim: h, positionBias: layout, numPositions: 2 };
      const layer = built(opts, [q, kv, v]);
      const indices = [
        [2, 0],
        [1, 2],
        [0, 1],
        [2, 1],
      ];
      layer.setRoutingOverride(int2d(indices));
      const y = layer.apply([q, kv, v]) as tf.Tensor;
      cleanup.push(q, kv, v, y);
      const logits = referenceLogits(q.dataSync(), data(layer, 'q_proj.moe.w_gate'), g * tq, d, 3);
      const ref = referenceRouter(logits, g * tq, 3, 2, undefined, indices.flat());
      const expected = referenceMoa({
        query: q.dataSync(),
        key: kv.dataSync(),
        value: v.dataSync(),
        g,
        tq,
        tk,
        d,
        h,
        k: 2,
        indices,
        gates: ref.gates,
        wq: data(layer, 'q_proj.moe.experts.layers.0.weight'),
        wo: data(layer, 'q_proj.moe.output_experts.layers.0.weight'),
        wk: data(layer, 'k_proj.weight'),
        bk: data(layer, 'k_proj.bias'),
        wv: data(layer, 'v_proj.weight'),
        bv: data(layer, 'v_proj.bias'),
        posBias: {
          w: data(layer, 'pos_bias.weight'),
          row: layout === 'reference' ? (c) => Math.floor(c / 3) : (c) => c % 2,
        },
      });
      expect(maxAbsDiff(y, expected)).toBeLessThan(1e-5);
      expect(maxAbsDiff(layer.lastRouting!.gates, ref.gates.flat())).toBeLessThan(1e-6);
      expect(Math.abs(layer.lastAux!.total.dataSync()[0]! - ref.total)).toBeLessThan(1e-6);
      layer.dispose();
    });
  }

  it('attention-gate routing: logits q·key/√d with NaN -> 0 and ±inf -> ±20, no clamp', () => {
    const d = 4;
    const q = tf.tensor4d([1, 0.5, 2, 1, 3, 1, 1, 1], [1, 2, 1, d]);
    const kv = randomTensor([1, 2, 3, d], 6);
    // Window 0: expert keys give +inf, NaN, -inf; window 1: finite scores up to 30 (no ±10 clamp).
    const gk = tf.tensor4d(
      [Infinity, 0, 0, 0, NaN, 0, 0, 0, -Infinity, 0, 0, 0, 20, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0],
      [1, 2, 3, d],
    );
    const layer = built({ numExperts: 3, k: 2, headDim: 3, routing: 'attentionGate' }, [q, kv, kv, gk]);
    const y = layer.apply([q, kv, kv, gk]) as tf.Tensor;
    cleanup.push(q, kv, gk, y);
    const logits = [20, 0, -20, 30, 10, 0];
    const ref = referenceRouter(logits, 2, 3, 2);
    expect(layer.lastRouting!.indices.arraySync()).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(maxAbsDiff(layer.lastRouting!.gates, ref.gates.flat())).toBeLessThan(1e-6);
    expect(Math.abs(layer.lastAux!.z.dataSync()[0]! - ref.z)).toBeLessThan(1e-3);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    // An attention-gated layer has no router weights; with referenceCompat it keeps the reference's w_gate and
    // w_atten_gate for checkpoints only: non-trainable.
    expect(layer.nonTrainableWeights).toEqual([]);
    const compat = built({ numExperts: 3, k: 2, headDim: 3, routing: 'attentionGate', referenceCompat: true }, [
      q,
      kv,
      kv,
      gk,
    ]);
    expect(compat.nonTrainableWeights.map((w) => w.originalName.split('/').pop()).sort()).toEqual([
      'q_proj.moe.w_atten_gate',
      'q_proj.moe.w_gate',
    ]);
    expect(compat.trainableWeights.length).toBe(layer.trainableWeights.length);
    layer.dispose();
    compat.dispose();
  });

  it("samples the last slot ∝ prob + 1e-6 among the non-argmax experts ('always'), reproducibly from a seed", () => {
    const n = 3000;
    const q = tf.tile(randomTensor([1, 1, 1, 4], 7, -2, 2), [1, n, 1, 1]); // n windows of one token;
    const make = () => built({ numExperts: 3, k: 2, headDim: 2, sampleSecondExpert: 'always', seed: 42 }, [q], 8);
    const [a, b] = [make(), make()];
    cleanup.push(q);
    tf.dispose([a.apply(q) as tf.Tensor, b.apply(q) as tf.Tensor]);
    const idx = a.lastRouting!.indices.arraySync() as number[][];
    expect(idx).toEqual(b.lastRouting!.indices.arraySync());
    const logits = referenceLogits(q.dataSync().slice(0, 4), data(a, 'q_proj.moe.w_gate'), 1, 4, 3);
    const probs = referenceRouter(logits, 1, 3, 3).indices[0]!; // experts by descending prob
    const p = logits.map(Math.exp);
    const argmax = probs[0]!;
    expect(idx.every((r) => r[0] === argmax)).toBe(true);
    expect(idx.every((r) => r[1] !== argmax)).toBe(true);
    const other = probs[1]!;
    const expected =
      (p[other]! + 1e-6 * p.reduce((s, v) => s + v)) / (p[other]! + p[probs[2]!]! + 2e-6 * p.reduce((s, v) => s + v));
    const freq = idx.filter((r) => r[1] === other).length / n;
    expect(Math.abs(freq - expected)).toBeLessThan(4 * Math.sqrt((expected * (1 - expected)) / n) + 1e-3);
    a.dispose();
    b.dispose();
  });

  it("'train' sampling and attention dropout apply in training only; inference is deterministic top-k", () => {
    const q = randomTensor([1, 4, 3, 4], 9);
    const layer = built({ numExperts: 3, k: 2, headDim: 2, attentionDropout: 0.5, seed: 1 }, [q]);
    const e1 = layer.apply(q) as tf.Tensor;
    const top = layer.lastRouting!.indices.arraySync();
    const e2 = layer.apply(q) as tf.Tensor;
    const logits = referenceLogits(q.dataSync(), data(layer, 'q_proj.moe.w_gate'), 12, 4, 3);
    expect(top).toEqual(referenceRouter(logits, 12, 3, 2).indices);
    const t1 = layer.apply(q, { training: true }) as tf.Tensor;
    const noDrop = built({ numExperts: 3, k: 2, headDim: 2, attentionDropout: 0, sampleSecondExpert: 'never' }, [q]);
    layer.weights.forEach((w, i) => noDrop.weights[i]!.write(w.read()));
    const t2 = noDrop.apply(q, { training: true }) as tf.Tensor;
    cleanup.push(q, e1, e2, t1, t2);
    expect(maxAbsDiff(e1, e2)).toBe(0);
    expect(maxAbsDiff(e1, t1)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(e1, t2)).toBeLessThan(1e-6);
    expect(noDrop.lastRouting!.indices.arraySync()).toEqual(top);
    layer.dispose();
    noDrop.dispose();
  });

  it('creates the reference weight names and shapes (w_atten_gate only with referenceCompat)', () => {
    const q = tf.zeros([1, 2, 3, 8]);
    const nb = tf.zeros([1, 2, 24, 8]);
    const plain = built({ numExperts: 3, k: 2, headDim: 4, positionBias: 'reference' }, [q, nb]);
    expect(plain.nonTrainableWeights).toEqual([]);
    plain.dispose();
    const layer = built({ numExperts: 3, k: 2, headDim: 4, positionBias: 'reference', referenceCompat: true }, [q, nb]);
    cleanup.push(q, nb);
    const shapes = Object.fromEntries(layer.weights.map((w) => [w.originalName.split('/').pop(), w.shape]));
    expect(shapes).toEqual({
      'q_proj.moe.experts.layers.0.weight': [3, 8, 4],
      'q_proj.moe.output_experts.layers.0.weight': [3, 4, 8],
      'k_proj.weight': [8, 4],
      'k_proj.bias': [4],
      'v_proj.weight': [8, 4],
      'v_proj.bias': [4],
      'q_proj.moe.w_gate': [8, 3],
      'q_proj.moe.w_atten_gate': [3, 3],
      'pos_bias.weight': [8, 2],
    });
    expect(layer.nonTrainableWeights.map((w) => w.originalName.split('/').pop())).toEqual(['q_proj.moe.w_atten_gate']);
    expect(
      layer.computeOutputShape([
        [null, 2, 3, 8],
        [null, 2, 24, 8],
      ]),
    ).toEqual([null, 2, 3, 8]);
    layer.dispose();
  });

  it('no tensor leaks over repeated calls', () => {
    const q = randomTensor([1, 2, 3, 4], 10);
    const layer = built({ numExperts: 3, k: 2, headDim: 2 }, [q]);
    const run = () => tf.dispose(layer.apply(q, { training: true }) as tf.Tensor);
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    layer.dispose();
    q.dispose();
  });

  it('throws clear errors', () => {
    const mk = (o: Partial<MixtureOfAttentionOptions>) => () =>
      new MixtureOfAttention({ numExperts: 3, k: 2, headDim: 4, ...o });
    expect(mk({ k: 4 })).toThrow(/k \(4\) must not exceed numExperts \(3\)/);
    expect(mk({ headDim: 0 })).toThrow(/headDim must be a positive integer/);
    expect(mk({ attentionDropout: 1.5 })).toThrow(/attentionDropout/);
    expect(mk({ positionBias: 'x' as 'none' })).toThrow(/positionBias must be one of/);
    const q = tf.zeros([1, 2, 3, 4]);
    const layer = built({ numExperts: 3, k: 2, headDim: 2 }, [q]);
    const z = (s: number[]) => {
      const t = tf.zeros(s);
      cleanup.push(t);
      return t;
    };
    cleanup.push(q);
    expect(() => layer.apply(z([2, 3, 4]))).toThrow(/query must be \[B, P, Tq, d\], got \[2, 3, 4\]/);
    expect(() => layer.apply([q, z([2, 2, 5, 4])])).toThrow(
      /key \[2, 2, 5, 4\] must be \[B, P, Tk, d\] with B, P and d of the query/,
    );
    expect(() => layer.apply([q, z([1, 2, 5, 3])])).toThrow(/key .* must be \[B, P, Tk, d\]/);
    expect(() => layer.apply([q, z([1, 2, 5, 4]), z([1, 2, 6, 4])])).toThrow(/must have the same length Tk/);
    expect(() => layer.apply([q, q, q, q])).toThrow(/gateKeys only with routing 'attentionGate'/);
    expect(() => layer.apply(z([1, 2, 3, 5]))).toThrow(/query width 5 does not match the layer's d = 4/);
    const gated = new MixtureOfAttention({ numExperts: 3, k: 2, headDim: 2, routing: 'attentionGate' });
    expect(() => gated.apply([q, q, q])).toThrow(/expects \[query, key, value, gateKeys/);
    expect(() => gated.apply([q, q, q, z([1, 2, 2, 4])])).toThrow(/gateKeys \[1, 2, 2, 4\] must be \[B, P, E=3, d\]/);
    const ref = new MixtureOfAttention({ numExperts: 3, k: 2, headDim: 2, positionBias: 'reference' });
    expect(() => ref.apply([q, z([1, 2, 20, 4])])).toThrow(/Tk = 3 \* numPositions = 24/);
    layer.dispose();
  });
});
