import * as tf from '@tensorflow/tfjs-core';

/**
 * `forward(...inputs)` with a hand-written gradient: `backward(dy, saved)` returns one gradient per input, where
 * `saved` is `[...inputs, ...constants]`. A typed wrapper over `tf.customGrad`.
 *
 * Tensors the backward pass needs besides the inputs (indices, masks) must be passed as `constants`, not captured
 * by the closure: inside `tf.grads` / `optimizer.minimize` the forward pass runs in a tidy scope, so a tensor created
 * there and only captured would already be disposed when the gradient runs. Constants get no gradient. `saveOutput`
 * appends the forward's result to `saved`.
 */
export function withGradient<T extends tf.Tensor>(
  inputs: tf.Tensor[],
  forward: (...xs: tf.Tensor[]) => T,
  backward: (dy: T, saved: tf.Tensor[]) => tf.Tensor[],
  constants: tf.Tensor[] = [],
  saveOutput = false,
): T {
  const f = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xs = args.slice(0, -1) as tf.Tensor[];
    const value = forward(...xs);
    // With saveOutput, the output follows the constants in `saved` (e.g. a ReLU's mask without the pre-activation).
    save(saveOutput ? [...xs, ...constants, value] : [...xs, ...constants]);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => backward(dy as T, saved),
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return f(...inputs) as T;
}

/**
 * A copy of `x` that autodiff sees as a constant (PyTorch `detach()`): no gradient flows back through it.
 *
 * The copy is made inside a custom-gradient op that has no recorded inputs, so the tape does not link it to `x`.
 * Ops without a gradient (topk, equal, logicalAnd, argMax, oneHot, ...) applied to it are then off the backprop
 * path and never reached — a zero-gradient op would not do: backprop still walks through every op downstream of it
 * and throws "gradient function not found" at the first op without one.
 * If `x` reaches the loss only through this, `x` gets no gradient (`tf.grads` throws, optimizers skip it).
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOf(() => tf.clone(x) as T);
}

/** The result of `f()` computed off the gradient tape: a constant for autodiff, none of f's intermediates kept. */
export function stopGradientOf<T extends tf.Tensor>(f: () => T): T {
  return withGradient(
    [],
    () => f(),
    () => [],
  );
}
