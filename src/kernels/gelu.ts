import * as tf from '@tensorflow/tfjs-core';
import { hasFloatKernel, registerFloatKernel } from './float-kernel';
import { GELU_SHARED_WASM_BASE64, GELU_WASM_BASE64 } from './generated/gelu-simd';
import { heapModule } from './heap-module';

/**
 * Exact-GELU kernels for the wasm and cpu backends, one pass over the data each.
 *
 * Composed from tfjs ops, GELU is five passes (mul, erf, add, mul, mul) and wasm's Erf alone costs ~17 ns per element
 * (scalar libm), a sixth of a MASR-Net forward; plain JavaScript is no faster (~13 ns). On wasm the kernels are
 * hand-written WebAssembly SIMD (gelu.wat, ~1 ns per element) running on tfjs's own heap. Φ(x) comes from the
 * Chebyshev fit of erfc in Numerical Recipes §6.2 (fractional error < 1.2e-7 everywhere, so GELU keeps its relative
 * accuracy in both tails): in float32 lanes on wasm, in float64 on cpu. Backends without these kernels (tfjs-node)
 * use the composed ops.
 */
export const GELU_KERNEL = 'MasrGelu';
export const GELU_GRAD_KERNEL = 'MasrGeluGrad';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

// Coefficients of the Chebyshev fit, constant term first (Numerical Recipes §6.2, `erfcc`).
const ERFC_FIT = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223,
  0.17087277,
];

/** erfc(z) for z ≥ 0: t·exp(-z² + P(t)) with t = 1 / (1 + z/2). */
function erfcNonNegative(z: number): number {
  const t = 1 / (1 + 0.5 * z);
  let p = ERFC_FIT[9]!;
  for (let i = 8; i >= 0; i--) p = p * t + ERFC_FIT[i]!;
  return t * Math.exp(-z * z + p);
}

/** Standard normal CDF Φ(x) = erfc(-x/√2) / 2. */
export function normalCdf(x: number): number {
  const tail = 0.5 * erfcNonNegative(Math.abs(x) * Math.SQRT1_2);
  return x >= 0 ? 1 - tail : tail;
}

function geluForward(x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v * normalCdf(v);
  }
}

function geluBackward(x: Float32Array, dy: Float32Array, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = dy[i]! * (normalCdf(v) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
  }
}

interface SimdGelu {
  gelu(x: number, out: number, groups: number): void;
  gelu_grad(x: number, dy: number, out: number, groups: number): void;
}

function simdFor(backend: unknown): SimdGelu | null {
  return heapModule<SimdGelu>(backend, GELU_WASM_BASE64, GELU_SHARED_WASM_BASE64);
}

/** Runs a SIMD entry point on whole groups of 4 elements; returns how many elements that covered. */
function simdPrefix(call: (k: SimdGelu, inputs: number[], out: number, groups: number) => void) {
  return (backend: unknown, ins: Float32Array[], out: Float32Array): number => {
    const kernels = simdFor(backend);
    if (!kernels) return 0;
    const groups = Math.floor(out.length / 4);
    call(
      kernels,
      ins.map((a) => a.byteOffset),
      out.byteOffset,
      groups,
    );
    return groups * 4;
  };
}

/** Register the kernels for 'wasm' and 'cpu' once per tfjs-core instance. */
export function registerGeluKernels(): void {
  registerFloatKernel({
    name: GELU_KERNEL,
    inputs: ['x'],
    js: ([x], out) => geluForward(x!, out),
    wasmPrefix: simdPrefix((k, [x], out, g) => k.gelu(x!, out, g)),
  });
  registerFloatKernel({
    name: GELU_GRAD_KERNEL,
    inputs: ['x', 'dy'],
    js: ([x, dy], out) => geluBackward(x!, dy!, out),
    wasmPrefix: simdPrefix((k, [x, dy], out, g) => k.gelu_grad(x!, dy!, out, g)),
  });
}

/** Whether the active backend runs the WebAssembly SIMD variant (wasm, bound to its heap). For tests and diagnostics. */
export function geluSimdActive(): boolean {
  return tf.getBackend() === 'wasm' && simdFor(tf.backend()) !== null;
}

/** Whether the active backend has the one-pass kernels (float32 only). */
export function hasGeluKernels(dtype: tf.DataType): boolean {
  return hasFloatKernel(GELU_KERNEL, dtype);
}
