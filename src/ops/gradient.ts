import * as tf from '@tensorflow/tfjs-core';

/**
 * `forward(...inputs)` with a hand-written gradient: `backward(dy, inputs)` returns one gradient per input.
 * A typed wrapper over `tf.customGrad`; tensors captured by the closures are treated as constants.
 */
export function withGradient<T extends tf.Tensor>(
  inputs: tf.Tensor[],
  forward: (...xs: tf.Tensor[]) => T,
  backward: (dy: T, xs: tf.Tensor[]) => tf.Tensor[],
): T {
  const f = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xs = args.slice(0, -1) as tf.Tensor[];
    save(xs);
    return {
      value: forward(...xs),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => backward(dy as T, saved),
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return f(...inputs) as T;
}

/**
 * Identity in the forward pass, zero gradient in the backward pass.
 * tfjs has no stop-gradient; ops without a gradient (topk, equal, argMax, comparisons) must only
 * ever see tensors passed through this, or backprop throws "gradient function not found".
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return withGradient(
    [x],
    (a) => tf.clone(a) as T,
    (dy) => [tf.zerosLike(dy)],
  );
}
