import { registerFloatKernel } from './float-kernel';
import { heapModule } from './heap-module';
import { LAYER_NORM_SHARED_WASM_BASE64, LAYER_NORM_WASM_BASE64 } from './generated/layer-norm-simd';

/**
 * One-call LayerNorm over the last axis (x [..., d], gamma and beta [d], attribute eps) and its input gradient (x and
 * g = dy·γ, same shape), for the wasm and cpu backends. Composed from tfjs ops a layer norm is ~6 passes and ~6 kernel
 * calls (8.5 ms for [11250, 128] on wasm); on wasm these run layer-norm.wat (WebAssembly SIMD, rows with d a multiple
 * of 4), elsewhere and for other d float64 JavaScript. Two-pass variance, biased, as PyTorch and tfjs's moments.
 */
export const LAYER_NORM_KERNEL = 'MasrLayerNorm';
export const LAYER_NORM_GRAD_KERNEL = 'MasrLayerNormGrad';

interface SimdLayerNorm {
  layer_norm(x: number, gamma: number, beta: number, out: number, rows: number, d: number, eps: number): void;
  layer_norm_grad(x: number, g: number, out: number, rows: number, d: number, eps: number): void;
}

/** Mean and 1/√(var + eps) of x[o .. o+d). */
function rowMoments(x: Float32Array, o: number, d: number, eps: number): [number, number] {
  let s = 0;
  for (let i = 0; i < d; i++) s += x[o + i]!;
  const mean = s / d;
  let v = 0;
  for (let i = 0; i < d; i++) v += (x[o + i]! - mean) ** 2;
  return [mean, 1 / Math.sqrt(v / d + eps)];
}

function forwardJs([x, gamma, beta]: Float32Array[], out: Float32Array, d: number, eps: number): void {
  for (let o = 0; o < out.length; o += d) {
    const [mean, rstd] = rowMoments(x!, o, d, eps);
    for (let i = 0; i < d; i++) out[o + i] = (x![o + i]! - mean) * rstd * gamma![i]! + beta![i]!;
  }
}

function gradJs([x, g]: Float32Array[], out: Float32Array, d: number, eps: number): void {
  for (let o = 0; o < out.length; o += d) {
    const [mean, rstd] = rowMoments(x!, o, d, eps);
    let sg = 0;
    let sgx = 0;
    for (let i = 0; i < d; i++) {
      sg += g![o + i]!;
      sgx += g![o + i]! * (x![o + i]! - mean);
    }
    const meanG = sg / d;
    const scale = (sgx * rstd * rstd) / d; // mean(g·x̂)·rstd, multiplying x − μ
    for (let i = 0; i < d; i++) out[o + i] = rstd * (g![o + i]! - meanG - (x![o + i]! - mean) * scale);
  }
}

/** The SIMD module for this backend's heap when rows are whole vectors; null otherwise. */
function simd(backend: unknown, d: number): SimdLayerNorm | null {
  if (d % 4 !== 0) return null;
  return heapModule<SimdLayerNorm>(backend, LAYER_NORM_WASM_BASE64, LAYER_NORM_SHARED_WASM_BASE64);
}

/** Register both kernels for 'wasm' and 'cpu' once per tfjs-core instance. */
export function registerLayerNormKernels(): void {
  const lastDim = (shape: readonly number[]) => shape[shape.length - 1]!;
  registerFloatKernel({
    name: LAYER_NORM_KERNEL,
    inputs: ['x', 'gamma', 'beta'],
    js: (ins, out, shape, attrs) => forwardJs(ins, out, lastDim(shape), attrs['eps'] as number),
    wasmPrefix: (backend, [x, gamma, beta], out, attrs) => {
      const d = gamma!.length;
      const k = simd(backend, d);
      if (!k || out.length === 0) return 0;
      k.layer_norm(
        x!.byteOffset,
        gamma!.byteOffset,
        beta!.byteOffset,
        out.byteOffset,
        out.length / d,
        d,
        attrs['eps'] as number,
      );
      return out.length;
    },
  });
  registerFloatKernel({
    name: LAYER_NORM_GRAD_KERNEL,
    inputs: ['x', 'g'],
    js: (ins, out, shape, attrs) => gradJs(ins, out, lastDim(shape), attrs['eps'] as number),
    wasmPrefix: (backend, [x, g], out, attrs) => {
      const d = attrs['d'] as number;
      const k = simd(backend, d);
      if (!k || out.length === 0) return 0;
      k.layer_norm_grad(x!.byteOffset, g!.byteOffset, out.byteOffset, out.length / d, d, attrs['eps'] as number);
      return out.length;
    },
  });
}
