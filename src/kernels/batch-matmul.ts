import type * as tf from '@tensorflow/tfjs-core';
import { BATCH_MATMUL_SHARED_WASM_BASE64, BATCH_MATMUL_WASM_BASE64 } from './batch-matmul-simd';
import { heapModule } from './heap-module';
import { byteOffset, type WasmBackendLike } from './wasm-heap';
import type { KernelFunc } from './wasm-overrides';

/**
 * BatchMatMul for tfjs-backend-wasm 4.x when there are several matrices per call.
 *
 * tfjs-wasm hands a single product to XNNPACK but runs batched products through a scalar loop, ~2 GFLOP/s: MASR-Net's
 * per-window attention ([3750, 6, 24] · [3750, 24, 64] at 400x600, and the transposed shapes of its gradient) cost
 * ~0.1 s per forward that way. batch-matmul.wat computes them in WebAssembly SIMD at ~15-23 GFLOP/s. Only the plain
 * case is taken (float32, no transpose flags, equal batch shapes, more than one matrix); everything else, and any
 * heap the module cannot bind to, goes to tfjs's kernel. Sums run in k order, like tfjs's loop, but products and
 * sums are separate roundings as in every wasm SIMD kernel (no fused multiply-add).
 */
interface SimdBatchMatMul {
  bmm(a: number, b: number, c: number, batch: number, m: number, k: number, n: number): void;
}

function sameBatch(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length || a.length < 3) return false;
  for (let i = 0; i < a.length - 2; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function batchMatMulKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const a = args.inputs['a']!;
    const b = args.inputs['b']!;
    const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const rank = a.shape.length;
    const batch = a.shape.slice(0, -2).reduce((p, s) => p * s, 1);
    const [m, k] = [a.shape[rank - 2]!, a.shape[rank - 1]!];
    const n = b.shape[rank - 1]!;
    if (
      transposeA ||
      transposeB ||
      a.dtype !== 'float32' ||
      b.dtype !== 'float32' ||
      batch < 2 ||
      !sameBatch(a.shape, b.shape) ||
      b.shape[rank - 2] !== k
    ) {
      return original(args);
    }
    const simd = heapModule<SimdBatchMatMul>(args.backend, BATCH_MATMUL_WASM_BASE64, BATCH_MATMUL_SHARED_WASM_BASE64);
    if (!simd) return original(args);
    const backend = args.backend as WasmBackendLike & { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
    const out = backend.makeOutput([...a.shape.slice(0, -2), m, n], 'float32');
    if (m === 0 || n === 0) return out;
    if (k === 0) {
      backend.typedArrayFromHeap(out).fill(0);
      return out;
    }
    simd.bmm(byteOffset(backend, a), byteOffset(backend, b), byteOffset(backend, out), batch, m, k, n);
    return out;
  };
}

/** Whether the active backend runs batched products in batch-matmul.wat (wasm, module bound to its heap). For tests. */
export function batchMatMulSimdActive(backend: unknown, backendName: string): boolean {
  return (
    backendName === 'wasm' &&
    heapModule<SimdBatchMatMul>(backend, BATCH_MATMUL_WASM_BASE64, BATCH_MATMUL_SHARED_WASM_BASE64) !== null
  );
}
