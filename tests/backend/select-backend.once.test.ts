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
    await expect(selectBackend('metal' as never)).rejects.toThrow(/Unknown backend 'metal'/);
  });

  it('refuses the browser backends in Node, naming them', async () => {
    await expect(selectBackend('webgl')).rejects.toThrow(/'webgl' is a browser backend/);
    await expect(selectBackend('webgpu')).rejects.toThrow(/'webgpu' is a browser backend/);
  });

  it('checks wasmPaths before tfjs starts', async () => {
    const { checkWasmPaths } = await import('../../src/backend');
    await expect(checkWasmPaths('/wasm')).rejects.toThrow(/wasmPaths must be a folder ending in '\/'/);
    await expect(checkWasmPaths(3 as never)).rejects.toThrow(/wasmPaths must be a folder URL or a map/);
    await expect(checkWasmPaths('/wasm/')).resolves.toBeUndefined();
  });

  it('wasm clones share data (tfjs clones every tensor a gradient saves) and stay valid after the source is freed', async () => {
    await selectBackend('wasm');
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    expect(b.dataId).toBe(a.dataId);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    const v = tf.variable(tf.tensor1d([4, 5]));
    const snapshot = tf.clone(v);
    v.assign(tf.tensor1d([6, 7]));
    expect(Array.from(snapshot.dataSync())).toEqual([4, 5]);
    expect(Array.from(v.dataSync())).toEqual([6, 7]);
    tf.dispose([b, v, snapshot]);
  });

  it('loads the wasm binary offline and computes on it', async () => {
    await selectBackend('wasm');
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(y.dataSync())).toEqual([11]);
  });
});
