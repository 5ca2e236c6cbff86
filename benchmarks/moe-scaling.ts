// MoE k-scaling benchmark (not a test): forward + backward time of one MixtureOfExperts step with E experts fixed and
// k = 1..E, sparse dispatch vs the dense-mask path (every expert on every token). Sparse cost should grow ~ k/E.
// Run: npx tsx benchmarks/moe-scaling.ts [backend=wasm] [tokens=1024] [d=64] [repeats=3] [threads=1]
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendName } from '../src/backend';
import { MixtureOfExperts } from '../src/layers/exports-routing';

const [backendArg, tokensArg, dArg, repeatsArg, threadsArg] = process.argv.slice(2);
const backend = (backendArg ?? 'wasm') as BackendName;
const tokens = Number(tokensArg ?? 1024);
const d = Number(dArg ?? 64);
const repeats = Number(repeatsArg ?? 3);
const E = 8;
const hiddenSizes = [2 * d, 4 * d];

await selectBackend(backend, { threads: Number(threadsArg ?? 1) });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median ms of one forward + backward (all weight gradients) step, after one warm-up step. */
function timeStep(k: number, dispatch: 'sparse' | 'dense', x: tf.Tensor, proj: tf.Tensor): number {
  const layer = new MixtureOfExperts({ numExperts: E, k, hiddenSizes, dispatch, seed: 1 });
  tf.dispose(layer.apply(x) as tf.Tensor);
  const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const step = () => {
    const { value, grads } = tf.variableGrads(
      () =>
        tf.add(
          tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, proj)),
          layer.lastAux!.total,
        ) as tf.Scalar,
      vars,
    );
    // Reading the values forces the (asynchronous on some backends) computation to finish.
    value.dataSync();
    Object.values(grads).forEach((g) => g.dataSync());
    tf.dispose([value, ...Object.values(grads)]);
  };
  step();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  layer.dispose();
  return median(times);
}

const x = tf.randomNormal([tokens, d], 0, 1, 'float32', 7);
const proj = tf.randomNormal([tokens, d], 0, 1, 'float32', 8);
console.log(
  `MixtureOfExperts forward+backward, backend ${tf.getBackend()}, E=${E}, N=${tokens} tokens, ` +
    `d=${d}, expert ${d}-${hiddenSizes.join('-')}-${d} + ${d}x${d} output projection, median of ${repeats}`,
);
const rows: string[][] = [['k', 'k/E', 'sparse ms', 'dense ms', 'sparse/dense']];
for (let k = 1; k <= E; k++) {
  const sparse = timeStep(k, 'sparse', x, proj);
  const dense = timeStep(k, 'dense', x, proj);
  rows.push([String(k), (k / E).toFixed(3), sparse.toFixed(1), dense.toFixed(1), (sparse / dense).toFixed(3)]);
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
const line = (r: string[]) => `| ${r.map((v, c) => v.padStart(widths[c]!)).join(' | ')} |`;
console.log(line(rows[0]!));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
rows.slice(1).forEach((r) => console.log(line(r)));
tf.dispose([x, proj]);
