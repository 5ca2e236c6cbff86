// Where the time of one MASR-Net forward (or one training micro-batch) goes, per stage and per tfjs kernel.
// Run: npx tsx benchmarks/profile.ts [backend=wasm] [HxW=400x600] [preset=lolv1] [threads=1] [forward|train]
// Stages are timed between the network's stage records (tfjs-wasm and cpu run kernels synchronously, so the
// differences are the stages' own compute); kernels come from tf.profile, grouped by kernel and by kernel + input
// shapes (PROFILE_TOP=n lists n of each, default 15). `train` profiles one image through the full composite loss (random VGG) and its gradients, the unit the
// trainer's micro-batches repeat.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendName } from '../src/backend';
import { batchGradients, MASRNet, VggPerceptualLoss, type MASRNetPreset } from '../src/index';

const [backendArg, sizeArg, presetArg, threadsArg, modeArg] = process.argv.slice(2);
await selectBackend((backendArg ?? 'wasm') as BackendName, { threads: Number(threadsArg ?? 1) });
const [h, w] = (sizeArg ?? '400x600').split('x').map(Number) as [number, number];
const mode = modeArg ?? 'forward';
const model = MASRNet.create((presetArg ?? 'lolv1') as MASRNetPreset);
const x = tf.randomUniform([1, h, w, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
const target = tf.randomUniform([1, h, w, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
const vgg = mode === 'train' ? VggPerceptualLoss.randomForTesting(0) : null;
const work =
  mode === 'train'
    ? () => {
        const { grads } = batchGradients(
          (a, b) => model.computeLoss(a, b, { training: true, perceptual: vgg }),
          model.trainableVariables,
          x,
          target,
          1,
        );
        tf.dispose(Object.values(grads));
      }
    : () => tf.tidy(() => void model.enhance(x).dataSync());
work(); // warm-up

if (mode === 'forward') {
  const stages: [string, number][] = [];
  let last = performance.now();
  const t0 = last;
  tf.tidy(() => {
    model.network.forward(x, {
      record: (name) => {
        const now = performance.now();
        stages.push([name, now - last]);
        last = now;
      },
    });
  });
  const total = performance.now() - t0;
  console.log(`forward ${h}x${w} on ${tf.getBackend()}: ${total.toFixed(0)} ms; time since the previous stage record:`);
  for (const [name, ms] of stages) if (ms >= 5) console.log(`  ${ms.toFixed(0).padStart(6)} ms  ${name}`);
} else {
  const t0 = performance.now();
  work();
  console.log(
    `training micro-batch (1 x ${h}x${w}, full loss) on ${tf.getBackend()}: ${(performance.now() - t0).toFixed(0)} ms`,
  );
}

const info = await tf.profile(work);
const byKernel = new Map<string, number>();
const byShape = new Map<string, [number, number]>();
const top = Number(process.env.PROFILE_TOP ?? 15);
for (const k of info.kernels) {
  // 'unnamed scope' and 'forward' (custom gradients) and '...__op' (tfjs op scopes) wrap kernels already counted.
  if (k.name === 'unnamed scope' || k.name === 'forward' || k.name.endsWith('__op')) continue;
  const ms = k.kernelTimeMs as number;
  byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + ms);
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const e = byShape.get(key) ?? [0, 0];
  byShape.set(key, [e[0] + ms, e[1] + 1]);
}
const kernelTotal = [...byKernel.values()].reduce((a, b) => a + b, 0);
console.log(`\nkernel time by kernel (ms; ${kernelTotal.toFixed(0)} in all, ${info.kernels.length} kernel calls):`);
for (const [name, ms] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`  ${ms.toFixed(0).padStart(6)}  ${name}`);
}
console.log('\nlargest kernel + input shapes (ms, calls):');
for (const [key, [ms, n]] of [...byShape].sort((a, b) => b[1][0] - a[1][0]).slice(0, top)) {
  console.log(`  ${ms.toFixed(0).padStart(6)} ${String(n).padStart(4)}  ${key}`);
}
tf.dispose([x, target]);
vgg?.dispose();
model.dispose();
