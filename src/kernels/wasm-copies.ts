import * as tf from '@tensorflow/tfjs-core';
import { bytesPer, copyRun, elementOffset, heapView, type WasmBackendLike } from './wasm-heap';
import type { KernelFunc } from './wasm-overrides';

/**
 * Identity, Slice, SplitV and Concat for tfjs-backend-wasm 4.x that share or copy inside the wasm heap.
 *
 * tfjs's gradient bookkeeping clones every tensor a gradient saves, and wasm's Identity kernel copies the data (the
 * cpu backend's shares it). tfjs tensors are immutable, so Identity shares it here too: same results, no copies
 * (~4% of a training step's time, and the copies' memory).
 *
 * tfjs's own wasm Slice is JavaScript that starts with `backend.readSync(x)`, which copies the *whole* input out of
 * the heap before taking the slice, then copies each output row through a fresh `subarray`; SplitV calls it once per
 * piece, so splitting a [9, 240000] colour-matrix map into planes copies 9 × 8.6 MB. Concat allocates a `subarray`
 * per (row, input), millions for channel-plane concatenations. Same results, bit for bit (tests/kernels).
 */

/**
 * Merge each axis into its predecessor when it is taken whole (begin 0, full size): the slice reads the same elements,
 * with fewer, longer rows (a channel split of [1, 400, 600, 18] becomes 240,000 rows of one run each).
 */
function collapseAxes(shape: number[], begin: number[], size: number[]): [number[], number[], number[]] {
  const s = [shape[0]!];
  const b = [begin[0]!];
  const z = [size[0]!];
  for (let i = 1; i < shape.length; i++) {
    const last = s.length - 1;
    if (begin[i] === 0 && size[i] === shape[i]) {
      s[last]! *= shape[i]!;
      b[last]! *= shape[i]!;
      z[last]! *= shape[i]!;
    } else {
      s.push(shape[i]!);
      b.push(begin[i]!);
      z.push(size[i]!);
    }
  }
  return [s, b, z];
}

function sliceInHeap(backend: WasmBackendLike, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const bytes = bytesPer(x.dtype)!;
  const out = backend.makeOutput(size, x.dtype);
  if (size.some((s) => s === 0)) return out;
  const heap = heapView(backend, bytes);
  const src0 = elementOffset(backend, x, bytes);
  const dst0 = elementOffset(backend, out, bytes);
  const [shape, start, extent] = collapseAxes(x.shape, begin, size);
  const rank = shape.length;
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let a = rank - 2; a >= 0; a--) strides[a] = strides[a + 1]! * shape[a + 1]!;
  // After collapsing, the last axis is the contiguous run and every other axis steps between runs.
  const run = extent[rank - 1]!;
  const base = src0 + start.reduce((s, b, i) => s + b * strides[i]!, 0);
  if (rank === 1) {
    copyRun(heap, dst0, base, run);
    return out;
  }
  if (rank === 2) {
    const stride = strides[0]!;
    const rows = extent[0]!;
    for (let r = 0, src = base, dst = dst0; r < rows; r++, src += stride, dst += run) copyRun(heap, dst, src, run);
    return out;
  }
  // Odometer over the outer axes 0..rank-2.
  const a = rank - 1;
  const index = new Array<number>(a).fill(0);
  let rows = 1;
  for (let i = 0; i < a; i++) rows *= extent[i]!;
  let src = base;
  let dst = dst0;
  for (let r = 0; r < rows; r++) {
    copyRun(heap, dst, src, run);
    dst += run;
    for (let k = a - 1; k >= 0; k--) {
      src += strides[k]!;
      if (++index[k]! < extent[k]!) break;
      src -= strides[k]! * extent[k]!;
      index[k] = 0;
    }
  }
  return out;
}

function sliceKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs['x']!;
    if (bytesPer(x.dtype) == null) return original(args);
    const attrs = args.attrs as { begin: number | number[]; size?: number | number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
    // Out-of-range slices would read past the tensor into the rest of the heap: refuse them as tfjs's ops do.
    tf.slice_util.assertParamsValid(x as tf.Tensor, begin, size);
    return sliceInHeap(args.backend as WasmBackendLike, x, begin, size);
  };
}

function splitKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs['x']!;
    if (bytesPer(x.dtype) == null) return original(args);
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number | number[] };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[ax] = s;
      const piece = sliceInHeap(args.backend as WasmBackendLike, x, [...begin], size);
      begin[ax]! += s;
      return piece;
    });
  };
}

function concatKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const inputs = Object.values(args.inputs) as tf.TensorInfo[];
    const dtype = inputs[0]!.dtype;
    const bytes = bytesPer(dtype);
    if (bytes == null || inputs.some((t) => t.dtype !== dtype)) return original(args);
    const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, inputs[0]!.shape)[0]!;
    tf.backend_util.assertParamsConsistent(
      inputs.map((t) => t.shape),
      axis,
    );
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(
      tf.backend_util.computeOutShape(
        inputs.map((t) => t.shape),
        axis,
      ),
      dtype,
    );
    const parts = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    if (parts.length === 0) return out;
    const heap = heapView(backend, bytes);
    const outer = tf.util.sizeFromShape(parts[0]!.shape.slice(0, axis));
    const inner = parts.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
    const srcs = parts.map((t) => elementOffset(backend, t, bytes));
    const rowOut = inner.reduce((s, n) => s + n, 0);
    let colOffset = elementOffset(backend, out, bytes);
    for (let i = 0; i < parts.length; i++) {
      const n = inner[i]!;
      const src = srcs[i]!;
      if (n === 1) {
        for (let b = 0; b < outer; b++) heap[colOffset + b * rowOut] = heap[src + b]!;
      } else {
        for (let b = 0; b < outer; b++) copyRun(heap, colOffset + b * rowOut, src + b * n, n);
      }
      colOffset += n;
    }
    return out;
  };
}

function identityKernel(): KernelFunc {
  return ({ inputs, backend }) => {
    const x = inputs['x']!;
    (backend as { incRef(id: tf.DataId): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** The copy kernels, by the wasm kernel each replaces. */
export const COPY_OVERRIDES: [string, (original: KernelFunc) => KernelFunc][] = [
  ['Identity', identityKernel],
  ['Slice', sliceKernel],
  ['SplitV', splitKernel],
  ['Concat', concatKernel],
];
