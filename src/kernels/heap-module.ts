/**
 * Hand-written WebAssembly kernels (scripts/kernels/*-wat.mjs) run on tfjs-backend-wasm's own heap: each module
 * imports the heap as its memory, so kernels read and write tensors in place, with no copies.
 */

// Instances per tfjs heap (a WebAssembly.Memory) and module; null where a module cannot bind to the heap.
const instances = new WeakMap<WebAssembly.Memory, Map<string, unknown>>();

/**
 * The module's exports bound to the wasm backend's heap, instantiated once per heap: `plain` for the single-threaded
 * build (which exports its heap), `shared` for the multi-threaded one (whose heap is a shared memory the module must
 * declare as such). Null when the backend has no reachable heap or the engine refuses the module.
 */
export function heapModule<T>(backend: unknown, plain: string, shared: string): T | null {
  const wasm = (backend as { wasm?: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory } }).wasm;
  const memory = wasm?.asm?.memory ?? wasm?.wasmMemory;
  if (!memory) return null;
  let modules = instances.get(memory);
  if (!modules) instances.set(memory, (modules = new Map()));
  if (!modules.has(plain)) {
    let exports: unknown = null;
    try {
      const isShared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      const module = new WebAssembly.Module(decodeBase64(isShared ? shared : plain));
      exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    } catch {
      exports = null;
    }
    modules.set(plain, exports);
  }
  return modules.get(plain) as T | null;
}

/** Base64 to bytes with `atob` (browsers and Node >= 16), no Buffer. */
function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
