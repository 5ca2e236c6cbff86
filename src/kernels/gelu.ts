import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from './wasm-heap';
import { GELU_SHARED_WASM_BASE64, GELU_WASM_BASE64 } from './gelu-simd';

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

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown };

interface SimdGelu {
  gelu(x: number, out: number, groups: number): void;
  gelu_grad(x: number, dy: number, out: number, groups: number): void;
}

// One instance per tfjs heap (a WebAssembly.Memory); null where the module cannot bind to it (a shared heap).
const simdInstances = new WeakMap<WebAssembly.Memory, SimdGelu | null>();

function simdFor(backend: unknown): SimdGelu | null {
  // The single-threaded build exports its heap; the multi-threaded one creates a shared heap and imports it.
  const wasm = (backend as { wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory } }).wasm;
  const memory = wasm.asm?.memory ?? wasm.wasmMemory;
  if (!memory) return null;
  let instance = simdInstances.get(memory);
  if (instance === undefined) {
    try {
      const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      const module = new WebAssembly.Module(decodeBase64(shared ? GELU_SHARED_WASM_BASE64 : GELU_WASM_BASE64));
      instance = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdGelu;
    } catch {
      instance = null;
    }
    simdInstances.set(memory, instance);
  }
  return instance;
}

function wasmKernel(names: string[], body: (ins: Float32Array[], out: Float32Array) => void, simd: SimdCall) {
  return ({ inputs, backend }: KernelArgs): tf.TensorInfo => {
    const b = backend as WasmBackendLike & { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
    const first = inputs[names[0]!]!;
    const out = b.makeOutput([...first.shape], 'float32');
    // Views are taken after makeOutput: allocating may grow (and detach) the heap.
    const ins = names.map((n) => b.typedArrayFromHeap(inputs[n]!));
    const outView = b.typedArrayFromHeap(out);
    const kernels = simdFor(backend);
    let done = 0;
    if (kernels) {
      const groups = Math.floor(outView.length / 4);
      simd(
        kernels,
        ins.map((a) => a.byteOffset),
        outView.byteOffset,
        groups,
      );
      done = groups * 4;
    }
    // The last few elements (or all, without SIMD) in JavaScript.
    if (done < outView.length)
      body(
        ins.map((a) => a.subarray(done)),
        outView.subarray(done),
      );
    return out;
  };
}

function cpuKernel(names: string[], body: (ins: Float32Array[], out: Float32Array) => void) {
  return ({ inputs, backend }: KernelArgs): tf.TensorInfo => {
    const b = backend as {
      readSync(id: tf.DataId): Float32Array;
      makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
    };
    const first = inputs[names[0]!]!;
    const out = new Float32Array(tf.util.sizeFromShape(first.shape));
    body(
      names.map((n) => b.readSync(inputs[n]!.dataId)),
      out,
    );
    return b.makeTensorInfo([...first.shape], 'float32', out);
  };
}

type SimdCall = (k: SimdGelu, inputs: number[], out: number, groups: number) => void;

const KERNELS: [string, string[], (ins: Float32Array[], out: Float32Array) => void, SimdCall][] = [
  [GELU_KERNEL, ['x'], ([x], out) => geluForward(x!, out), (k, [x], out, g) => k.gelu(x!, out, g)],
  [
    GELU_GRAD_KERNEL,
    ['x', 'dy'],
    ([x, dy], out) => geluBackward(x!, dy!, out),
    (k, [x, dy], out, g) => k.gelu_grad(x!, dy!, out, g),
  ],
];

/** Register the kernels for 'wasm' and 'cpu' once per tfjs-core instance. */
export function registerGeluKernels(): void {
  for (const [name, inputs, body, simd] of KERNELS) {
    const funcs = { wasm: wasmKernel(inputs, body, simd), cpu: cpuKernel(inputs, body) };
    for (const [backendName, kernelFunc] of Object.entries(funcs)) {
      if (tf.getKernel(name, backendName)) continue;
      tf.registerKernel({ kernelName: name, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
    }
  }
}

/** Whether the active backend runs the WebAssembly SIMD variant (wasm, bound to its heap). For tests and diagnostics. */
export function geluSimdActive(): boolean {
  return tf.getBackend() === 'wasm' && simdFor(tf.backend()) !== null;
}

/** Whether the active backend has the one-pass kernels (float32 only). */
export function hasGeluKernels(dtype: tf.DataType): boolean {
  return dtype === 'float32' && tf.getKernel(GELU_KERNEL, tf.getBackend()) != null;
}

/** Base64 to bytes with `atob` (browsers and Node >= 16), no Buffer. */
function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
