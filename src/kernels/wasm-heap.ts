import type * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's BackendWasm that the JS kernels here use (it is not exported as a type). */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
  wasm: { HEAPU8: Uint8Array };
}

/** Bytes per element of the dtypes these kernels move (string tensors are left to tfjs's own kernels). */
export function bytesPer(dtype: tf.DataType): 1 | 4 | null {
  if (dtype === 'float32' || dtype === 'int32') return 4;
  if (dtype === 'bool') return 1;
  return null;
}

/**
 * A view of the whole wasm heap in units of `bytes`, plus the element offset of each tensor. Taken after every
 * `makeOutput` call: allocating can grow the heap, which detaches earlier views.
 */
export function heapView(backend: WasmBackendLike, bytes: 1 | 4): Int32Array | Uint8Array {
  const buffer = backend.wasm.HEAPU8.buffer;
  return bytes === 4 ? new Int32Array(buffer) : new Uint8Array(buffer);
}

/** Where a tensor's data starts in the heap, in bytes. */
export function byteOffset(backend: WasmBackendLike, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new Error('wasm kernel: tensor data is not on the wasm backend');
  return data.memoryOffset;
}

export function elementOffset(backend: WasmBackendLike, t: tf.TensorInfo, bytes: 1 | 4): number {
  return byteOffset(backend, t) / bytes;
}

/** Copy `n` elements inside one heap view; short runs are copied by hand (copyWithin's call cost dominates them). */
export function copyRun(heap: Int32Array | Uint8Array, dst: number, src: number, n: number): void {
  if (n > 24) {
    heap.copyWithin(dst, src, src + n);
    return;
  }
  for (let i = 0; i < n; i++) heap[dst + i] = heap[src + i]!;
}
