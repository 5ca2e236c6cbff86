// Where the time of one MASR-Net forward goes, per stage and per tfjs kernel.
// Run: npx tsx benchmarks/profile.ts [backend=wasm] [HxW=400x600] [preset=lolv1]
// Stages are timed between the network's stage records (tfjs-wasm and cpu run kernels synchronously, so the
// differences are the stages' own compute); kernels come from tf.profile.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendName } from '../src/backend';
import { MASRNet, type MASRNetPreset } from '../src/index';

const [backendArg, sizeArg, presetArg] = process.argv.slice(2);
await selectBackend((backendArg ?? 'wasm') as BackendName);
const [h, w] = (sizeArg ?? '400x600').split('x').map(Number) as [number, number];
const model = MASRNet.create((presetArg ?? 'lolv1') as MASRNetPreset);
const x = tf.randomUniform([1, h, w, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
model.enhance(x).dispose(); // warm-up

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

const info = await tf.profile(() => tf.tidy(() => model.enhance(x).dataSync()));
const byKernel = new Map<string, number>();
for (const k of info.kernels) {
  // 'unnamed scope' is a custom-gradient wrapper: its time already includes the kernels inside it.
  if (k.name === 'unnamed scope') continue;
  byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
}
console.log('\nkernel time by kernel (ms):');
for (const [name, ms] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`  ${ms.toFixed(0).padStart(6)}  ${name}`);
}
x.dispose();
model.dispose();
