// The public building blocks: config round trip, exact output shapes, golden values against tfjs's own ops, no leaks.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import {
  ApplyIsp,
  Conv2D,
  DepthToSpace,
  GELU,
  SpaceToDepth,
  WindowPartition,
  WindowReverse,
  applyIsp,
  type MasrLayer,
} from '../../../src/index';
import { maxAbsDiff, randomTensor } from '../../helpers/gradcheck';
import { runLayerTest } from '../../helpers/layer-test';

interface Case {
  make: () => MasrLayer;
  inputs: number[][];
}

const CASES: Record<string, Case> = {
  'MasrConv2D same stride 2 relu': {
    make: () => new Conv2D({ filters: 4, kernelSize: 3, strides: 2, activation: 'relu', seed: 1 }),
    inputs: [[2, 5, 6, 3]],
  },
  'MasrConv2D valid 2x3 no bias': {
    make: () => new Conv2D({ filters: 2, kernelSize: [2, 3], padding: 'valid', useBias: false, seed: 2 }),
    inputs: [[1, 5, 6, 3]],
  },
  'MasrConv2D reflect gelu': {
    make: () => new Conv2D({ filters: 5, kernelSize: 3, padding: 'reflect', activation: 'gelu', seed: 3 }),
    inputs: [[1, 4, 5, 2]],
  },
  'MasrConv2D reflect stride [2, 1] relu': {
    make: () => new Conv2D({ filters: 3, kernelSize: 5, strides: [2, 1], padding: 'reflect', activation: 'relu' }),
    inputs: [[1, 7, 6, 2]],
  },
  MasrGELU: { make: () => new GELU(), inputs: [[2, 3, 4]] },
  MasrDepthToSpace: { make: () => new DepthToSpace({ blockSize: 2 }), inputs: [[1, 2, 3, 8]] },
  MasrSpaceToDepth: { make: () => new SpaceToDepth({ blockSize: 2 }), inputs: [[1, 4, 6, 3]] },
  MasrWindowReverse: { make: () => new WindowReverse({ windowSize: 2, outputSize: [4, 6] }), inputs: [[2, 6, 4, 3]] },
  MasrApplyIsp: {
    make: () => new ApplyIsp({ residualScale: 0.4, limit: 2 }),
    inputs: [
      [1, 3, 4, 3],
      [1, 3, 4, 1],
      [1, 3, 4, 9],
      [1, 3, 4, 1],
    ],
  },
};

function inputsFor(shapes: number[][]): tf.Tensor[] {
  // Images in (0, 1) for the ISP; signed values elsewhere.
  return shapes.map((s, i) =>
    s[3] === 3 && shapes.length === 4 && i === 0 ? randomTensor(s, 9, 0.05, 0.95) : randomTensor(s, 5 + i),
  );
}

const one = (xs: tf.Tensor[]): tf.Tensor | tf.Tensor[] => (xs.length === 1 ? xs[0]! : xs);

describe(`building blocks: config round trip, exact output shapes, tf.model, no leaks (${tf.getBackend()})`, () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(name, () => {
      const xs = inputsFor(c.inputs);
      const layer = c.make();
      expect(name.startsWith(layer.getClassName())).toBe(true);
      const before = tf.memory().numTensors;
      const y = layer.apply(one(xs)); // typed tf.Tensor: no cast
      const built = tf.memory().numTensors - before - 1; // weights created by the first call
      expect(y.shape).toEqual(layer.computeOutputShape(c.inputs.length === 1 ? c.inputs[0]! : c.inputs));
      // The symbolic shape with an unknown batch matches too.
      const sym = c.inputs.map((s) => tfl.input({ batchShape: [null, ...s.slice(1)] }));
      const copy = (layer.constructor as unknown as { fromConfig: typeof tfl.layers.Layer.fromConfig }).fromConfig(
        layer.constructor as never,
        layer.getConfig(),
      ) as MasrLayer;
      expect(copy.getConfig()).toEqual(layer.getConfig());
      const symOut = copy.apply(sym.length === 1 ? sym[0]! : sym);
      expect(symOut.shape).toEqual([null, ...y.shape.slice(1)]);
      // The copy in a tf.model with the same weights gives the same output.
      const model = tfl.model({ inputs: sym, outputs: symOut });
      copy.setWeights(layer.getWeights());
      const z = model.predict(one(xs)) as tf.Tensor;
      expect(maxAbsDiff(z.dataSync(), y.dataSync())).toBe(0);
      tf.dispose([y, z]);
      // A second eager call allocates nothing that outlives it.
      const n = tf.memory().numTensors;
      tf.dispose(layer.apply(one(xs)));
      expect(tf.memory().numTensors).toBe(n);
      expect(built).toBe(layer.weights.length);
      tf.dispose(xs);
      layer.dispose();
      model.dispose();
    });
  }
});

describe(`building blocks: the layer contract (tests/helpers/layer-test) (${tf.getBackend()})`, () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(name, async () => {
      const layer = c.make();
      const trainableWeights = layer instanceof Conv2D ? (layer.useBias ? 2 : 1) : 0; // unbuilt: nothing to dispose
      await runLayerTest({
        make: c.make,
        inputShapes: c.inputs,
        trainableWeights,
        nonTrainableWeights: 0,
        inputs: inputsFor,
      });
    });
  }
});

const conv = (x: tf.Tensor, w: tf.Tensor, stride: number | [number, number], pad: 'same' | 'valid') =>
  tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad);

describe(`building blocks: values against tfjs's own ops (${tf.getBackend()})`, () => {
  it('Conv2D same / valid / reflect, with bias and activations, equals tf.conv2d (+ mirrorPad)', () => {
    const x = randomTensor([2, 7, 6, 3], 21);
    const check = (layer: Conv2D, reference: (w: tf.Tensor, b: tf.Tensor | null) => tf.Tensor) => {
      const y = layer.apply(x);
      const [w, b] = layer.getWeights();
      const want = reference(w!, layer.useBias ? b! : null);
      expect(maxAbsDiff(y.dataSync(), want.dataSync())).toBeLessThan(1e-5);
      tf.dispose([y, want]);
    };
    const withBias = (y: tf.Tensor, b: tf.Tensor | null) => (b ? tf.add(y, b) : y);
    check(new Conv2D({ filters: 4, kernelSize: 3, strides: 2, activation: 'relu', seed: 4 }), (w, b) =>
      tf.tidy(() => tf.relu(withBias(conv(x, w, 2, 'same'), b))),
    );
    check(new Conv2D({ filters: 2, kernelSize: [3, 2], padding: 'valid', useBias: false, seed: 5 }), (w) =>
      conv(x, w, 1, 'valid'),
    );
    const gelu = (t: tf.Tensor) => tf.mul(tf.mul(t, 0.5), tf.add(1, tf.erf(tf.div(t, Math.SQRT2))));
    check(new Conv2D({ filters: 3, kernelSize: 5, padding: 'reflect', activation: 'gelu', seed: 6 }), (w, b) =>
      tf.tidy(() => {
        const p = tf.mirrorPad(
          x,
          [
            [0, 0],
            [2, 2],
            [2, 2],
            [0, 0],
          ],
          'reflect',
        );
        return gelu(withBias(conv(p, w, 1, 'valid'), b));
      }),
    );
    check(new Conv2D({ filters: 3, kernelSize: 3, strides: [2, 1], padding: 'reflect', seed: 7 }), (w, b) =>
      tf.tidy(() => {
        const p = tf.mirrorPad(
          x,
          [
            [0, 0],
            [1, 1],
            [1, 1],
            [0, 0],
          ],
          'reflect',
        );
        return withBias(conv(p, w, [2, 1], 'valid'), b);
      }),
    );
    x.dispose();
  });

  it('GELU, DepthToSpace, SpaceToDepth, WindowReverse and ApplyIsp equal their definitions', () => {
    const x = randomTensor([1, 4, 6, 8], 22, -3, 3);
    const g = new GELU().apply(x);
    const want = tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))));
    expect(maxAbsDiff(g.dataSync(), want.dataSync())).toBeLessThan(1e-5);
    const up = new DepthToSpace({ blockSize: 2 }).apply(x);
    const tfUp = tf.depthToSpace(x as tf.Tensor4D, 2);
    expect(maxAbsDiff(up.dataSync(), tfUp.dataSync())).toBe(0);
    const down = new SpaceToDepth({ blockSize: 2 }).apply(up);
    expect(maxAbsDiff(down.dataSync(), x.dataSync())).toBe(0);
    const windows = new WindowPartition({ windowSize: 2 }).apply(x);
    const back = new WindowReverse({ windowSize: 2, outputSize: [4, 6] }).apply(windows);
    expect(maxAbsDiff(back.dataSync(), x.dataSync())).toBe(0);
    const image = randomTensor([1, 4, 6, 3], 23, 0.05, 0.95) as tf.Tensor4D;
    const [gamma, color, sat] = [1, 9, 1].map((c, i) => randomTensor([1, 4, 6, c], 30 + i, -0.5, 0.5) as tf.Tensor4D);
    const isp = new ApplyIsp().apply([image, gamma!, color!, sat!]);
    const direct = applyIsp(image, { gamma: gamma!, color: color!, saturation: sat! });
    expect(maxAbsDiff(isp.dataSync(), direct.dataSync())).toBe(0);
    tf.dispose([x, g, want, up, tfUp, down, windows, back, image, gamma!, color!, sat!, isp, direct]);
  });

  it('clear errors name the bad option or input', () => {
    expect(() => new Conv2D({ filters: 0, kernelSize: 3 })).toThrow(/Conv2D: filters must be a positive integer/);
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, padding: 'full' as never })).toThrow(
      /Conv2D: padding must be one of 'same', 'valid', 'reflect', got 'full'/,
    );
    expect(() => new WindowReverse({ windowSize: 4, outputSize: [8, 6] })).toThrow(/multiples of windowSize 4/);
    expect(() => new DepthToSpace({ blockSize: 2 }).computeOutputShape([1, 2, 2, 6])).toThrow(
      /not a multiple of blockSize² = 4/,
    );
    const x = tf.zeros([1, 2, 2, 3]);
    expect(() => new ApplyIsp().apply([x, x, x, x])).toThrow(
      /ApplyIsp: gamma map \[B, H, W, 1\] must have last dimension 1/,
    );
    expect(() => new WindowReverse({ windowSize: 2, outputSize: [4, 4] }).apply(tf.zeros([1, 3, 4, 2]))).toThrow(
      /WindowReverse: input \[1,3,4,2\] must be \[B, 4, 4, C\]/,
    );
    x.dispose();
  });
});
