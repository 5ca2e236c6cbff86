import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import {
  AntiCheckerboard,
  BoundaryAwareSmoothing,
  CoarseFineMap,
  EispGenerator,
  EnhancedFFN,
  IspDecoder,
  KVFeatureGenerator,
  LayerNorm,
  Linear,
  MapGenerator,
  MasrBlock,
  MultiScaleParamSmoother,
  NeighbourSearcher,
  PatchEmbedding,
  QKIspGenerator,
  WindowPartition,
} from '../../../src/layers/exports-blocks';
import { maxAbsDiff, randomTensor } from '../../helpers/gradcheck';
import { runLayerTest } from '../../helpers/layer-test';

interface Case {
  make: () => tfl.layers.Layer;
  inputs: number[][];
}

const cases: Record<string, Case> = {
  MasrPatchEmbedding: {
    make: () => new PatchEmbedding({ patchSize: 2, embedDim: 16, stemChannels: 6, groups: 4 }),
    inputs: [[2, 8, 6, 3]],
  },
  MasrWindowPartition: { make: () => new WindowPartition({ windowSize: 2 }), inputs: [[1, 4, 6, 5]] },
  MasrLinear: { make: () => new Linear({ units: 7 }), inputs: [[2, 3, 5]] },
  MasrLayerNorm: { make: () => new LayerNorm({ epsilon: 1e-5 }), inputs: [[2, 3, 6]] },
  MasrEispGenerator: { make: () => new EispGenerator({ hiddenDim: 12, outputDim: 5 }), inputs: [[2, 3, 4, 8]] },
  MasrQKIspGenerator: { make: () => new QKIspGenerator({ numHeads: 3 }), inputs: [[2, 5, 8]] },
  MasrKVFeatureGenerator: { make: () => new KVFeatureGenerator({}), inputs: [[2, 3, 4, 8]] },
  MasrNeighbourSearcher: { make: () => new NeighbourSearcher({}), inputs: [[2, 3, 4, 2, 5]] },
  MasrIspDecoder: {
    make: () => new IspDecoder({ hiddenSizes: [6, 4], outputDim: 9, outputBiasInit: 0.5 }),
    inputs: [[7, 8]],
  },
  MasrEnhancedFFN: { make: () => new EnhancedFFN({ hiddenDim: 4 }), inputs: [[1, 3, 4, 9]] },
  MasrAntiCheckerboard: { make: () => new AntiCheckerboard({ residualWeight: 0.3 }), inputs: [[1, 5, 6, 2]] },
  MasrMultiScaleParamSmoother: { make: () => new MultiScaleParamSmoother({}), inputs: [[1, 8, 9, 2]] },
  MasrBoundaryAwareSmoothing: { make: () => new BoundaryAwareSmoothing({}), inputs: [[1, 6, 7, 2]] },
  MasrCoarseFineMap: { make: () => new CoarseFineMap({ windowPixels: 2, channels: 3 }), inputs: [[1, 2, 3, 12]] },
  MasrMapGenerator: {
    make: () => new MapGenerator({ windowPixels: 4, channels: 2, paramSmoothing: true, paramSmootherPasses: 1 }),
    inputs: [[1, 2, 2, 32]],
  },
  MasrBlock: {
    make: () =>
      new MasrBlock({
        headDim: 4,
        moeHiddenSizes: [6],
        crossAttention: true,
        positionBias: 'reference',
        numPositions: 2,
      }),
    inputs: [
      [1, 2, 3, 8],
      [1, 2, 6, 8],
    ],
  },
};

function outputsOf(layer: tfl.layers.Layer, xs: tf.Tensor[]): tf.Tensor[] {
  const out = layer.apply(xs.length === 1 ? xs[0]! : xs) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}

describe(`block layers: config round trip, output shapes, weights (${tf.getBackend()})`, () => {
  for (const [className, c] of Object.entries(cases)) {
    it(className, () => {
      const layer = c.make();
      expect(layer.getClassName()).toBe(className);
      const xs = c.inputs.map((s, i) => randomTensor(s, 3 + i));
      const outs = outputsOf(layer, xs);
      // computeOutputShape is exact.
      const predicted = layer.computeOutputShape(c.inputs.length === 1 ? c.inputs[0]! : c.inputs);
      const shapes = Array.isArray(predicted[0]) ? (predicted as number[][]) : [predicted as number[]];
      expect(shapes).toEqual(outs.map((o) => o.shape));
      // Weight names are unique within the layer.
      const names = layer.weights.map((w) => w.originalName);
      expect(new Set(names).size).toBe(names.length);
      // getConfig -> fromConfig gives the same config and, with the same weights, the same output.
      const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap[className]!;
      const config = JSON.parse(JSON.stringify(layer.getConfig()));
      const copy = fromConfig(cls, config) as tfl.layers.Layer;
      expect(copy.getConfig()).toEqual(layer.getConfig());
      tf.dispose(outputsOf(copy, xs));
      if (layer.weights.length) copy.setWeights(layer.getWeights());
      const again = outputsOf(copy, xs);
      outs.forEach((o, i) => expect(maxAbsDiff(o, again[i]!)).toBe(0));
      tf.dispose([...xs, ...outs, ...again]);
      layer.dispose();
      copy.dispose();
    });
  }
});

// The shared layer contract (tests/helpers/layer-test.ts) for every case: weight counts [trainable, non-trainable].
const WEIGHT_COUNTS: Record<string, [number, number]> = {
  MasrPatchEmbedding: [8, 0],
  MasrWindowPartition: [0, 0],
  MasrLinear: [2, 0],
  MasrLayerNorm: [2, 0],
  MasrEispGenerator: [8, 0],
  MasrQKIspGenerator: [6, 0],
  MasrKVFeatureGenerator: [2, 0],
  MasrNeighbourSearcher: [0, 0],
  MasrIspDecoder: [6, 0],
  MasrEnhancedFFN: [5, 0],
  MasrAntiCheckerboard: [6, 0],
  MasrMultiScaleParamSmoother: [5, 0],
  MasrBoundaryAwareSmoothing: [5, 0],
  MasrCoarseFineMap: [0, 0],
  MasrMapGenerator: [21, 0],
  MasrBlock: [19, 0], // 8 attention (with pos_bias), 2 norm, 7 MoE, 2 norm
};

describe(`block layers: the layer contract (${tf.getBackend()})`, () => {
  for (const [className, c] of Object.entries(cases)) {
    it(className, async () => {
      const [trainableWeights, nonTrainableWeights] = WEIGHT_COUNTS[className]!;
      await runLayerTest({
        make: c.make,
        inputShapes: c.inputs,
        trainableWeights,
        nonTrainableWeights,
      });
    });
  }

  it("MasrBlock with referenceCompat: the reference's unused router weights are non-trainable, and fit leaves them", async () => {
    await runLayerTest({
      make: () => new MasrBlock({ headDim: 4, moeHiddenSizes: [6], referenceCompat: true }),
      inputShapes: [[2, 2, 3, 8]],
      trainableWeights: 18, // no pos_bias
      nonTrainableWeights: 2, // the attention's and the MoE's w_atten_gate
      outputShape: [2, 2, 3, 8],
    });
  });
});

describe(`composite layers inside tf.model (${tf.getBackend()})`, () => {
  it('MapGenerator and MasrBlock train with fit and survive a LayersModel save/load', async () => {
    const input = tfl.input({ shape: [2, 2, 16] });
    const map = new MapGenerator({ windowPixels: 2, channels: 4, paramSmoothing: true }).apply(
      input,
    ) as tfl.SymbolicTensor;
    const tokens = tfl.layers.reshape({ targetShape: [4, 4, 4] }).apply(map) as tfl.SymbolicTensor;
    const out = new MasrBlock({ headDim: 4, moeHiddenSizes: [6] }).apply(tokens) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    // Every sublayer weight is visible to the model, with unique names.
    const names = model.weights.map((w) => w.originalName);
    expect(new Set(names).size).toBe(names.length);
    expect(model.trainableWeights.length).toBeGreaterThan(20);
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const x = randomTensor([3, 2, 2, 16], 1);
    const y = randomTensor([3, 4, 4, 4], 2);
    const before = model.getWeights().map((w) => w.clone());
    const h = await model.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0 });
    expect(Number.isFinite(h.history.loss![0] as number)).toBe(true);
    const after = model.getWeights();
    const changed = after.filter((w, i) => maxAbsDiff(w, before[i]!) > 0).length;
    expect(changed).toBeGreaterThan(after.length / 2);
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(
        async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }),
      ),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    const p1 = model.predict(x) as tf.Tensor;
    const p2 = loaded.predict(x) as tf.Tensor;
    expect(maxAbsDiff(p1, p2)).toBe(0);
    tf.dispose([x, y, p1, p2, ...before]);
    model.dispose();
    loaded.dispose();
  });
});
