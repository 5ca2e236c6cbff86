import * as tf from '@tensorflow/tfjs-core';

/**
 * Counts synchronous tensor reads (dataSync / arraySync / bufferSync, the calls that stall WebGL and fail on WebGPU)
 * while f runs. Backend-internal reads of cpu/wasm kernels are host memory and are not counted.
 */
export async function countSyncReads<T>(f: () => T | Promise<T>): Promise<{ value: T; reads: number }> {
  const proto = tf.Tensor.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const names = ['dataSync', 'arraySync', 'bufferSync'];
  const originals = names.map((n) => proto[n]!);
  let reads = 0;
  names.forEach((n, i) => {
    proto[n] = function (this: unknown, ...a: unknown[]) {
      reads++;
      return originals[i]!.apply(this, a);
    };
  });
  try {
    return { value: await f(), reads };
  } finally {
    names.forEach((n, i) => (proto[n] = originals[i]!));
  }
}
