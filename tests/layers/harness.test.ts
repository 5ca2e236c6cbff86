// The layer contract test (tests/helpers/layer-test.ts) catches what it claims to: a toy layer passes it, and each
// of its faults (a leaked tensor, a wrong computeOutputShape, a config that loses an option, a weight fit never
// trains) fails it with a message naming the fault.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { runLayerTest } from '../helpers/layer-test';

type Fault = 'none' | 'leak' | 'shape' | 'config' | 'untrained';

/** y = x · scale · w, w one weight per channel; `fault` breaks one part of the contract. */
class ToyScale extends tfl.layers.Layer {
  static className = 'MasrTestToyScale';
  private w!: tfl.LayerVariable;
  constructor(readonly options: { scale?: number; fault?: Fault; name?: string } = {}) {
    super({ name: options.name });
  }
  override build(shape: tfl.Shape | tfl.Shape[]): void {
    const d = (shape as number[])[(shape as number[]).length - 1]!;
    this.w = this.addWeight('w', [d], 'float32', tfl.initializers.ones());
    if (this.options.fault === 'untrained') this.addWeight('spare', [d], 'float32', tfl.initializers.ones());
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (this.options.fault === 'leak') tf.keep(tf.ones([1]));
    return tf.tidy(() => tf.mul(tf.mul(x, this.options.scale ?? 1), this.w.read()));
  }
  override computeOutputShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = shape as tfl.Shape;
    return this.options.fault === 'shape' ? [...s.slice(0, -1), (s[s.length - 1] ?? 0) + 1] : s;
  }
  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { ...super.getConfig(), fault: this.options.fault ?? 'none' };
    if (this.options.fault !== 'config') config['scale'] = this.options.scale ?? 1;
    return config;
  }
}
tf.serialization.registerClass(ToyScale);

const run = (fault: Fault, trainableWeights = 1) =>
  runLayerTest({
    make: () => new ToyScale({ scale: 2, fault }),
    inputShapes: [[3, 4]],
    trainableWeights,
    nonTrainableWeights: 0,
    outputShape: [3, 4],
  });

describe(`layer contract test (${tf.getBackend()})`, () => {
  it('passes a layer that keeps the contract', async () => {
    await run('none');
  });
  it('fails on wrong weight counts', async () => {
    await expect(run('none', 2)).rejects.toThrow(/MasrTestToyScale: trainable weights/);
  });
  it('fails on a tensor leaked by an eager call', async () => {
    await expect(run('leak')).rejects.toThrow(/tensors leaked by an eager call/);
  });
  it('fails on a computeOutputShape that differs from the output', async () => {
    await expect(run('shape')).rejects.toThrow(/computeOutputShape/);
  });
  it('fails when getConfig loses an option (the fromConfig copy computes something else)', async () => {
    await expect(run('config')).rejects.toThrow(/fromConfig copy's output/);
  });
  it('fails when fit leaves a trainable weight unchanged', async () => {
    await expect(run('untrained', 2)).rejects.toThrow(/fit left spare unchanged/);
  });
});
