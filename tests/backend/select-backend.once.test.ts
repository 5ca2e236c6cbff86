import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, selectBackend } from '../../src/backend';

describe('selectBackend', () => {
  afterAll(async () => {
    await selectBackend('wasm');
  });

  it('auto picks wasm when tfjs-node is not installed, and says why', async () => {
    const choice = await selectBackend('auto');
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.reason).toMatch(/tfjs-node/);
  });

  it('honours an explicit choice', async () => {
    const choice = await selectBackend('cpu');
    expect(choice).toEqual({ name: 'cpu', reason: 'requested explicitly' });
    expect(tf.getBackend()).toBe('cpu');
    const again = await selectBackend('wasm');
    expect(again.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('names the package to install for a missing backend', async () => {
    const err = await selectBackend('tensorflow').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toMatch(/npm install @tensorflow\/tfjs-node/);
  });

  it('rejects unknown names', async () => {
    await expect(selectBackend('webgpu' as never)).rejects.toThrow(/Unknown backend 'webgpu'/);
  });

  it('loads the wasm binary offline and computes on it', async () => {
    await selectBackend('wasm');
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(y.dataSync())).toEqual([11]);
  });
});
