import { registerFloatKernel } from './float-kernel';

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

export function registerMaxPoolKernels(): void {
  registerFloatKernel({
    name: MAX_POOL_2X2_GRAD_KERNEL,
    inputs: ['x', 'dy'],
    js: ([x, dy], dx, shape) => maxPool2x2Grad(x!, dy!, dx, shape),
  });
}
