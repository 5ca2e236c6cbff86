import * as tf from '@tensorflow/tfjs-core';
import type { ReferenceWeight } from '../layers/basic/common';
import { fileSystemHandler, weightBytes } from './fs-handler';
import type { MASRNetConfig } from './config';
import type { ReferenceBuffer } from './weights-io';

export const MODEL_FORMAT = 'masr-net';
const TOPOLOGY_CLASS = 'MASRNet';

function saveHandler(target: tf.io.IOHandler | string): tf.io.IOHandler {
  if (typeof target !== 'string') return target;
  if (target.startsWith('file://')) return fileSystemHandler(target);
  const handlers = tf.io.getSaveHandlers(target);
  if (handlers.length === 0)
    throw new Error(`MASRNet.save: no tfjs IO handler accepts '${target}' (in Node use 'file://<dir>')`);
  return handlers[0]!;
}

/**
 * In a page (or worker), a URL without a scheme ('/model/model.json', 'model/model.json') is resolved against the
 * page's address, as fetch would: tfjs's http handler only accepts absolute http(s) URLs.
 */
export function resolveAgainstPage(source: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return source;
  const here = (globalThis as { location?: { href?: string } }).location?.href;
  if (!here || !/^https?:/i.test(here)) return source;
  return new URL(source, here).href;
}

function loadHandler(source: tf.io.IOHandler | string): tf.io.IOHandler {
  if (typeof source !== 'string') return source;
  if (source.startsWith('file://')) return fileSystemHandler(source);
  source = resolveAgainstPage(source);
  const handlers = tf.io.getLoadHandlers(source);
  if (handlers.length === 0)
    throw new Error(`MASRNet.load: no tfjs IO handler accepts '${source}' (in Node use 'file://<dir>')`);
  return handlers[0]!;
}

/**
 * Saves config + weights in the tfjs format: modelTopology {className: 'MASRNet', config}, weights named by their
 * reference state_dict keys in tfjs layout, buffers included (the neighbour indices as int32).
 */
export async function saveModel(
  target: tf.io.IOHandler | string,
  config: MASRNetConfig,
  weights: ReferenceWeight[],
  buffers: ReferenceBuffer[],
): Promise<void> {
  const handler = saveHandler(target);
  if (!handler.save) throw new Error('MASRNet.save: this IO handler cannot save');
  const named: tf.NamedTensorMap = {};
  for (const w of weights) named[w.key] = w.variable.read();
  const owned: tf.Tensor[] = [];
  for (const b of buffers) {
    const t = tf.tensor(Array.from(b.get()), b.shape, b.dtype === 'I64' ? 'int32' : 'float32');
    owned.push(t);
    named[b.key] = t;
  }
  try {
    const { data, specs } = await tf.io.encodeWeights(named);
    await handler.save({
      modelTopology: { className: TOPOLOGY_CLASS, config: JSON.parse(JSON.stringify(config)) },
      format: MODEL_FORMAT,
      generatedBy: 'masr-net',
      weightSpecs: specs,
      weightData: data,
    });
  } finally {
    tf.dispose(owned);
  }
}

export interface LoadedArtifacts {
  config: MASRNetConfig;
  tensors: tf.NamedTensorMap;
}

/** Reads what saveModel wrote. The caller owns (disposes) the tensors. */
export async function loadArtifacts(source: tf.io.IOHandler | string): Promise<LoadedArtifacts> {
  const handler = loadHandler(source);
  if (!handler.load) throw new Error('MASRNet.load: this IO handler cannot load');
  const artifacts = await handler.load();
  const topology = artifacts.modelTopology as { className?: string; config?: MASRNetConfig } | undefined;
  if (artifacts.format !== MODEL_FORMAT || topology?.className !== TOPOLOGY_CLASS || !topology.config) {
    throw new Error(
      `MASRNet.load: not a masr-net model (format '${String(artifacts.format)}', class '${String(topology?.className)}')`,
    );
  }
  if (!artifacts.weightSpecs || !artifacts.weightData) throw new Error('MASRNet.load: the model has no weights');
  const data = Array.isArray(artifacts.weightData)
    ? tf.io.concatenateArrayBuffers(artifacts.weightData)
    : artifacts.weightData;
  // tfjs would decode past the end of short data (or fail with a RangeError that names no file).
  const expected = weightBytes(artifacts.weightSpecs);
  if (expected !== null && data.byteLength !== expected)
    throw new Error(`MASRNet.load: the weight data holds ${data.byteLength} bytes, its manifest lists ${expected}`);
  return { config: topology.config, tensors: tf.io.decodeWeights(data, artifacts.weightSpecs) };
}

/** Writes loaded tensors into the weights and buffers; throws listing unknown, missing and mis-shaped names. */
export function assignLoaded(tensors: tf.NamedTensorMap, weights: ReferenceWeight[], buffers: ReferenceBuffer[]): void {
  const known = new Set([...weights.map((w) => w.key), ...buffers.map((b) => b.key)]);
  const unknown = Object.keys(tensors).filter((k) => !known.has(k));
  const missing = [...known].filter((k) => !(k in tensors));
  const misShaped: string[] = [];
  for (const w of weights) {
    const t = tensors[w.key];
    if (t && !tf.util.arraysEqual(t.shape, w.variable.shape as number[]))
      misShaped.push(`${w.key} [${t.shape}] (expected [${w.variable.shape}])`);
  }
  for (const b of buffers) {
    const t = tensors[b.key];
    if (t && !tf.util.arraysEqual(t.shape, b.shape)) misShaped.push(`${b.key} [${t.shape}] (expected [${b.shape}])`);
  }
  const problems: string[] = [];
  if (unknown.length) problems.push(`unknown weights: ${unknown.join(', ')}`);
  if (missing.length) problems.push(`missing weights: ${missing.join(', ')}`);
  if (misShaped.length) problems.push(`mis-shaped weights: ${misShaped.join(', ')}`);
  if (problems.length)
    throw new Error(`MASRNet.load: the saved weights do not match the saved config — ${problems.join('; ')}`);
  for (const w of weights) w.variable.write(tensors[w.key]!);
  for (const b of buffers) b.set(tensors[b.key]!.dataSync());
}
