import * as tf from '@tensorflow/tfjs-core';
import { batchMatMulKernel } from './batch-matmul';
import { COPY_OVERRIDES } from './wasm-copies';

export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
export type KernelFunc = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** The wasm kernels replaced, each wrapping tfjs's own for the cases it leaves to it. */
const OVERRIDES: [string, (original: KernelFunc) => KernelFunc][] = [
  ...COPY_OVERRIDES,
  ['BatchMatMul', batchMatMulKernel],
];

/**
 * Replace tfjs-backend-wasm's Identity, Slice, SplitV, Concat (wasm-copies.ts) and BatchMatMul (batch-matmul.ts)
 * kernels; idempotent, other backends untouched.
 */
export function installWasmOverrides(): void {
  for (const [name, make] of OVERRIDES) {
    const existing = tf.getKernel(name, 'wasm') as (tf.KernelConfig & { masrOverride?: boolean }) | undefined;
    if (!existing || existing.masrOverride) continue;
    tf.unregisterKernel(name, 'wasm');
    // Keep tfjs's setupFunc: it binds the wrapped kernel's C entry point to each new wasm module (a threaded start
    // after a single-threaded one would otherwise call into the old module with the new heap's offsets).
    const config = {
      ...existing,
      kernelFunc: make(existing.kernelFunc as unknown as KernelFunc),
      masrOverride: true,
    };
    tf.registerKernel(config as unknown as tf.KernelConfig);
  }
}

/**
 * Install the overrides if the active backend is wasm, however it was set (`selectBackend` or a plain
 * `tf.setBackend('wasm')`): without the BatchMatMul cache guard tfjs-wasm returns wrong products, hence wrong
 * gradients. Called at the library's entry points (model forward, ops.matMul); a few map lookups, no allocation.
 */
export function ensureKernels(): void {
  // Before any op has run no backend is chosen yet: tf.backend() starts the best registered one, as the op would.
  if (!tf.getBackend()) tf.backend();
  if (tf.getBackend() === 'wasm') installWasmOverrides();
}
