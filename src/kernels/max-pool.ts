import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from './wasm-heap';

/**
 * The gradient of a 2x2, stride-2 max pool (NHWC, 'valid') as one pass in JavaScript on the backend's own memory:
 * each output's gradient goes to the first maximum of its window in row-major order (PyTorch's choice on ties).
 * tfjs's wasm MaxPoolGrad takes ~110 ms for VGG's [1, 256, 256, 64] pool; this takes a few.
 */
export const MAX_POOL_2X2_GRAD_KERNEL = 'MasrMaxPool2x2Grad';

function maxPool2x2Grad(x: Float32Array, dy: Float32Array, dx: Float32Array, shape: readonly number[]): void {
  const [b, h, w, c] = shape as [number, number, number, number];
  const oh = h >> 1;
  const ow = w >> 1;
  dx.fill(0);
  const row = w * c;
  let o = 0;
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const base = ((n * h + 2 * i) * w + 2 * j) * c;
        for (let k = 0; k < c; k++, o++) {
          let at = base + k;
          let best = x[at]!;
          const right = at + c;
          const down = at + row;
          const diag = down + c;
          if (x[right]! > best) {
            best = x[right]!;
            at = right;
          }
          if (x[down]! > best) {
            best = x[down]!;
            at = down;
          }
          if (x[diag]! > best) at = diag;
          dx[at] = dy[o]!;
        }
      }
    }
  }
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown };

function wasmKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const b = backend as WasmBackendLike & { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
  const x = inputs['x']!;
  const out = b.makeOutput([...x.shape], 'float32');
  maxPool2x2Grad(b.typedArrayFromHeap(x), b.typedArrayFromHeap(inputs['dy']!), b.typedArrayFromHeap(out), x.shape);
  return out;
}

function cpuKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const b = backend as {
    readSync(id: tf.DataId): Float32Array;
    makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
  };
  const x = inputs['x']!;
  const dx = new Float32Array(tf.util.sizeFromShape(x.shape));
  maxPool2x2Grad(b.readSync(x.dataId), b.readSync(inputs['dy']!.dataId), dx, x.shape);
  return b.makeTensorInfo([...x.shape], 'float32', dx);
}

export function registerMaxPoolKernels(): void {
  for (const [backendName, kernelFunc] of [
    ['wasm', wasmKernel],
    ['cpu', cpuKernel],
  ] as const) {
    if (tf.getKernel(MAX_POOL_2X2_GRAD_KERNEL, backendName)) continue;
    tf.registerKernel({
      kernelName: MAX_POOL_2X2_GRAD_KERNEL,
      backendName,
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    });
  }
}
