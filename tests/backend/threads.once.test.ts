// tfjs-backend-wasm's multi-threaded build in Node (src/wasm-threads.ts): starts with the asked thread count, gives
// the reference's numbers, keeps masr-net's kernels, and lets the process exit.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend';
import { batchMatMulSimdActive } from '../../src/kernels/batch-matmul';
import { GELU_KERNEL, geluSimdActive } from '../../src/kernels/gelu';
import { runParity } from '../../src/models/index';
import { FIXTURES, hasFixtures } from '../helpers/fixtures';

describe('wasm with 2 XNNPACK threads', () => {
  it('rejects a thread count outside 1..8 by name', async () => {
    for (const threads of [0, 1.5, 9]) {
      await expect(selectBackend('wasm', { threads })).rejects.toThrow(/threads must be an integer from 1 to 8/);
      // In 'auto' too: a bad count must not quietly fall through to the cpu backend.
      await expect(selectBackend('auto', { threads })).rejects.toThrow(/threads must be an integer from 1 to 8/);
    }
  });

  it('starts with 2 threads and keeps the in-heap copy kernels, the SIMD GELU and batched products (shared heap)', async () => {
    const choice = await selectBackend('wasm', { threads: 2 });
    expect(choice).toEqual({ name: 'wasm', reason: 'requested explicitly, 2 threads' });
    const wasm = (
      tf.backend() as unknown as { wasm: { tfjs: { getThreadsCount(): number }; wasmMemory: WebAssembly.Memory } }
    ).wasm;
    expect(wasm.tfjs.getThreadsCount()).toBe(2);
    expect(wasm.wasmMemory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect((tf.getKernel('Slice', 'wasm') as { masrOverride?: boolean }).masrOverride).toBe(true);
    expect(geluSimdActive()).toBe(true);
    const x = tf.linspace(-6, 6, 1001);
    const y = tf.engine().runKernel(GELU_KERNEL, { x }) as tf.Tensor;
    const composed = tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
    expect(tf.max(tf.abs(tf.sub(y, composed))).dataSync()[0]).toBeLessThan(2e-6);
    tf.dispose([x, y, composed]);
    expect(batchMatMulSimdActive(tf.backend(), 'wasm')).toBe(true);
    // Distinct entries (every index error shows): a[t, i, q] = t + i + q, b[t, q, j] = t * j - q.
    const a = tf.tensor3d(
      Array.from({ length: 12 }, (_, n) => Math.floor(n / 6) + (Math.floor(n / 2) % 3) + (n % 2)),
      [2, 3, 2],
    );
    const b = tf.tensor3d(
      Array.from({ length: 20 }, (_, n) => Math.floor(n / 10) * (n % 5) - (Math.floor(n / 5) % 2)),
      [2, 2, 5],
    );
    const p = tf.matMul(a, b);
    const want: number[] = [];
    for (let t = 0; t < 2; t++)
      for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) want.push((t + i) * (t * j) + (t + i + 1) * (t * j - 1));
    expect(Array.from(p.dataSync())).toEqual(want);
    tf.dispose([a, b, p]);
  });

  it.skipIf(!hasFixtures)('matches the reference fixture at every stage', () => {
    const report = runParity(
      readFileSync(join(FIXTURES, 'masr_v1_seed0_weights.safetensors')),
      readFileSync(join(FIXTURES, 'masr_v1_seed0_activations.safetensors')),
    );
    for (const s of report.stages) expect(s.maxAbsError, s.name).toBeLessThanOrEqual(s.tolerance);
    expect(report.ok).toBe(true);
  });

  it('lets a script exit on its own (the pool threads do not hold Node open)', () => {
    const code =
      `(async () => { const tf = await import('@tensorflow/tfjs-core');` +
      `const { selectBackend } = await import(${JSON.stringify(resolve('src/backend.ts'))});` +
      `await selectBackend('wasm', { threads: 2 });` +
      `console.log(tf.sum(tf.conv2d(tf.ones([1, 32, 32, 8]), tf.ones([3, 3, 8, 8]), 1, 'same')).dataSync()[0]); })()`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', code], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    // Interior pixels see 3x3x8 ones, edges 2x3x8, corners 2x2x8; 8 output maps.
    expect(Number(out.trim())).toBe(8 * (30 * 30 * 72 + 4 * 30 * 48 + 4 * 32));
  });
});
