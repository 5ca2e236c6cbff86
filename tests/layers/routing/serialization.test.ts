import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { MixtureOfAttention, MixtureOfExperts } from '../../../src/layers/exports-routing';
import { maxAbsDiff, randomTensor } from '../../helpers/gradcheck';
import { runLayerTest } from '../../helpers/layer-test';

describe(`routing layer serialization (${tf.getBackend()})`, () => {
  it('getConfig / fromConfig round trip with non-default options', () => {
    const layers = [
      new MixtureOfExperts({
        numExperts: 5,
        k: 3,
        hiddenSizes: [7],
        outputDim: 6,
        outputProjection: false,
        useBias: false,
        mode: 'slots',
        logitClamp: null,
        auxWeights: { z: 0.5 },
        noisyGating: true,
        sampleTopk: 1,
        referenceCompat: false,
        dispatch: 'dense',
        seed: 9,
        name: 'my_moe',
      }),
      new MixtureOfAttention({
        numExperts: 4,
        k: 3,
        headDim: 5,
        routing: 'attentionGate',
        sampleSecondExpert: 'always',
        attentionDropout: 0.2,
        positionBias: 'aligned',
        numPositions: 4,
        logitClamp: 3,
        auxWeights: { cv: 1, switch: 0, z: 0 },
        referenceCompat: false,
        name: 'my_moa',
      }),
    ];
    for (const layer of layers) {
      const config = layer.getConfig();
      const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap[layer.getClassName()]!;
      expect(cls).toBe(layer.constructor);
      const copy = fromConfig(cls, config) as tfl.layers.Layer;
      expect(copy.constructor).toBe(layer.constructor);
      expect(copy.getConfig()).toEqual(config);
      expect(JSON.parse(JSON.stringify(config))).toEqual(config);
    }
    expect(layers[0]!.getConfig()).toMatchObject({ logitClamp: null, auxWeights: { cv: 0.05, switch: 0.01, z: 0.5 } });
    expect(MixtureOfExperts.className).toBe('MasrMixtureOfExperts');
    expect(MixtureOfAttention.className).toBe('MasrMixtureOfAttention');
  });

  it('a saved and reloaded tf.model reproduces its outputs (weights and config round trip)', async () => {
    const query = tfl.input({ shape: [2, 3, 4] });
    const kv = tfl.input({ shape: [2, 24, 4] });
    // referenceCompat: its non-trainable weights must survive the round trip too.
    const moa = new MixtureOfAttention({
      numExperts: 3,
      k: 2,
      headDim: 4,
      positionBias: 'reference',
      referenceCompat: true,
    });
    const moe = new MixtureOfExperts({ numExperts: 3, k: 2, hiddenSizes: [5], mode: 'slots' });
    const out = moe.apply(moa.apply([query, kv])) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: [query, kv], outputs: out });
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const names = saved!.weightSpecs!.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.some((n) => n.endsWith('/q_proj.moe.w_atten_gate'))).toBe(true);
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    const xs = [randomTensor([2, 2, 3, 4], 1), randomTensor([2, 2, 24, 4], 2)];
    const a = model.predict(xs) as tf.Tensor;
    const b = loaded.predict(xs) as tf.Tensor;
    expect(a.shape).toEqual([2, 2, 3, 2, 4]);
    expect(maxAbsDiff(a, b)).toBe(0);
    tf.dispose([xs, a, b]);
    model.dispose();
    loaded.dispose();
  });
});

describe(`routing layers: the layer contract (${tf.getBackend()})`, () => {
  it('MixtureOfExperts, mode sum', async () => {
    await runLayerTest({
      make: () => new MixtureOfExperts({ numExperts: 3, k: 2, hiddenSizes: [5], seed: 1 }),
      inputShapes: [[2, 6, 4]],
      trainableWeights: 7, // w_gate, 2 expert layers and the output experts, each weight and bias
      nonTrainableWeights: 0,
      outputShape: [2, 6, 4],
    });
  });

  it('MixtureOfExperts, mode slots, noisy gating, referenceCompat', async () => {
    await runLayerTest({
      make: () =>
        new MixtureOfExperts({
          numExperts: 3,
          k: 2,
          hiddenSizes: [5],
          mode: 'slots',
          noisyGating: true,
          referenceCompat: true,
          seed: 2,
        }),
      inputShapes: [[2, 6, 4]],
      trainableWeights: 8, // as above, and w_noise
      nonTrainableWeights: 1, // w_atten_gate
      outputShape: [2, 6, 2, 4],
    });
  });

  it('MixtureOfAttention, router with position bias', async () => {
    await runLayerTest({
      make: () => new MixtureOfAttention({ numExperts: 3, k: 2, headDim: 4, positionBias: 'reference', seed: 3 }),
      inputShapes: [
        [2, 2, 3, 4],
        [2, 2, 24, 4],
      ],
      trainableWeights: 8, // query and output experts, k/v projections with biases, w_gate, pos_bias
      nonTrainableWeights: 0,
      outputShape: [2, 2, 3, 4],
    });
  });

  it('MixtureOfAttention, attention gate, referenceCompat', async () => {
    await runLayerTest({
      make: () =>
        new MixtureOfAttention({ numExperts: 3, k: 2, headDim: 4, routing: 'attentionGate', referenceCompat: true }),
      inputShapes: [
        [2, 2, 3, 4],
        [2, 2, 5, 4],
        [2, 2, 5, 4],
        [2, 2, 3, 4],
      ],
      trainableWeights: 6, // no router of its own
      nonTrainableWeights: 2, // the reference's unused w_gate and w_atten_gate
      outputShape: [2, 2, 3, 4],
    });
  });
});
