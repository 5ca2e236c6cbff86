import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { MixtureOfAttention, MixtureOfExperts } from '../../../src/layers/exports-routing';
import { setRoutingPlacement, type RoutingPlacement } from '../../../src/layers/routing/router';
import { MASRNet } from '../../../src/models/index';
import { maxAbsDiff, randomTensor } from '../../helpers/gradcheck';
import { projectedSum, randomizeWeights, weightGrads } from './helpers';
import { countSyncReads } from '../../helpers/sync-reads';

// Issue 16: on WebGL/WebGPU a synchronous read stalls or fails, so routing can be decided with tensor ops only
// ('device'). That path must compute exactly what the host path (sparse dispatch) computes, forward and backward,
// and must not read a single tensor back. Checked here on cpu/wasm by forcing the placement.
const cleanup: tf.TensorContainer[] = [];
let restore: RoutingPlacement = 'auto';
afterEach(() => {
  setRoutingPlacement(restore);
  tf.dispose(cleanup.splice(0));
});

function withPlacement<T>(p: RoutingPlacement, f: () => T): T {
  const old = setRoutingPlacement(p);
  try {
    return f();
  } finally {
    setRoutingPlacement(old);
  }
}

async function compareLayer(layer: MixtureOfAttention | MixtureOfExperts, inputs: tf.Tensor[]) {
  const call = () => layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as tf.Tensor;
  const host = withPlacement('host', call);
  const { value: device, reads } = await countSyncReads(() => withPlacement('device', call));
  const hostIdx = withPlacement('host', () => {
    tf.dispose(call());
    return layer.lastRouting!.indices.arraySync();
  });
  withPlacement('device', () => tf.dispose(call()));
  const deviceIdx = layer.lastRouting!.indices.arraySync();
  const gHost = withPlacement('host', () => weightGrads(layer, () => projectedSum(call())));
  const gDevice = withPlacement('device', () => weightGrads(layer, () => projectedSum(call())));
  cleanup.push(host, device, [...gHost.values()], [...gDevice.values()]);
  expect(reads).toBe(0);
  expect(deviceIdx).toEqual(hostIdx);
  expect(maxAbsDiff(host, device)).toBeLessThan(1e-5);
  expect([...gDevice.keys()].sort()).toEqual([...gHost.keys()].sort());
  for (const [name, g] of gHost) expect(maxAbsDiff(g, gDevice.get(name)!), name).toBeLessThan(1e-4);
}

describe(`routing decided on the device (${tf.getBackend()})`, () => {
  it('MixtureOfExperts sum and slots: same output, routing and weight gradients as the host path, no sync read', async () => {
    for (const mode of ['sum', 'slots'] as const) {
      const x = randomTensor([2, 7, 6], 11);
      const layer = new MixtureOfExperts({ numExperts: 4, k: 2, hiddenSizes: [8], outputDim: 5, mode });
      tf.dispose(layer.apply(x) as tf.Tensor);
      randomizeWeights(layer, 3);
      cleanup.push(x);
      await compareLayer(layer, [x]);
      layer.dispose();
    }
  });

  it('MixtureOfAttention (router and attention gate): same as the host path, no sync read', async () => {
    const q = randomTensor([2, 3, 4, 6], 1);
    const kv = randomTensor([2, 3, 5, 6], 2);
    const keys = randomTensor([2, 3, 3, 6], 4);
    cleanup.push(q, kv, keys);
    const router = new MixtureOfAttention({ numExperts: 3, k: 2, headDim: 4, attentionDropout: 0 });
    tf.dispose(router.apply([q, kv]) as tf.Tensor);
    randomizeWeights(router, 5);
    await compareLayer(router, [q, kv]);
    const gate = new MixtureOfAttention({ numExperts: 3, k: 2, headDim: 4, routing: 'attentionGate', attentionDropout: 0 });
    tf.dispose(gate.apply([q, kv, kv, keys]) as tf.Tensor);
    randomizeWeights(gate, 6);
    await compareLayer(gate, [q, kv, kv, keys]);
  });

  it('sampling on the device draws distinct experts, the fixed slot is the top one, seeded draws repeat', () => {
    const x = randomTensor([64, 6], 8);
    cleanup.push(x);
    const make = () => {
      const l = new MixtureOfExperts({ numExperts: 4, k: 2, hiddenSizes: [8], sampleTopk: 1, seed: 9 });
      tf.dispose(l.apply(x, { training: true }) as tf.Tensor);
      randomizeWeights(l, 3);
      return l;
    };
    const run = (l: MixtureOfExperts) =>
      withPlacement('device', () => {
        tf.dispose(l.apply(x, { training: true }) as tf.Tensor);
        return l.lastRouting!.indices.arraySync() as number[][];
      });
    const a = run(make());
    const b = run(make());
    expect(a).toEqual(b);
    const top = withPlacement('host', () => {
      const l = make();
      tf.dispose(l.apply(x) as tf.Tensor);
      return l.lastRouting!.indices.arraySync() as number[][];
    });
    for (let i = 0; i < a.length; i++) {
      expect(a[i]![0]).toBe(top[i]![0]);
      expect(a[i]![1]).not.toBe(a[i]![0]);
    }
    // The sampled slot is not always the second most probable expert (it is drawn).
    expect(a.some((row, i) => row[1] !== top[i]![1])).toBe(true);
  });

  it('MASRNet.enhanceAsync: the same image as the host path without one synchronous read', async () => {
    const model = MASRNet.create('lolv1');
    const x = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    cleanup.push(x);
    const host = withPlacement('host', () => model.enhance(x));
    const before = tf.memory().numTensors;
    const { value: device, reads } = await countSyncReads(() => {
      const old = setRoutingPlacement('device');
      return model.enhanceAsync(x).finally(() => setRoutingPlacement(old));
    });
    cleanup.push(host, device);
    expect(reads).toBe(0);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(maxAbsDiff(host, device)).toBeLessThan(1e-4);
    await expect(model.enhanceAsync(tf.fill([1, 8, 8, 3], 2) as tf.Tensor4D)).rejects.toThrow(/values in \[0, 1\]/);
    model.dispose();
  });
});
