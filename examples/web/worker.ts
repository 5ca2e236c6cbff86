// The model runs here, off the page's thread: the page stays responsive during a multi-second enhance.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as cpu from '@tensorflow/tfjs-backend-cpu';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import * as webgl from '@tensorflow/tfjs-backend-webgl';
import * as webgpu from '@tensorflow/tfjs-backend-webgpu';
import { MASRNet, PRETRAINED, presetConfig, selectBackend, type MASRNetConfig } from 'masr-net';
import { heatmap } from '../../src/viz/heatmap';
import { cacheWeights, cachedWeights, clearWeights } from './weights-cache';
import type { BackendId, EnhanceResult, InitResult, Pixels, Reply, Request, TrainStepResult } from './protocol';

const NAME = 'lowlight-v1';
let model: MASRNet | null = null;

async function init(backend: BackendId): Promise<InitResult> {
  const choice = await selectBackend(backend, { wasmPaths: './', modules: { cpu, wasm, webgl, webgpu } });
  const t0 = performance.now();
  const entry = PRETRAINED[NAME]!;
  let bytes = await cachedWeights(entry.sha256).catch(() => undefined);
  const weights = bytes ? 'indexeddb' : 'network';
  if (!bytes) {
    // Relative to the page: the build copies the package's weights/ next to index.html.
    const res = await fetch(`./weights/${entry.file}`);
    if (!res.ok) throw new Error(`fetching ./weights/${entry.file} gave HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  }
  // pretrained() checks the sha256, so a corrupt cache entry or download fails here, before it is cached.
  model = await MASRNet.pretrained(NAME, { bytes });
  if (weights === 'network') await cacheWeights(entry.sha256, bytes).catch(() => undefined);
  return { backend: choice.name, reason: choice.reason, weights, loadMs: performance.now() - t0 };
}

function toTensor(p: Pixels): tf.Tensor4D {
  return tf.tidy(() => {
    const rgba = tf.tensor3d(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.length), [p.height, p.width, 4], 'int32');
    return tf.expandDims(tf.div(tf.cast(tf.slice(rgba, [0, 0, 0], [-1, -1, 3]), 'float32'), 255), 0) as tf.Tensor4D;
  });
}

function toPixels(rgb: Float32Array, width: number, height: number): Pixels {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < width * height; i++, j += 3) {
    data[i * 4] = Math.round(rgb[j]! * 255);
    data[i * 4 + 1] = Math.round(rgb[j + 1]! * 255);
    data[i * 4 + 2] = Math.round(rgb[j + 2]! * 255);
    data[i * 4 + 3] = 255;
  }
  return { width, height, data };
}

async function mapPixels(map: tf.Tensor4D, label: string): Promise<Pixels> {
  const [, h, w] = map.shape;
  const img = heatmap((await map.data()) as Float32Array, w, h, label);
  return toPixels(img.data, w, h);
}

async function enhance(pixels: Pixels, raw: boolean): Promise<EnhanceResult> {
  if (!model) throw new Error('the model is not loaded yet');
  const t0 = performance.now();
  const x = toTensor(pixels);
  try {
    // Async all the way: no synchronous GPU read on webgl/webgpu.
    const r = await model.enhanceWithMapsAsync(x);
    const enhanced = (await r.enhanced.data()) as Float32Array;
    const ms = performance.now() - t0;
    const maps = {
      gamma: await mapPixels(r.display.gammaExponent, 'gamma'),
      colorStrength: await mapPixels(r.display.colorStrength, 'colour'),
      saturation: await mapPixels(r.display.saturationFactor, 'saturation'),
    };
    tf.dispose(r as unknown as tf.TensorContainer);
    return { enhanced: toPixels(enhanced, pixels.width, pixels.height), maps, ms, raw: raw ? enhanced : undefined };
  } finally {
    x.dispose();
  }
}

/**
 * One training step on a fixed synthetic pair (size x size), deterministic (no dropout, no sampled expert), from the
 * loaded weights: the browser test compares its gradient norm with Node's for the same weights and inputs.
 */
async function trainStep(size: number): Promise<TrainStepResult> {
  if (!model) throw new Error('the model is not loaded yet');
  const det = {
    ...(JSON.parse(JSON.stringify(presetConfig('lolv1')), (k, v) => (/dropout/i.test(k) ? 0 : v)) as MASRNetConfig),
    sampleSecondExpert: 'never' as const,
  };
  const m = MASRNet.fromConfig(det);
  m.loadSafetensors(model.toSafetensors());
  const n = 2 * size * size * 3;
  const x = tf.tensor4d(Float32Array.from({ length: n }, (_, i) => (Math.sin(i) + 1) / 2), [2, size, size, 3]);
  const y = tf.tensor4d(Float32Array.from({ length: n }, (_, i) => (Math.cos(i * 0.7) + 1) / 2), [2, size, size, 3]);
  const t0 = performance.now();
  try {
    // The async form: no synchronous read, so the same code trains on webgl/webgpu.
    const r = await m.trainStepAsync(tf.train.sgd(0), x, y, { microBatch: 1 });
    return { loss: r.loss, gradNorm: r.gradNorm, ms: performance.now() - t0 };
  } finally {
    tf.dispose([x, y]);
    m.dispose();
  }
}

/** Every stage of one forward pass, read asynchronously: compares backends stage by stage (tests/browser). */
async function stages(pixels: Pixels): Promise<Record<string, Float32Array>> {
  if (!model) throw new Error('the model is not loaded yet');
  const x = toTensor(pixels);
  const kept: [string, tf.Tensor][] = [];
  const out = model.network.forward(x, { record: (name, t) => kept.push([name, tf.keep(tf.clone(t))]) });
  const result: Record<string, Float32Array> = {};
  for (const [name, t] of kept) result[name] = (await t.data()) as Float32Array;
  tf.dispose([x, out.enhanced, out.aux, ...Object.values(out.maps ?? {}), ...kept.map(([, t]) => t)]);
  return result;
}

async function handle(req: Request): Promise<unknown> {
  switch (req.method) {
    case 'init':
      return init(req.backend);
    case 'enhance':
      return enhance(req.pixels, !!req.raw);
    case 'trainStep':
      return trainStep(req.size);
    case 'clearCache':
      return clearWeights();
    case 'stages':
      return stages(req.pixels);
  }
}

self.onmessage = async (e: MessageEvent<Request>) => {
  const req = e.data;
  let reply: Reply;
  try {
    reply = { id: req.id, ok: true, value: await handle(req) };
  } catch (err) {
    reply = { id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  (self as unknown as Worker).postMessage(reply);
};
