import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { AdamW, namedGradients } from '../../src/index';
import { clipByGlobalNorm, MASRNet, type MASRNetOverrides } from '../../src/models';
import { TINY_MODEL } from '../cli/helpers';

/** PyTorch AdamW on plain numbers (float64), the reference the implementation must follow. */
function referenceAdamW(p: number[], grads: number[][], lrs: number[], wd: number): number[] {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, t0) => {
    const t = t0 + 1;
    const lr = lrs[t0]!;
    for (let i = 0; i < p.length; i++) {
      p[i]! *= 1 - lr * wd;
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - b2 ** t) + eps;
      p[i]! -= (lr / (1 - b1 ** t)) * (m[i]! / denom);
    }
  });
  return p;
}

/** Apply a list of gradient arrays to `x`, one update each, at the given learning rates. */
function run(opt: AdamW, x: tf.Variable, grads: number[][], lrs: number[]): void {
  grads.forEach((g, i) => {
    const gt = tf.tensor1d(g);
    opt.learningRate = lrs[i]!;
    opt.applyGradients({ [x.name]: gt });
    gt.dispose();
  });
}

describe(`AdamW (${tf.getBackend()})`, () => {
  it('is a tf.Optimizer registered with tf.serialization; its config round-trips', () => {
    const opt = new AdamW({ learningRate: 3e-4, weightDecay: 0.05, beta2: 0.99 });
    expect(opt).toBeInstanceOf(tf.Optimizer);
    expect(opt.getClassName()).toBe('MasrAdamW');
    const cls = tf.serialization.SerializationMap.getMap().classNameMap['MasrAdamW'];
    expect(cls).toBeDefined();
    const copy = cls![1](cls![0], opt.getConfig()) as AdamW;
    expect(copy).toBeInstanceOf(AdamW);
    expect(copy.getConfig()).toEqual({ learningRate: 3e-4, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.05 });
    expect(() => new AdamW({ weightDecay: -1 })).toThrow(/weightDecay must be a finite number >= 0, got -1/);
  });

  it('minimize on a quadratic: the first step is the hand-computed AdamW update, later ones follow PyTorch', () => {
    const before = tf.memory().numTensors;
    const x = tf.tidy(() => tf.variable(tf.tensor1d([1, -2])));
    const opt = new AdamW({ learningRate: 0.1, weightDecay: 0.01 });
    const loss = () => tf.sum(tf.square(x)) as tf.Scalar; // gradient 2x
    opt.minimize(loss);
    // Step 1: m/(1-β1) = g and √v/√(1-β2) = |g|, so p ← p·(1 − lr·wd) − lr·g/(|g|+ε):
    // 1·0.999 − 0.1 = 0.899 and −2·0.999 + 0.1 = −1.898.
    const first = Array.from(x.dataSync());
    expect(first[0]).toBeCloseTo(0.899, 6);
    expect(first[1]).toBeCloseTo(-1.898, 6);
    // Four more steps against the float64 reference, each with the gradient 2x of the current point.
    const p = [1, -2];
    const ref = { p: [...p], grads: [] as number[][] };
    ref.grads.push(p.map((v) => 2 * v));
    let cur = referenceAdamW([...p], ref.grads, [0.1], 0.01);
    for (let s = 0; s < 4; s++) {
      opt.minimize(loss);
      ref.grads.push(cur.map((v) => 2 * v));
      cur = referenceAdamW(
        [...p],
        ref.grads,
        ref.grads.map(() => 0.1),
        0.01,
      );
    }
    Array.from(x.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(cur[i]!, 5));
    expect(opt.iterations).toBe(5);
    opt.dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('matches PyTorch AdamW with a changing learning rate; a variable without a gradient keeps its moments', () => {
    const start = [0.5, -1.25, 2, 0.01];
    const grads = [
      [0.1, -0.2, 0.3, 0],
      [-0.05, 0.4, 0.1, 1e-3],
      [0.2, 0.2, -0.6, -0.01],
    ];
    const lrs = [1e-2, 5e-3, 2e-3];
    const x = tf.variable(tf.tensor1d(start));
    const frozen = tf.variable(tf.tensor1d([3]));
    const opt = new AdamW({ weightDecay: 0.1 });
    run(opt, x, grads, lrs);
    opt.applyGradients([{ name: frozen.name, tensor: null as unknown as tf.Tensor }]);
    const expected = referenceAdamW([...start], grads, lrs, 0.1);
    Array.from(x.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    expect(frozen.dataSync()[0]).toBe(3);
    expect(opt.iterations).toBe(4);
    expect(() => opt.applyGradients({ nope: x })).toThrow(/no variable named 'nope' is registered/);
    opt.dispose();
    tf.dispose([x, frozen]);
  });

  it('its state round-trips through getWeights/setWeights and getState/setState: the next update is identical', async () => {
    const before = tf.memory().numTensors;
    const x = tf.tidy(() => tf.variable(tf.tensor1d([0.5, -1.25, 2])));
    const opt = new AdamW({ learningRate: 1e-2, weightDecay: 0.1 });
    run(
      opt,
      x,
      [
        [0.1, -0.2, 0.3],
        [-0.05, 0.4, 0.1],
      ],
      [1e-2, 1e-2],
    );
    const weights = await opt.getWeights();
    expect(weights.map((w) => w.name)).toEqual(['iter', `${x.name}/m`, `${x.name}/v`]);
    const state = opt.getState([x]);
    const y = tf.tidy(() => tf.variable(x.clone()));
    const z = tf.tidy(() => tf.variable(x.clone()));
    // A restored optimizer keeps moments by variable name: restore them under y's and z's names.
    const opt2 = new AdamW(opt.getConfig());
    await opt2.setWeights(weights.map((w) => ({ ...w, name: w.name.replace(x.name, y.name) })));
    tf.dispose(weights[0]!.tensor); // the 'iter' scalar is a fresh tensor
    const opt3 = new AdamW(opt.getConfig());
    opt3.setState(state, [z]);
    expect(opt2.iterations).toBe(2);
    expect(opt3.iterations).toBe(2);
    const g = tf.tensor1d([0.3, 0.1, -0.2]);
    opt.applyGradients({ [x.name]: g });
    opt2.applyGradients({ [y.name]: g });
    opt3.applyGradients({ [z.name]: g });
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(Array.from(z.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(() => opt3.setState({ ...state, m: [] }, [z])).toThrow(/state has 0 moments, the model has 1 variables/);
    expect(opt.allFinite([x])).toBe(true);
    tf.dispose([g, x, y, z]);
    [opt, opt2, opt3].forEach((o) => o.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains a tfjs-layers model with compile + fit', async () => {
    const xs = tf.tensor2d([[0], [1], [2], [3]]);
    const ys = tf.tensor2d([[1], [3], [5], [7]]);
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [1] })] });
    const opt = new AdamW({ learningRate: 0.1, weightDecay: 0 });
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const h = await model.fit(xs, ys, { epochs: 30, batchSize: 4, verbose: 0 });
    const losses = h.history.loss as number[];
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 4);
    expect(opt.iterations).toBe(30);
    model.dispose();
    opt.dispose();
    tf.dispose([xs, ys]);
  });

  it('drives MASRNet.trainStep and takes the NamedTensorMap of batchGradients', () => {
    const model = MASRNet.create('lolv1', TINY_MODEL as MASRNetOverrides);
    const input = tf.randomUniform([1, 16, 16, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const target = tf.randomUniform([1, 16, 16, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    model.enhance(input).dispose(); // builds the layers
    const opt = new AdamW({ learningRate: 1e-3 });
    const before = tf.memory().numTensors;
    const first = model.trainStep(opt, input, target, { clipNorm: 1 });
    model.trainStep(opt, input, target, { clipNorm: 1 });
    expect(Number.isFinite(first.loss)).toBe(true);
    expect(opt.iterations).toBe(2);
    // Moments were created in the first step; nothing else stays behind.
    const moments = 2 * model.trainableVariables.length;
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + moments);
    opt.dispose();
    tf.dispose([input, target]);
    model.dispose();
  });

  it('namedGradients + clipByGlobalNorm: clips like clip_grad_norm_ and names the gradients for applyGradients', () => {
    const a = tf.tensor1d([3, 0]);
    const b = tf.tensor1d([0, 4]);
    const r = clipByGlobalNorm([a, null, b], 1);
    expect(r.norm).toBeCloseTo(5, 6);
    expect(r.clipped).toBe(true);
    expect(Array.from(r.grads[0]!.dataSync())[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    expect(r.grads[1]).toBeNull();
    const vars = [tf.variable(tf.zeros([2])), tf.variable(tf.zeros([1])), tf.variable(tf.zeros([2]))];
    expect(Object.keys(namedGradients(vars, r.grads))).toEqual([vars[0]!.name, vars[2]!.name]);
    const small = clipByGlobalNorm([a, b], 10);
    expect(small.clipped).toBe(false);
    expect(small.grads[0]).toBe(a);
    tf.dispose([a, b, r.grads[0]!, r.grads[2]!, ...vars]);
  });
});
