// Run by backend.once.test.ts in a fresh process: the same trainStep on cpu and on wasm set with a plain
// tf.setBackend (no selectBackend), deterministic (no dropout, no sampled expert), same weights. Prints one JSON line.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { MASRNet, presetConfig, type MASRNetConfig } from '../../src/index';
setWasmPaths(process.cwd() + '/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
// The lolv1 preset with every dropout 0 and no sampled expert.
const det = {
  ...(JSON.parse(JSON.stringify(presetConfig('lolv1')), (k, v) => (/dropout/i.test(k) ? 0 : v)) as MASRNetConfig),
  sampleSecondExpert: 'never' as const,
};
async function norm(backend: string, w?: Uint8Array) {
  await tf.setBackend(backend);
  const m = MASRNet.fromConfig(det);
  if (w) m.loadSafetensors(w);
  const bytes = m.toSafetensors();
  const n = 2 * 64 * 64 * 3;
  const x = tf.tensor4d(
    Float32Array.from({ length: n }, (_, i) => (Math.sin(i) + 1) / 2),
    [2, 64, 64, 3],
  );
  const y = tf.tensor4d(
    Float32Array.from({ length: n }, (_, i) => (Math.cos(i * 0.7) + 1) / 2),
    [2, 64, 64, 3],
  );
  const r = m.trainStep(tf.train.sgd(0), x, y, { microBatch: 1 });
  return { r, bytes };
}
const c = await norm('cpu');
const w = await norm('wasm', c.bytes).catch((e: unknown) => ({ r: String(e).split('\n')[0] }));
console.log(JSON.stringify({ cpu: c.r, wasm: w.r }));
