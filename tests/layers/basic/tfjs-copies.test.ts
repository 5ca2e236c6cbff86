// Two TensorFlow.js copies (masr-net installed through a symlink / npm link): the first layer call names the fix.
// A second copy is simulated by loading tfjs-layers / tfjs-core again with a fresh module cache entry.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { Conv2D, DuplicateTfjsError, Linear, MixtureOfExperts, assertSingleTfjs } from '../../../src/index';

const require = createRequire(import.meta.url);

/** A second instance of an npm module: what a symlinked install resolves from its own node_modules. */
function secondCopy<T>(name: string): T {
  const path = require.resolve(name);
  const first = require.cache[path];
  delete require.cache[path];
  try {
    return require(path) as T;
  } finally {
    require.cache[path] = first;
  }
}

describe(`two TensorFlow.js copies (${tf.getBackend()})`, () => {
  it('a symbolic input from another tfjs-layers copy throws DuplicateTfjsError naming the fix', () => {
    const otherLayers = secondCopy<typeof tfl>('@tensorflow/tfjs-layers');
    expect(otherLayers.SymbolicTensor).not.toBe(tfl.SymbolicTensor);
    const x = otherLayers.input({ shape: [4, 4, 3] });
    for (const layer of [
      new Conv2D({ filters: 2, kernelSize: 3 }),
      new Linear({ units: 2 }),
      new MixtureOfExperts({ numExperts: 2, k: 1 }),
    ]) {
      expect(() => layer.apply(x as unknown as tfl.SymbolicTensor)).toThrow(DuplicateTfjsError);
    }
    expect(() => new Linear({ units: 2 }).apply(x as unknown as tfl.SymbolicTensor)).toThrow(
      /MasrLinear: the symbolic input .* different copy of @tensorflow\/tfjs-layers.*npm dedupe.*tarball.*resolve\.alias/,
    );
    // This copy's own symbolic tensors are fine.
    expect(new Linear({ units: 2 }).apply(tfl.input({ shape: [3] })).shape).toEqual([null, 2]);
  });

  it('a tensor of another tfjs-core copy throws on the first call', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const otherCore = secondCopy<typeof tf>('@tensorflow/tfjs-core');
    warn.mockRestore();
    expect(otherCore.Tensor).not.toBe(tf.Tensor);
    // The engine is shared through a global, so a tensor made by the other copy's class is what a consumer whose
    // copy created the engine first hands masr-net.
    const own = tf.zeros([1, 4]);
    const foreign = Object.setPrototypeOf(tf.zeros([1, 4]), otherCore.Tensor.prototype) as tf.Tensor;
    expect(() => assertSingleTfjs(own, 'test')).not.toThrow();
    expect(() => new Linear({ units: 2 }).apply(foreign)).toThrow(
      /MasrLinear: the input tensor comes from a different copy of @tensorflow\/tfjs-core/,
    );
    tf.dispose([own, foreign]);
  });
});
