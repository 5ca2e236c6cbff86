import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Issue 13, item 12: the library must be correct on wasm however the backend was set. The script runs in a fresh
// process that never calls selectBackend (tests/setup does): plain `tf.setBackend('wasm')`, as users do. Before
// ensureKernels, its wasm gradient norm was NaN (tfjs-wasm's MatMul operator cache bug, unguarded).
describe('wasm backend set without selectBackend (issue 13)', () => {
  it('plain tf.setBackend("wasm"): trainStep (2x64x64, microBatch 1) matches the cpu backend', async () => {
    // Asynchronous: a blocking child would stall this worker's reporting to vitest for minutes on a loaded machine.
    const { stdout: out } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'tests/faults/plain-wasm-grads.mts'],
      { encoding: 'utf8', timeout: 600_000 },
    );
    const { cpu, wasm } = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(typeof wasm, `wasm trainStep failed: ${String(wasm)}`).toBe('object');
    const c = cpu as { loss: number; gradNorm: number };
    const w = wasm as { loss: number; gradNorm: number };
    expect(Number.isFinite(w.gradNorm)).toBe(true);
    expect(Math.abs(w.loss - c.loss)).toBeLessThan(1e-4 * c.loss);
    expect(Math.abs(w.gradNorm - c.gradNorm)).toBeLessThan(1e-3 * c.gradNorm);
  }, 900_000);
});
