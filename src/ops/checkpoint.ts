import * as tf from '@tensorflow/tfjs-core';
import { withGradient } from './gradient';

/**
 * Gradient checkpointing: `fn(...inputs)` whose intermediate tensors are freed after the forward pass and recomputed
 * in the backward pass.
 *
 * Why: inside `tf.grads` / `optimizer.minimize` tfjs keeps every tensor the forward pass created until the backward
 * pass ends, and the wasm backend's heap is capped (a batch-4 256x256 MASR-Net step needs >8 GB that way). Ops run
 * inside a custom-gradient forward are not taped, so only the inputs and the output stay alive.
 *
 * `fn` receives `(...inputs, ...constants)`; constants (targets, masks) get no gradient. `params` are the variables
 * `fn` reads from its closure (layer weights): they must be listed so they receive gradients. `fn` must be deterministic: dropout inside it must use `seededDropoutScope` (see dropout in layers).
 */
export function checkpoint<T extends tf.Tensor>(
  fn: (...xs: tf.Tensor[]) => T,
  inputs: tf.Tensor[],
  params: tf.Variable[] = [],
  constants: tf.Tensor[] = [],
): T {
  const n = inputs.length;
  const seed = nextScopeSeed();
  const run = (xs: tf.Tensor[], cs: tf.Tensor[]) => withDropoutSeed(seed, () => fn(...xs, ...cs));
  return withGradient(
    [...inputs, ...params],
    (...all) => run(all.slice(0, n), constants),
    (dy, saved) => {
      // saved = [...inputs, ...params, ...constants]. Recompute under a fresh tape; the variables are the closure's
      // own tensors, so tf.grads reaches them.
      const cs = saved.slice(n + params.length);
      const xs = [...saved.slice(0, n), ...params];
      return withOwnTape(() => {
        // allowNoGradients: a listed variable may go unused in this call (e.g. a sub-layer switched off).
        const { grads } = tf.engine().gradients(() => run(xs.slice(0, n), cs), xs, dy, true);
        return grads.map((g, i) => g ?? tf.zerosLike(xs[i]!));
      });
    },
    constants,
  );
}

let scopeSeed: number | null = null;
let scopeCounter = 0;

/**
 * A checkpoint's dropout seed: inside another checkpoint, derived from the outer one (so the outer recomputation
 * reproduces it); otherwise drawn from Math.random, which a seeded training loop controls.
 */
function nextScopeSeed(): number {
  return scopeSeed !== null ? scopedRandomSeed()! : Math.floor(Math.random() * 2147483647);
}

function withDropoutSeed<T>(seed: number, f: () => T): T {
  const prev = [scopeSeed, scopeCounter] as const;
  scopeSeed = seed;
  scopeCounter = 0;
  try {
    return f();
  } finally {
    [scopeSeed, scopeCounter] = prev;
  }
}

/**
 * The seed for the next random op inside a checkpointed function (so its recomputation draws the same masks),
 * or undefined outside one.
 */
export function scopedRandomSeed(): number | undefined {
  if (scopeSeed === null) return undefined;
  return scopeSeed + 7919 * ++scopeCounter;
}

/**
 * Runs a nested `tf.grads` from inside an outer backward pass. tfjs 4.22's engine starts a fresh tape when the
 * gradient depth is 0 (which it is during backprop) and sets `activeTape` to null when done, which makes the outer
 * `gradients` call crash while cleaning up its own tape: keep the outer tape and put it back.
 */
function withOwnTape<T>(f: () => T): T {
  const state = (tf.engine() as unknown as { state: { activeTape: unknown } }).state;
  const outer = state.activeTape;
  try {
    return f();
  } finally {
    state.activeTape = outer;
  }
}
