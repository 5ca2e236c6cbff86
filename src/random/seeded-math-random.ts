import { Rng } from './rng';

/**
 * Run `fn` with `Math.random` replaced by a generator seeded with `seed`, then restore it.
 * tfjs draws the seeds of unseeded random ops (weight initialisers, dropout masks, sampled experts) from Math.random,
 * so this makes model creation and each training step reproducible from `--seed`. `fn` must be synchronous: the
 * substitution must not leak into unrelated code running later.
 */
export function withSeededRandom<T>(seed: number, fn: () => T): T {
  const original = Math.random;
  const rng = new Rng(seed);
  Math.random = () => rng.next();
  try {
    const out = fn();
    if (out instanceof Promise) throw new Error('withSeededRandom: fn must be synchronous');
    return out;
  } finally {
    Math.random = original;
  }
}
