import * as tf from '@tensorflow/tfjs-core';
import { BATCH_MATMUL_SHARED_WASM_BASE64, BATCH_MATMUL_WASM_BASE64 } from './generated/batch-matmul-simd';
import { heapModule } from './heap-module';
import { byteOffset, bytesPer, copyRun, elementOffset, heapView, type WasmBackendLike } from './wasm-heap';
import type { KernelArgs, KernelFunc } from './wasm-overrides';

/**
 * BatchMatMul for tfjs-backend-wasm 4.x when there are several matrices per call.
 *
 * tfjs-wasm hands a single product to XNNPACK but runs batched products through a scalar loop, ~2 GFLOP/s: MASR-Net's
 * per-window attention ([3750, 6, 24] · [3750, 24, 64] at 400x600, and the transposed shapes of its gradient) cost
 * ~0.1 s per forward that way. batch-matmul.wat computes them in WebAssembly SIMD at ~15-23 GFLOP/s. Only the plain
 * case is taken (float32, no transpose flags, equal batch shapes, more than one matrix); everything else, and any
 * heap the module cannot bind to, goes to tfjs's kernel, guarded against its cache (withFreshB). Sums run in k order, like tfjs's loop, but products and
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

// The B layout each data buffer was first multiplied with (see withFreshB).
const firstLayout = new WeakMap<object, string>();

/**
 * tfjs-wasm 4.22 caches the XNNPACK operator of a product (B packed into its blocked layout) by B's *data*, not its
 * shape: multiplying by the same data reshaped (a gradient dy seen as [12, 128] by one product and [4, 384] by the
 * next) silently reuses the first packing and returns wrong numbers. A B whose data was already used with another
 * shape or transpose flag is copied to fresh data for the call (a copy of B, freed after).
 */
function withFreshB(args: KernelArgs, original: KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const b = args.inputs['b']!;
  const layout = `${b.shape.join(',')}|${(args.attrs as { transposeB?: boolean } | undefined)?.transposeB === true}`;
  const first = firstLayout.get(b.dataId);
  if (first === undefined) firstLayout.set(b.dataId, layout);
  const bytes = bytesPer(b.dtype);
  if (first === undefined || first === layout || bytes == null) return original(args);
  const backend = args.backend as WasmBackendLike & { disposeData(id: tf.DataId): boolean };
  const copy = backend.makeOutput([...b.shape], b.dtype);
  const heap = heapView(backend, bytes);
  copyRun(heap, elementOffset(backend, copy, bytes), elementOffset(backend, b, bytes), tf.util.sizeFromShape(b.shape));
  try {
    return original({ ...args, inputs: { ...args.inputs, b: copy } });
  } finally {
    backend.disposeData(copy.dataId);
  }
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
    const simd =
      transposeA ||
      transposeB ||
      a.dtype !== 'float32' ||
      b.dtype !== 'float32' ||
      batch < 2 ||
      !sameBatch(a.shape, b.shape) ||
      b.shape[rank - 2] !== k
        ? null
        : heapModule<SimdBatchMatMul>(args.backend, BATCH_MATMUL_WASM_BASE64, BATCH_MATMUL_SHARED_WASM_BASE64);
    if (!simd) return withFreshB(args, original);
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
