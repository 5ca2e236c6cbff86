import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { AdamW } from '../../src/cli/adamw';
import { clipByGlobalNorm } from '../../src/models';

/** PyTorch AdamW on plain numbers (float64), the reference the implementation must follow. */
function referenceAdamW(p: number[], grads: number[][], lrs: number[], wd: number): number[] {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, t0) => {
    const t = t0 + 1;
    const lr = lrs[t0]!;
    for (let i = 0; i < p.length; i++) {
      p[i]! *= 1 - lr * wd;
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - b2 ** t) + eps;
      p[i]! -= (lr / (1 - b1 ** t)) * (m[i]! / denom);
    }
  });
  return p;
}

describe(`AdamW (${tf.getBackend()})`, () => {
  it('matches PyTorch AdamW step for step, and its state round-trips', () => {
    const start = [0.5, -1.25, 2, 0.01];
    const grads = [
      [0.1, -0.2, 0.3, 0],
      [-0.05, 0.4, 0.1, 1e-3],
      [0.2, 0.2, -0.6, -0.01],
    ];
    const lrs = [1e-2, 5e-3, 2e-3];
    const before = tf.memory().numTensors;
    const x = tf.tidy(() => tf.variable(tf.tensor1d(start)));
    const opt = new AdamW([x], { weightDecay: 0.1 });
    grads.forEach((g, i) => {
      const gt = tf.tensor1d(g);
      opt.step([gt], lrs[i]!);
      gt.dispose();
    });
    const expected = referenceAdamW([...start], grads, lrs, 0.1);
    Array.from(x.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    expect(opt.iterations).toBe(3);

    // A second optimizer restored from the state continues identically.
    const state = opt.getState();
    const y = tf.tidy(() => tf.variable(x.clone()));
    const opt2 = new AdamW([y], { weightDecay: 0.1 });
    opt2.setState(state);
    const g = tf.tensor1d([0.3, 0.1, -0.2, 0.05]);
    opt.step([g], 1e-3);
    opt2.step([g], 1e-3);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(() => opt2.setState({ ...state, m: [] })).toThrow(/state has 0 moments, the model has 1 variables/);
    tf.dispose([g, x, y]);
    opt.dispose();
    opt2.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('clips by global norm like clip_grad_norm_', () => {
    const a = tf.tensor1d([3, 0]);
    const b = tf.tensor1d([0, 4]);
    const r = clipByGlobalNorm([a, null, b], 1);
    expect(r.norm).toBeCloseTo(5, 6);
    expect(r.clipped).toBe(true);
    expect(Array.from(r.grads[0]!.dataSync())[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    expect(r.grads[1]).toBeNull();
    const small = clipByGlobalNorm([a, b], 10);
    expect(small.clipped).toBe(false);
    expect(small.grads[0]).toBe(a);
    tf.dispose([a, b, r.grads[0]!, r.grads[2]!]);
  });
});
