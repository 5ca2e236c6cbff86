import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from './wasm-heap';

/**
 * A float32 kernel written in JavaScript for the wasm and cpu backends: named inputs, one output shaped like the
 * first input, computed on the backend's own memory (tfjs's wasm heap, the cpu backend's arrays) without copies.
 */
export interface FloatKernelSpec {
  name: string;
  inputs: string[];
  /**
   * Fills `out` from `ins` (all of it on cpu; on wasm, what `wasmPrefix` left). `shape` is the first input's, `attrs`
   * the kernel call's attributes.
   */
  js: (ins: Float32Array[], out: Float32Array, shape: readonly number[], attrs: tf.NamedAttrMap) => void;
  /** wasm only: runs first on the heap views and returns how many leading elements it computed. */
  wasmPrefix?: (backend: unknown, ins: Float32Array[], out: Float32Array, attrs: tf.NamedAttrMap) => number;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

function wasmKernel({ inputs: names, js, wasmPrefix }: FloatKernelSpec) {
  return ({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo => {
    const b = backend as WasmBackendLike & { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
    const shape = inputs[names[0]!]!.shape;
    const out = b.makeOutput([...shape], 'float32');
    // Views are taken after makeOutput: allocating may grow (and detach) the heap.
    const ins = names.map((n) => b.typedArrayFromHeap(inputs[n]!));
    const outView = b.typedArrayFromHeap(out);
    const done = wasmPrefix ? wasmPrefix(backend, ins, outView, attrs) : 0;
    if (done < outView.length) {
      js(
        ins.map((a) => a.subarray(done)),
        outView.subarray(done),
        shape,
        attrs,
      );
    }
    return out;
  };
}

function cpuKernel({ inputs: names, js }: FloatKernelSpec) {
  return ({ inputs, backend, attrs = {} }: KernelArgs): tf.TensorInfo => {
    const b = backend as {
      readSync(id: tf.DataId): Float32Array;
      makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
    };
    const shape = inputs[names[0]!]!.shape;
    const out = new Float32Array(tf.util.sizeFromShape(shape));
    js(
      names.map((n) => b.readSync(inputs[n]!.dataId)),
      out,
      shape,
      attrs,
    );
    return b.makeTensorInfo([...shape], 'float32', out);
  };
}

/** Register the kernel for 'wasm' and 'cpu', once per tfjs-core instance. */
export function registerFloatKernel(spec: FloatKernelSpec): void {
  const funcs = { wasm: wasmKernel(spec), cpu: cpuKernel(spec) };
  for (const [backendName, kernelFunc] of Object.entries(funcs)) {
    if (tf.getKernel(spec.name, backendName)) continue;
    tf.registerKernel({ kernelName: spec.name, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}

/** Whether the active backend has the kernel and it applies to `dtype` (float32 only). */
export function hasFloatKernel(name: string, dtype: tf.DataType): boolean {
  return dtype === 'float32' && tf.getKernel(name, tf.getBackend()) != null;
}
