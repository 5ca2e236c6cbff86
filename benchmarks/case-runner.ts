// Runs one benchmark case on one backend in a fresh process (so peak RSS belongs to that case) and prints a JSON line.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendName } from '../src/backend';
import { CASES, prepareCase } from './cases';

const [id, backend, repeatsArg, warmupArg, threadsArg] = process.argv.slice(2);
const spec = CASES.find((c) => c.id === id);
if (!spec) throw new Error(`unknown case '${id}'`);
await selectBackend(backend as BackendName, { threads: Number(threadsArg ?? 1) });
const repeats = Number(repeatsArg ?? 5);
const warmup = Number(warmupArg ?? 1);

const prepared = await prepareCase(spec);
for (let i = 0; i < warmup; i++) await prepared.step();
const tensorsBefore = tf.memory().numTensors;
const times: number[] = [];
for (let i = 0; i < repeats; i++) {
  const t0 = performance.now();
  await prepared.step();
  times.push((performance.now() - t0) / 1000);
}
const tensorsAfter = tf.memory().numTensors;
await prepared.dispose();
// maxRSS is in kilobytes on Linux.
const peakRssGb = process.resourceUsage().maxRSS / 1024 / 1024;
console.log(JSON.stringify({ id, backend, times, flops: prepared.flops, tensorsBefore, tensorsAfter, peakRssGb }));
