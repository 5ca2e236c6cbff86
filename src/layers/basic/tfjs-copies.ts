import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * Thrown when a layer receives a tensor made by another copy of TensorFlow.js than the one masr-net imports. Two copies
 * load when the package is installed from a folder (a symlink, `npm link`, a monorepo without deduplication): each
 * resolves its own `@tensorflow/tfjs-core` / `@tensorflow/tfjs-layers`. The first signs are the warning
 * "Platform node has already been set" and, on the first symbolic call, "The args passed in customGrad(f)(x1, x2,...)
 * must all be tensors"; this error replaces the second with the fix.
 */
export class DuplicateTfjsError extends Error {
  constructor(where: string, input: 'symbolic' | 'tensor') {
    const what =
      input === 'symbolic'
        ? 'the symbolic input (tf.input / SymbolicTensor) comes from a different copy of @tensorflow/tfjs-layers'
        : 'the input tensor comes from a different copy of @tensorflow/tfjs-core';
    super(
      `${where}: ${what} ` +
        'than the one masr-net uses: two copies of TensorFlow.js are loaded. This happens when masr-net is installed ' +
        'from a folder (a symlink or `npm link`), which resolves its own node_modules/@tensorflow. Fix: make one copy ' +
        'resolve (`npm dedupe`; install masr-net from a tarball made by `npm pack`, not a link; with a bundler, ' +
        "alias '@tensorflow/tfjs-core' and '@tensorflow/tfjs-layers' to your app's copy (webpack resolve.alias, vite " +
        'resolve.dedupe) and do not preserve symlinks (Node: no --preserve-symlinks).',
    );
    this.name = 'DuplicateTfjsError';
  }
}

function isForeignSymbolic(x: object): boolean {
  if (x instanceof tfl.SymbolicTensor) return false;
  return x.constructor?.name === 'SymbolicTensor' || ('sourceLayer' in x && 'nodeIndex' in x);
}

// tf.Tensor's instanceof is duck-typed (it accepts any copy's tensors), so the prototype chain is compared instead.
function isForeignTensor(x: object): boolean {
  return x instanceof tf.Tensor && !Object.prototype.isPrototypeOf.call(tf.Tensor.prototype, x);
}

/**
 * Throws a {@link DuplicateTfjsError} if any of `inputs` is a tensor or symbolic tensor of another TensorFlow.js copy
 * (checked on every layer call: a prototype comparison per input). `where` names the caller in the message.
 */
export function assertSingleTfjs(inputs: unknown, where: string): void {
  const list: unknown[] = Array.isArray(inputs) ? inputs : [inputs];
  for (const x of list) {
    if (x == null || typeof x !== 'object') continue;
    if (isForeignSymbolic(x)) throw new DuplicateTfjsError(where, 'symbolic');
    if (isForeignTensor(x)) throw new DuplicateTfjsError(where, 'tensor');
  }
}
