/**
 * Build your own restoration model from masr-net's public blocks, train it on synthetic low-light pairs, score it on
 * held-out pairs, save it and load it back (the walkthrough of docs/build-your-own.md).
 *
 *   npx tsx examples/custom-model.ts [--steps 300] [--photos folder] [--out runs/custom-model]
 *
 * The model, on 64×64 images: Conv2D stem -> 4×4 patches as tokens in windows of 4×4 tokens -> MixtureOfAttention
 * inside each window -> MixtureOfExperts with gated-linear ('glu') experts -> back to pixels -> per-pixel ISP maps ->
 * ApplyIsp, plus a learned residual for what a per-pixel ISP cannot do (the sensor noise of the synthetic pairs).
 * Defaults: the package's bundled sample photos (photos/train to train, photos/test held out), 300 steps of batch 4 on
 * the wasm backend: a few minutes on 2 cores. Exits with status 1 when the loaded model's output differs from the
 * trained model's.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  AdamW,
  ApplyIsp,
  Conv2D,
  DepthToSpace,
  LayerNorm,
  MixtureOfAttention,
  MixtureOfExperts,
  WindowPartition,
  WindowReverse,
  charbonnierLoss,
  evaluatePair,
  fileSystemHandler,
  selectBackend,
  trainStep,
  warmupCosineLr,
  type PairScores,
  type RoutingLayer,
} from 'masr-net';
import {
  BatchLoader,
  LOWLIGHT_V1,
  bundledSamples,
  listImagesDeep,
  loadSample,
  sampleJob,
  stackSamples,
  batchToTensors,
  tensorToImage,
  type PairSource,
} from 'masr-net/node';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '300' },
    photos: { type: 'string' },
    out: { type: 'string', default: 'runs/custom-model' },
  },
});
const steps = Number(args.steps);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got '${args.steps}'`);

const SIZE = 64; // image side: the model is built for one size (WindowReverse needs its grid)
const PATCH = 4; // patch side in pixels: one token per 4×4 patch
const WINDOW = 4; // window side in tokens: attention stays inside each 4×4-token window
const DIM = 32; // token width
const seed = 1;

const backend = await selectBackend('wasm');
console.log(`backend: ${backend.name} (${backend.reason})`);

/** The model, and its routed layers: their aux losses (load balance) join the loss of the eager loop below. */
function restorationModel(): { model: tfl.LayersModel; routed: RoutingLayer[] } {
  const add = (a: tfl.SymbolicTensor, b: tfl.SymbolicTensor) => tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor;
  const image = tfl.input({ shape: [SIZE, SIZE, 3], name: 'image' });
  // Full-resolution features. masr-net's Conv2D, not tf.layers.conv2d: the latter cannot train on wasm.
  const stem = new Conv2D({ filters: 16, kernelSize: 3, padding: 'reflect', activation: 'gelu' }).apply(image);
  const patches = new Conv2D({ filters: DIM, kernelSize: PATCH, strides: PATCH, padding: 'valid' }).apply(stem);
  let tokens = new WindowPartition({ windowSize: WINDOW }).apply(patches); // [B, 16 windows, 16 tokens, DIM]
  const moa = new MixtureOfAttention({ numExperts: 3, k: 2, headDim: 16 });
  const moe = new MixtureOfExperts({ numExperts: 4, k: 2, expert: { type: 'glu', hiddenSize: 64 } });
  tokens = add(tokens, moa.apply(new LayerNorm().apply(tokens))); // pre-norm residual blocks
  tokens = add(tokens, moe.apply(new LayerNorm().apply(tokens)));
  const grid = SIZE / PATCH;
  const features = new WindowReverse({ windowSize: WINDOW, outputSize: [grid, grid] }).apply(tokens);
  // Back to pixels: 16 channels for each pixel of a patch, beside the stem's features.
  const perPixel = new Conv2D({ filters: 16 * PATCH * PATCH, kernelSize: 1 }).apply(features);
  const up = new DepthToSpace({ blockSize: PATCH }).apply(perPixel);
  const both = tfl.layers.concatenate().apply([stem, up]) as tfl.SymbolicTensor;
  // ApplyIsp's maps after the image: gamma Δ [1], colour-matrix parameters [9], saturation logits [1].
  const maps = [1, 9, 1].map((filters) => new Conv2D({ filters, kernelSize: 3, padding: 'reflect' }).apply(both));
  const isp = new ApplyIsp().apply([image, ...maps]);
  const residual = new Conv2D({ filters: 3, kernelSize: 3, padding: 'reflect' }).apply(both);
  return { model: tfl.model({ inputs: image, outputs: add(isp, residual) }), routed: [moa, moe] };
}

// Data: well-exposed photos, darkened afresh every epoch by the lowlight-v1 protocol (exposure, white balance, noise).
let trainPhotos: string[];
let testPhotos: string[];
if (args.photos) {
  trainPhotos = await listImagesDeep(args.photos);
  testPhotos = trainPhotos.splice(-Math.max(1, Math.round(trainPhotos.length / 10)));
} else {
  trainPhotos = await listImagesDeep(join(bundledSamples(), 'photos', 'train'));
  testPhotos = await listImagesDeep(join(bundledSamples(), 'photos', 'test'));
}
if (trainPhotos.length === 0) throw new Error(`no training photos (${args.photos ?? bundledSamples()})`);
const train: PairSource = { kind: 'synthetic', photos: trainPhotos, protocol: LOWLIGHT_V1, seed };
const test: PairSource = { kind: 'synthetic', photos: testPhotos, protocol: LOWLIGHT_V1, seed: seed + 1 };
// Random crops with flips and 90° turns; decoding stays on this thread (small crops: a worker would not pay off).
const loader = await BatchLoader.open(train, { batchSize: 4, crop: SIZE, seed, workers: 0 });
// Held out: 4 random crops of each test photo, each darkened with its own seed.
const heldOut = await Promise.all(
  testPhotos.flatMap((_, i) => [0, 1, 2, 3].map((c) => loadSample(sampleJob(test, i, c, { crop: SIZE, seed: c })))),
);
console.log(`data: ${trainPhotos.length} training photos, ${heldOut.length} held-out ${SIZE}x${SIZE} pairs`);

const { model, routed } = restorationModel();
console.log(`model: ${model.countParams()} parameters`);
// A functional tf.model builds every layer when it is created, so the optimizer sees every variable from the first
// step (a layer used eagerly on its own needs layer.buildFor(shape) before the first minimize).
const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
/** The loss of one (micro-)batch. In an eager loop the routing aux losses are added by hand; `fit` adds them itself. */
const lossFn = (input: tf.Tensor4D, target: tf.Tensor4D) => {
  const pred = model.apply(input, { training: true }) as tf.Tensor; // tfjs types LayersModel.apply as a union
  const pixel = charbonnierLoss(pred, target);
  const aux = tf.addN(routed.map((l) => l.auxLosses().total)) as tf.Scalar;
  return { total: tf.add(pixel, aux) as tf.Scalar, terms: { pixel, aux } };
};
const optimizer = new AdamW({ learningRate: 2e-3, weightDecay: 1e-4 });
const schedule = { baseLr: 2e-3, warmupSteps: Math.max(1, Math.round(steps / 20)), totalSteps: steps };
const every = Math.max(1, Math.round(steps / 15));
let tensorsAfterFirstStep = 0;
const t0 = performance.now();
for (let step = 0; step < steps; step++) {
  const { input, target } = batchToTensors(await loader.batch(step));
  optimizer.learningRate = warmupCosineLr(step, schedule);
  // One AdamW update per batch of 4, computed as two passes of 2 images (micro-batches bound the memory of a pass;
  // not needed at 64×64, shown here), gradients clipped to norm 1. It throws on a non-finite loss or gradient.
  const { loss, terms } = trainStep(lossFn, variables, optimizer, input, target, { microBatch: 2, clipNorm: 1 });
  tf.dispose([input, target]);
  if (step === 0) tensorsAfterFirstStep = tf.memory().numTensors;
  if ((step + 1) % every === 0 || step + 1 === steps) {
    const perStep = (performance.now() - t0) / 1000 / (step + 1);
    console.log(
      `step ${step + 1}/${steps}  loss ${loss.toFixed(4)} (aux ${terms['aux']!.toFixed(4)})  ` +
        `lr ${optimizer.learningRate.toExponential(1)}  ${perStep.toFixed(2)} s/step`,
    );
  }
}
await loader.close();
const cpu = process.cpuUsage();
console.log(
  `training: ${((performance.now() - t0) / 1000).toFixed(0)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s CPU time of this process so far`,
);
console.log(`tensors: ${tensorsAfterFirstStep} after step 1, ${tf.memory().numTensors} after step ${steps}`);

// Scores as papers report them (PSNR / SSIM on [0, 255]): the dark input, then the model's output, vs the photo.
const { input: x } = batchToTensors(stackSamples(0, 0, heldOut));
const enhanced = model.predict(x) as tf.Tensor4D;
const mean = (scores: PairScores[]) => [
  scores.reduce((s, v) => s + v.psnr, 0) / scores.length,
  scores.reduce((s, v) => s + v.ssim, 0) / scores.length,
];
const before = mean(heldOut.map((p) => evaluatePair(p.input, p.target)));
const after = mean(heldOut.map((p, i) => evaluatePair(tensorToImage(enhanced, i), p.target, { clip: true })));
console.log(`held-out PSNR before ${before[0]!.toFixed(2)} dB, after ${after[0]!.toFixed(2)} dB`);
console.log(`held-out SSIM before ${before[1]!.toFixed(4)}, after ${after[1]!.toFixed(4)}`);

// Save (model.json + weights.bin, no tfjs-node needed) and load: masr-net's layers are registered for serialisation.
await model.save(fileSystemHandler(`file://${args.out}`));
const loaded = await tfl.loadLayersModel(fileSystemHandler(`file://${args.out}/model.json`));
const again = loaded.predict(x) as tf.Tensor4D;
const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(again, enhanced))).dataSync()[0]!);
console.log(`saved to ${args.out}; loaded model's output vs the trained model's: max |diff| ${diff}`);
tf.dispose([x, enhanced, again]);
if (!(diff <= 1e-6)) {
  console.error('the loaded model does not reproduce the trained model');
  process.exitCode = 1;
}
