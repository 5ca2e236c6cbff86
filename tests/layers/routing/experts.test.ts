// Pluggable experts: the gated-linear expert, its config round trip, sparse = dense (values and gradients).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, describe, expect, it } from 'vitest';
import { MixtureOfExperts, registerExpertType, type Expert } from '../../../src/index';
import { gelu } from '../../../src/ops';
import { maxAbsDiff, randomTensor } from '../../helpers/gradcheck';
import { runLayerTest } from '../../helpers/layer-test';
import { buildWith, projectedSum, randomizeWeights, weightGrads, weightValue } from './helpers';

const cleanup: tf.TensorContainer[] = [];
afterEach(() => {
  tf.dispose(cleanup.splice(0));
});

function gluMoe(extra: Partial<ConstructorParameters<typeof MixtureOfExperts>[0]> = {}): MixtureOfExperts {
  const layer = new MixtureOfExperts({
    numExperts: 3,
    k: 2,
    expert: { type: 'glu', hiddenSize: 5 },
    seed: 2,
    ...extra,
  });
  buildWith(layer, [6, 4]);
  randomizeWeights(layer, 7);
  return layer;
}

describe(`MixtureOfExperts experts (${tf.getBackend()})`, () => {
  it("'glu' expert: weights [E, ·, ·], and with E=1 the output is (GELU(x·Wg+bg) ⊙ (x·Wv+bv))·Wo+bo", () => {
    const layer = gluMoe({ numExperts: 1, k: 1 });
    expect(layer.weights.map((w) => [w.originalName.split('/').pop(), w.shape])).toEqual([
      ['w_gate', [4, 1]],
      ['glu_experts.gate.weight', [1, 4, 5]],
      ['glu_experts.gate.bias', [1, 5]],
      ['glu_experts.value.weight', [1, 4, 5]],
      ['glu_experts.value.bias', [1, 5]],
      ['glu_experts.out.weight', [1, 5, 4]],
      ['glu_experts.out.bias', [1, 4]],
    ]);
    const x = randomTensor([6, 4], 3);
    const y = layer.apply(x);
    const w = (n: string) => tf.squeeze(weightValue(layer, `glu_experts.${n}`), [0]);
    const want = tf.tidy(() => {
      const lin = (h: tf.Tensor, n: string) =>
        tf.add(tf.matMul(h as tf.Tensor2D, w(`${n}.weight`) as tf.Tensor2D), w(`${n}.bias`));
      const hidden = tf.mul(gelu(lin(x, 'gate')), lin(x, 'value'));
      return tf.mul(lin(hidden, 'out'), 1 / (1 + 1e-6)); // the single expert's gate
    });
    cleanup.push(x, y, want);
    expect(maxAbsDiff(y.dataSync(), want.dataSync())).toBeLessThan(1e-5);
  });

  it("'glu': sparse dispatch equals dense dispatch in values and in every weight's gradient", () => {
    const x = randomTensor([6, 4], 4);
    cleanup.push(x);
    const run = (dispatch: 'sparse' | 'dense') => {
      const layer = gluMoe({ dispatch });
      const y = layer.apply(x);
      const grads = weightGrads(layer, () => projectedSum(layer.apply(x)));
      cleanup.push(y, ...grads.values());
      return { y, grads };
    };
    const sparse = run('sparse');
    const dense = run('dense');
    expect(maxAbsDiff(sparse.y.dataSync(), dense.y.dataSync())).toBeLessThan(1e-5);
    expect([...sparse.grads.keys()]).toEqual([...dense.grads.keys()]);
    for (const [name, g] of sparse.grads) {
      expect(maxAbsDiff(g.dataSync(), dense.grads.get(name)!.dataSync()), name).toBeLessThan(1e-5);
      if (name.startsWith('glu_experts')) expect(tf.max(tf.abs(g)).dataSync()[0], name).toBeGreaterThan(0);
    }
  });

  it("'glu' MixtureOfExperts passes the layer contract (config, shapes, leaks, fit trains every expert weight)", async () => {
    await runLayerTest({
      make: () => new MixtureOfExperts({ numExperts: 2, k: 2, expert: { type: 'glu', hiddenSize: 3 }, seed: 1 }),
      inputShapes: [[2, 3, 4]],
      trainableWeights: 7,
      nonTrainableWeights: 0,
    });
  });

  it('the expert type is kept in getConfig (the default config has none) and survives fromConfig', () => {
    const layer = gluMoe();
    expect(layer.getConfig()['expert']).toEqual({ type: 'glu', hiddenSize: 5 });
    expect(new MixtureOfExperts({ numExperts: 2, k: 1 }).getConfig()).not.toHaveProperty('expert');
    const copy = MixtureOfExperts.fromConfig(MixtureOfExperts, layer.getConfig()) as MixtureOfExperts;
    buildWith(copy, [6, 4]);
    copy.setWeights(layer.getWeights());
    const x = randomTensor([6, 4], 5);
    const a = layer.apply(x);
    const b = copy.apply(x);
    cleanup.push(x, a, b);
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBe(0);
    // hiddenSize defaults to the layer's first hidden size.
    expect(
      new MixtureOfExperts({ numExperts: 2, k: 1, hiddenSizes: [7], expert: { type: 'glu' } }).getConfig()['expert'],
    ).toEqual({
      type: 'glu',
      hiddenSize: 7,
    });
    expect(() => new MixtureOfExperts({ numExperts: 2, k: 1, expert: { type: 'nope' } })).toThrow(
      /unknown expert type 'nope' \(registered: ffn, glu/,
    );
  });

  it('a registered expert type plugs in and trains inside tf.model + fit', async () => {
    // A 'scale' expert: y = x ⊙ s_e (one learned vector per expert).
    registerExpertType('test-scale', () => {
      let scale: tfl.LayerVariable;
      const expert: Expert = {
        build: (ctx) => {
          scale = ctx.addWeight('scale_experts.scale', [ctx.numExperts, ctx.inputDim], { normalStd: 1 });
        },
        forward: (rows, e) => tf.mul(rows, tf.squeeze(tf.slice(scale.read(), [e, 0], [1, -1]), [0])) as tf.Tensor2D,
        weights: () => [scale],
        getConfig: () => ({ type: 'test-scale' }),
      };
      return expert;
    });
    const input = tfl.input({ shape: [5, 3] });
    const moe = new MixtureOfExperts({ numExperts: 2, k: 1, expert: { type: 'test-scale' }, seed: 1 });
    const model = tfl.model({ inputs: input, outputs: moe.apply(input) });
    model.compile({ optimizer: tf.train.sgd(0.2), loss: 'meanSquaredError' });
    const x = randomTensor([4, 5, 3], 8);
    const t = tf.mul(x, 2);
    cleanup.push(x, t);
    const before = weightValue(moe, 'scale_experts.scale').dataSync().slice();
    const h = await model.fit(x, t, { epochs: 3, batchSize: 4, verbose: 0 });
    const loss = h.history['loss'] as number[];
    expect(loss[2]!).toBeLessThan(loss[0]!);
    expect(maxAbsDiff(weightValue(moe, 'scale_experts.scale').dataSync(), before)).toBeGreaterThan(1e-4);
    model.dispose();
  });
});
