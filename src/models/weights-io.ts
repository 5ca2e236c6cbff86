import * as tf from '@tensorflow/tfjs-core';
import type { ReferenceLayout, ReferenceWeight } from '../layers/basic/common';
import {
  entryToFloat32,
  entryToInt32,
  float32Entry,
  readSafetensors,
  writeSafetensors,
  type SafetensorsEntry,
} from '../io/safetensors';

/** PyTorch layout -> tfjs layout permutation, per layout kind (and its inverse for export). */
const TO_TFJS: Record<ReferenceLayout, number[] | null> = { linear: [1, 0], conv: [2, 3, 1, 0], same: null };
const TO_TORCH: Record<ReferenceLayout, number[] | null> = { linear: [1, 0], conv: [3, 2, 0, 1], same: null };

/** The reference shape of a tfjs weight. */
export function torchShape(w: ReferenceWeight): number[] {
  const s = w.variable.shape as number[];
  const perm = TO_TORCH[w.layout];
  return perm ? perm.map((i) => s[i]!) : [...s];
}

/** Non-parameter state that the reference keeps in its state_dict (buffers), held as plain arrays. */
export interface ReferenceBuffer {
  key: string;
  dtype: 'F32' | 'I64';
  shape: number[];
  get(): ArrayLike<number>;
  /** Why `values` cannot be loaded (e.g. an index out of range), or null. Checked before anything is written. */
  check?(values: ArrayLike<number>): string | null;
  set(values: ArrayLike<number>): void;
}

/**
 * State-dict entries of the reference `Model` that are not part of the network: the frozen VGG16 of its perceptual
 * loss (`perceptual_loss.vgg_layers.*`, present in checkpoints saved by the reference's train.py). Accepted, reported
 * as unused, and not exported.
 */
const IGNORED_PREFIXES = ['perceptual_loss.'];

export interface ImportResult {
  /** Keys loaded that do not affect the output (the reference's unused router weights and debug buffers). */
  unused: string[];
  /** Weights the file lacks that `allowMissing` let keep their current values. */
  missing: string[];
}

/**
 * Writes a reference state_dict (safetensors bytes) into the weights and buffers, all or nothing: names, shapes,
 * dtypes, finiteness and buffer values are all checked first, and one error lists every problem (nothing is written
 * then).
 */
export function importReferenceWeights(
  bytes: Uint8Array,
  weights: ReferenceWeight[],
  buffers: ReferenceBuffer[],
  unusedKeys: Set<string>,
  allowMissing: readonly string[] = [],
): ImportResult {
  const excused = (key: string) => allowMissing.some((p) => key.startsWith(p));
  const file = readSafetensors(bytes);
  const expected = new Map<string, ReferenceWeight>(weights.map((w) => [w.key, w]));
  const expectedBuffers = new Map<string, ReferenceBuffer>(buffers.map((b) => [b.key, b]));
  const unknown: string[] = [];
  const misShaped: string[] = [];
  const badDtype: string[] = [];
  const ignored: string[] = [];
  for (const [key, entry] of file.tensors) {
    const w = expected.get(key);
    const b = expectedBuffers.get(key);
    if (!w && !b && IGNORED_PREFIXES.some((p) => key.startsWith(p))) {
      ignored.push(key);
      continue;
    }
    if (!w && !b) {
      unknown.push(key);
      continue;
    }
    const want = w ? torchShape(w) : b!.shape;
    if (!tf.util.arraysEqual(entry.shape, want)) misShaped.push(`${key} [${entry.shape}] (expected [${want}])`);
    if (w && !['F32', 'F16', 'BF16', 'F64'].includes(entry.dtype))
      badDtype.push(`${key} ${entry.dtype} (expected a float type)`);
  }
  const absent = [...expected.keys(), ...expectedBuffers.keys()].filter((k) => !file.tensors.has(k));
  const missing = absent.filter((k) => !excused(k));
  const kept = absent.filter(excused);
  // Only what the file holds is written; allowMissing's weights and buffers keep their values.
  weights = weights.filter((w) => file.tensors.has(w.key));
  buffers = buffers.filter((b) => file.tensors.has(b.key));
  const problems: string[] = [];
  if (unknown.length) problems.push(`unknown keys (${unknown.length}): ${unknown.join(', ')}`);
  if (missing.length) problems.push(`missing keys (${missing.length}): ${missing.join(', ')}`);
  if (misShaped.length) problems.push(`mis-shaped keys (${misShaped.length}): ${misShaped.join(', ')}`);
  if (badDtype.length) problems.push(`wrong dtype: ${badDtype.join(', ')}`);
  if (problems.length) throw loadError(`the state_dict does not match this model's config — ${problems.join('; ')}`);

  // Decode and check every value before the first write: a throw half-way would leave the model half-loaded.
  const values = weights.map((w) => entryToFloat32(file.tensors.get(w.key)!));
  const nonFinite = weights.filter((_, i) => !values[i]!.every(Number.isFinite)).map((w) => w.key);
  const bufferValues = buffers.map((b) => {
    const entry = file.tensors.get(b.key)!;
    return b.dtype === 'I64' ? entryToInt32(entry) : entryToFloat32(entry);
  });
  const badBuffers = buffers.flatMap((b, i) => {
    const why = b.check?.(bufferValues[i]!);
    return why ? [`${b.key}: ${why}`] : [];
  });
  problems.push(...nonFinite.map((key) => `'${key}' contains NaN or Inf values`));
  problems.push(...badBuffers);
  if (problems.length) throw loadError(problems.join('; '));

  weights.forEach((w, i) =>
    tf.tidy(() => {
      const t = tf.tensor(values[i]!, file.tensors.get(w.key)!.shape, 'float32');
      const perm = TO_TFJS[w.layout];
      w.variable.write(perm ? tf.transpose(t, perm) : t);
    }),
  );
  buffers.forEach((b, i) => b.set(bufferValues[i]!));
  return { unused: [...[...file.tensors.keys()].filter((k) => unusedKeys.has(k)), ...ignored].sort(), missing: kept };
}

const loadError = (problem: string) => new Error(`MASRNet.loadSafetensors: nothing was loaded — ${problem}`);

function int64Entry(values: ArrayLike<number>, shape: number[]): SafetensorsEntry {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
  return { dtype: 'I64', shape, bytes: new Uint8Array(data.buffer) };
}

/** The weights and buffers as a reference state_dict (safetensors bytes, keys sorted like torch's safetensors export). */
export function exportReferenceWeights(
  weights: ReferenceWeight[],
  buffers: ReferenceBuffer[],
  metadata?: Record<string, string>,
): Uint8Array {
  const entries: [string, SafetensorsEntry][] = [];
  for (const w of weights) {
    const data = tf.tidy(() => {
      const perm = TO_TORCH[w.layout];
      const v = w.variable.read();
      return perm ? tf.transpose(v, perm) : tf.clone(v);
    });
    entries.push([w.key, float32Entry(data.dataSync() as Float32Array, data.shape)]);
    data.dispose();
  }
  for (const b of buffers) {
    entries.push([
      b.key,
      b.dtype === 'I64' ? int64Entry(b.get(), b.shape) : float32Entry(Float32Array.from(b.get()), b.shape),
    ]);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return writeSafetensors(entries, metadata);
}
