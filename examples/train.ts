/**
 * A complete MASR-Net training loop, written out: synthetic low-light pairs from photos, augmentation and batching
 * off the main thread, AdamW with warm-up + cosine, gradient clipping, validation PSNR/SSIM, saving.
 *
 *   npx tsx examples/train.ts [photos folder] [steps]
 *
 * Defaults: the bundled samples/photos/train, 30 steps (a minute or two on 2 cores with the wasm backend).
 * `masr-net train` is this loop plus checkpoints with optimizer state, exact resume, logs and curves.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { clipByGlobalNorm, evaluatePair, MASRNet, selectBackend } from 'masr-net';
import {
  AdamW,
  namedGradients,
  BatchLoader,
  bundledSamples,
  LOWLIGHT_V1,
  batchToTensors,
  enhanceImage,
  listImagesDeep,
  loadSample,
  sampleJob,
  warmupCosineLr,
  type PairSource,
} from 'masr-net/node';

const folder = process.argv[2] ?? join(bundledSamples(), 'photos', 'train');
const steps = Number(process.argv[3] ?? 30);
const seed = 1;

const backend = await selectBackend('auto');
console.log(`backend: ${backend.name} (${backend.reason})`);

// Data: the last photo is kept for validation; the others are darkened afresh every epoch (protocol lowlight-v1).
const photos = await listImagesDeep(folder);
const valPhotos = photos.splice(-1);
const train: PairSource = { kind: 'synthetic', photos, protocol: LOWLIGHT_V1, seed };
const val: PairSource = { kind: 'synthetic', photos: valPhotos, protocol: LOWLIGHT_V1, seed };
const valSample = await loadSample(sampleJob(val, 0, undefined, { crop: 128, center: true, seed: 0 }));
// Random 64x64 crops, flips and 90° turns, identical for input and target; decoded in a worker thread.
const loader = await BatchLoader.open(train, { batchSize: 2, crop: 64, seed, prefetch: 2, workers: 1 });

// Model and optimizer (the reference trains with AdamW, weight decay 1e-2, warm-up + cosine, clip at norm 1).
const model = MASRNet.create('lolv1');
const variables = model.trainableVariables;
const optimizer = new AdamW({ weightDecay: 1e-2 });
const schedule = { baseLr: 5e-4, warmupSteps: Math.max(1, Math.round(steps / 10)), totalSteps: steps };

const validate = () => evaluatePair(enhanceImage(model, valSample.input), valSample.target, { clip: true });
console.log(`before training: val PSNR ${validate().psnr.toFixed(2)} dB`);

for (let step = 0; step < steps; step++) {
  const batch = await loader.batch(step); // prefetched: the next batches are already being decoded
  const { input, target } = batchToTensors(batch);
  const { value, grads } = tf.variableGrads(
    () => model.computeLoss(input, target, { training: true }).total,
    variables,
  );
  const loss = value.dataSync()[0]!;
  if (!Number.isFinite(loss)) throw new Error(`loss is ${loss} at step ${step}`);
  const raw = variables.map((v) => grads[v.name] ?? null);
  const clipped = clipByGlobalNorm(raw, 1.0);
  optimizer.learningRate = warmupCosineLr(step, schedule);
  optimizer.applyGradients(namedGradients(variables, clipped.grads));
  tf.dispose([input, target, value, ...Object.values(grads)]);
  if (clipped.clipped) tf.dispose(clipped.grads.filter((g): g is tf.Tensor => g !== null));
  if ((step + 1) % 10 === 0)
    console.log(`step ${step + 1}/${steps}: loss ${loss.toFixed(4)}, |grad| ${clipped.norm.toFixed(3)}`);
}

const s = validate();
console.log(`after ${steps} steps: val PSNR ${s.psnr.toFixed(2)} dB, SSIM ${s.ssim.toFixed(4)}`);
await model.save('file://runs/example-train'); // load again with MASRNet.load('file://runs/example-train')
console.log('saved runs/example-train (model.json + weights.bin)');
await loader.close();
optimizer.dispose();
model.dispose();
