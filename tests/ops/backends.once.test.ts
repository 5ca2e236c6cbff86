// cpu vs wasm: every backend-safe op gives the same forward values and gradients on both backends.
// Runs once (wasm project); switches to cpu inside the test and back.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend, type BackendName } from '../../src/backend';
import { topkMask } from '../../src/ops';
import { maxAbsDiff, randomArray } from '../helpers/gradcheck';
import { OP_CASES, type OpCase } from './cases';

const home = tf.getBackend() as BackendName;
const other: BackendName = home === 'cpu' ? 'wasm' : 'cpu';

/** Forward output and the gradient of Σ f · R (R fixed) for every input, as plain arrays. */
function evaluate(c: OpCase): { y: Float32Array; grads: Float32Array[] } {
  const inputs = c.inputs();
  const y = c.f(...inputs);
  const r = tf.tensor(randomArray(y.size, 77), y.shape);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(c.f(...xs), r)))(inputs);
  const out = { y: y.dataSync() as Float32Array, grads: grads.map((g) => g.dataSync() as Float32Array) };
  tf.dispose([...inputs, y, r, ...grads]);
  return out;
}

async function onBoth<T>(run: () => T): Promise<[T, T]> {
  const a = run();
  await selectBackend(other);
  try {
    return [a, run()];
  } finally {
    await selectBackend(home);
  }
}

const table: string[] = [];
afterAll(() => console.log(`max |${home} - ${other}| (forward, gradient)\n${table.join('\n')}`));

describe(`${home} vs ${other}`, () => {
  for (const c of OP_CASES) {
    it(c.name, async () => {
      const [a, b] = await onBoth(() => evaluate(c));
      expect(tf.getBackend()).toBe(home);
      const fwd = maxAbsDiff(a.y, b.y);
      const grad = Math.max(...a.grads.map((g, i) => maxAbsDiff(g, b.grads[i]!)));
      table.push(`${c.name.padEnd(42)} ${fwd.toExponential(2)}  ${grad.toExponential(2)}`);
      expect(fwd).toBeLessThan(1e-5);
      expect(grad).toBeLessThan(1e-4);
    });
  }

  it('topkMask breaks ties the same way on both backends', async () => {
    const v = [0.3, 0.5, 0.5, 0.1, 0.5, 0.2, 0.2, 0.2, 0.2, 0.7, 0.7, 0.1];
    const [a, b] = await onBoth(() => {
      const s = tf.tensor2d(v, [2, 6]);
      const { indices, mask } = topkMask(s, 2);
      const out = [Array.from(indices.dataSync()), Array.from(mask.dataSync())];
      tf.dispose([s, indices, mask]);
      return out;
    });
    expect(a).toEqual(b);
  });
});
