import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { setRoutingPlacement } from '../../src/layers/routing/router';
import { MASRNet, presetConfig, type MASRNetConfig } from '../../src/index';
import { countSyncReads } from '../helpers/sync-reads';

// Issue 16: training on WebGL/WebGPU must not read synchronously. trainStepAsync reads the loss, terms and gradient
// norm with await; with routing on the device a whole step makes no synchronous read, and it updates the weights
// exactly as trainStep does.
const det = {
  ...(JSON.parse(JSON.stringify(presetConfig('lolv1')), (k, v) => (/dropout/i.test(k) ? 0 : v)) as MASRNetConfig),
  sampleSecondExpert: 'never' as const,
};

describe(`MASRNet.trainStepAsync (${tf.getBackend()})`, () => {
  it('same loss, norm and updated weights as trainStep (2 micro-batches, clipped), no sync read, no leak', async () => {
    const a = MASRNet.fromConfig(det);
    const b = MASRNet.fromConfig(det);
    b.loadSafetensors(a.toSafetensors());
    const x = tf.randomUniform([2, 32, 32, 3], 0, 0.3, 'float32', 1) as tf.Tensor4D;
    const y = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const options = { microBatch: 1, clipNorm: 0.01 };
    const sync = a.trainStep(tf.train.sgd(0.1), x, y, options);
    // A step with learning rate 0 first: the routing layers then hold their last routing and aux losses (replaced,
    // not added to, by every call), so the count below sees only what a step would leak.
    await b.trainStepAsync(tf.train.sgd(0), x, y, options);
    const optimizer = tf.train.sgd(0.1);
    const before = tf.memory().numTensors;
    const old = setRoutingPlacement('device');
    let result;
    try {
      result = await countSyncReads(() => b.trainStepAsync(optimizer, x, y, options));
    } finally {
      setRoutingPlacement(old);
    }
    expect(result.reads).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const r = result.value;
    expect(r.loss).toBeCloseTo(sync.loss, 5);
    expect(Math.abs(r.gradNorm - sync.gradNorm) / sync.gradNorm).toBeLessThan(1e-4);
    expect(Object.keys(r.terms).sort()).toEqual(Object.keys(sync.terms).sort());
    for (const k of Object.keys(sync.terms)) expect(r.terms[k]).toBeCloseTo(sync.terms[k]!, 4);
    const wa = a.trainableVariables;
    const wb = b.trainableVariables;
    let worst = 0;
    for (let i = 0; i < wa.length; i++) worst = Math.max(worst, tf.max(tf.abs(tf.sub(wa[i]!, wb[i]!))).dataSync()[0]!);
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([x, y]);
    a.dispose();
    b.dispose();
  });

  it('a NaN target leaves the weights unchanged and says which value was not finite', async () => {
    const m = MASRNet.fromConfig(det);
    const before = m.toSafetensors();
    const x = tf.fill([1, 16, 16, 3], 0.2) as tf.Tensor4D;
    const y = tf.fill([1, 16, 16, 3], NaN) as tf.Tensor4D;
    await expect(m.trainStepAsync(tf.train.sgd(0.1), x, y)).rejects.toThrow(/non-finite loss .* weights left unchanged/);
    expect(Buffer.from(m.toSafetensors()).equals(Buffer.from(before))).toBe(true);
    tf.dispose([x, y]);
    m.dispose();
  });
});
