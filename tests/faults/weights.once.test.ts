import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors, type SafetensorsEntry } from '../../src/io/safetensors';
import { MASRNet } from '../../src/models/index';
import { TINY_MODEL, runCliWasm } from '../cli/helpers';
import { tempDir } from '../data/helpers';

// Weight files (issue 13 items 8 and 9, and the truncated weights.bin message).

const tiny = () => MASRNet.create('lolv1', TINY_MODEL as never);

/** A copy of a safetensors file with one tensor's values replaced. */
function withValues(bytes: Uint8Array, key: string, values: number[]): Uint8Array {
  const tensors = readSafetensors(bytes).tensors;
  const e = tensors.get(key)!;
  const data =
    e.dtype === 'I64'
      ? new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer)
      : new Uint8Array(Float32Array.from(values).buffer);
  tensors.set(key, { ...e, bytes: data } as SafetensorsEntry);
  return writeSafetensors(tensors);
}

/** Loading `bad` into a model throws matching `pattern`, and leaves every weight and buffer as it was. */
function loadLeavesModelUntouched(bad: Uint8Array, pattern: RegExp): void {
  const model = tiny();
  const before = model.toSafetensors();
  const tensorsBefore = tf.memory().numTensors;
  let message = '';
  try {
    model.loadSafetensors(bad);
  } catch (e) {
    message = (e as Error).message;
  }
  expect(Buffer.compare(Buffer.from(model.toSafetensors()), Buffer.from(before))).toBe(0);
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  expect(message).toMatch(pattern);
  model.dispose();
}

describe('loadSafetensors is all-or-nothing', () => {
  // Weights of another tiny model: a good load would change every weight of the target.
  const source = tiny();
  const good = source.toSafetensors();
  const keys = source.network.referenceWeights().map((w) => w.key);
  source.dispose();
  const lastKey = keys.at(-1)!;

  it('a good file from another model changes the weights (so the checks below can fail)', () => {
    const model = tiny();
    const before = model.toSafetensors();
    model.loadSafetensors(good);
    expect(Buffer.compare(Buffer.from(model.toSafetensors()), Buffer.from(good))).toBe(0);
    expect(Buffer.compare(Buffer.from(before), Buffer.from(good))).not.toBe(0);
    model.dispose();
  });

  it('a NaN in the last weight written leaves every weight byte-identical and names the key', () => {
    const n = readSafetensors(good).tensors.get(lastKey)!.bytes.byteLength / 4;
    const values = Array.from({ length: n }, (_, i) => (i === n - 1 ? NaN : 0.5));
    loadLeavesModelUntouched(
      withValues(good, lastKey, values),
      new RegExp(`nothing was loaded — '${lastKey}' contains NaN or Inf values$`),
    );
  });

  it('an Inf weight leaves the model untouched', () => {
    const n = readSafetensors(good).tensors.get(keys[0]!)!.bytes.byteLength / 4;
    loadLeavesModelUntouched(
      withValues(good, keys[0]!, Array(n).fill(Infinity)),
      /nothing was loaded — '.+' contains NaN or Inf values$/,
    );
  });

  it('bad neighbour indices (written after every weight) leave the model untouched', () => {
    const key = 'patch_neighbor_searcher.neighbor_indices';
    const n = readSafetensors(good).tensors.get(key)!.shape[0]!;
    const values = Array.from({ length: n }, (_, i) => (i === 0 ? 9 : 4));
    loadLeavesModelUntouched(withValues(good, key, values), new RegExp(`${key}: must be in 0..8, got \\[9,`));
  });
});

describe('weight files named in CLI errors', () => {
  const tmp = tempDir('masr-faults-weights-');
  afterAll(tmp.cleanup);

  const cli = runCliWasm;

  it('a truncated weights.bin is blamed on weights.bin (expected N bytes, found M), not on model.json', async () => {
    const model = tiny();
    const ckpt = join(tmp.dir, 'ckpt');
    await model.save(`file://${ckpt}`);
    model.dispose();
    const bin = join(ckpt, 'weights.bin');
    const full = readFileSync(bin);
    writeFileSync(bin, full.subarray(0, full.byteLength - 100));
    const r = await cli(['enhance', '--input', bin, '--checkpoint', ckpt, '--out', join(tmp.dir, 'out')]);
    expect(r.code).toBe(1);
    expect(r.last).toBe(
      `warning: error: ${bin}: expected ${full.byteLength} bytes (the weights model.json lists), found ${full.byteLength - 100} (truncated?)`,
    );
  });

  it('a malformed .safetensors checkpoint is blamed on the file format, naming the file and the key', async () => {
    mkdirSync(join(tmp.dir, 'st'), { recursive: true });
    const file = join(tmp.dir, 'st', 'dup.safetensors');
    const entry = JSON.stringify({ dtype: 'F32', shape: [1], data_offsets: [0, 4] });
    const h = new TextEncoder().encode(`{"w":${entry},"w":${entry}}`);
    const bytes = new Uint8Array(8 + h.byteLength + 4);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(h.byteLength), true);
    bytes.set(h, 8);
    writeFileSync(file, bytes);
    const r = await cli(['enhance', '--input', file, '--checkpoint', file, '--out', join(tmp.dir, 'e')]);
    expect(r.code).toBe(1);
    expect(r.last).toBe(`warning: error: ${file}: safetensors: header key 'w' appears more than once`);
  });
});
