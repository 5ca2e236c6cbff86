import * as tf from '@tensorflow/tfjs-core';
import { nodeBuiltin } from './node-builtins';

/**
 * tfjs-backend-wasm's multi-threaded build (XNNPACK on a pthread pool) in Node, which tfjs 4.22 never uses there:
 * its thread-support flag is hard-wired to false in Node, its pthread workers are started from `blob:` URLs that
 * Node's Worker refuses, and its C++ caps the pool at `logical cores / 2` (1 on a 2-core machine).
 *
 * This starts the same package's `tfjs-backend-wasm-threaded-simd` module directly: the worker script goes to a
 * file, the module is given its own path for the workers to load, and `os.cpus()` reports 2 × `threads` while the
 * module initialises so the cap lets `threads` through. Kernels and results are tfjs's own (the same XNNPACK code,
 * split across threads). Node only; opt-in (`selectBackend('wasm', { threads })`).
 */

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  tfjs?: Record<string, (...a: number[]) => number>;
}

interface Unrefable {
  unref?: () => void;
}

type Factory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

interface WasmPackage {
  BackendWasm: new (module: EmscriptenModule) => tf.KernelBackend;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/**
 * The installed @tensorflow/tfjs-backend-wasm folder in Node: resolved from this module first, then from the working
 * directory (covers linked / hoisted installs); undefined when neither finds it.
 */
export async function wasmPackageRoot(): Promise<string | undefined> {
  const { createRequire } = await nodeBuiltin<typeof import('node:module')>('module');
  const { dirname, join } = await nodeBuiltin<typeof import('node:path')>('path');
  const { pathToFileURL } = await nodeBuiltin<typeof import('node:url')>('url');
  for (const base of [import.meta.url, pathToFileURL(join(process.cwd(), 'index.js')).href]) {
    try {
      return dirname(createRequire(base).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    } catch {
      /* try the next base */
    }
  }
  return undefined;
}

export async function startThreadedWasm(pkg: WasmPackage, threads: number): Promise<number> {
  const { createRequire } = await nodeBuiltin<typeof import('node:module')>('module');
  const { join } = await nodeBuiltin<typeof import('node:path')>('path');
  const { mkdtempSync, writeFileSync } = await nodeBuiltin<typeof import('node:fs')>('fs');
  const { tmpdir } = await nodeBuiltin<typeof import('node:os')>('os');
  const require = createRequire(join(process.cwd(), 'index.js'));
  const root = await wasmPackageRoot();
  if (root === undefined) throw new Error('@tensorflow/tfjs-backend-wasm is not installed where Node can find it');
  const factoryPath = join(root, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const factory = require(factoryPath) as Factory;
  const { wasmWorkerContents } = require(join(root, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  const workerPath = join(mkdtempSync(join(tmpdir(), 'masr-net-wasm-')), 'tfjs-backend-wasm-threaded-simd.worker.js');
  // The same escaping tfjs applies before making its Blob.
  writeFileSync(workerPath, wasmWorkerContents.replace(/\n/g, '\\n'));

  const os = require('node:os') as { cpus: () => unknown[] };
  const cpus = os.cpus;
  os.cpus = () => new Array(2 * threads).fill(cpus()[0]);
  let module: EmscriptenModule;
  try {
    module = await factory({
      locateFile: (path: string) =>
        path.endsWith('.worker.js')
          ? workerPath
          : path.endsWith('.wasm')
            ? join(root, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm')
            : join(root, 'wasm-out', path),
      mainScriptUrlOrBlob: factoryPath,
    });
  } finally {
    os.cpus = cpus;
  }
  // What tfjs's own init() attaches before constructing the backend.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  pkg.setThreadsCount(threads);
  if (tf.findBackend('wasm') || tf.engine().registryFactory['wasm']) tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => new pkg.BackendWasm(module), 2);
  if (!(await tf.setBackend('wasm'))) throw new Error('the threaded wasm backend failed to start');
  // The pool's threads wait for work forever: let Node exit without them (the main thread owns all the work).
  const pthreads = (module as { PThread?: { runningWorkers: Unrefable[]; unusedWorkers: Unrefable[] } }).PThread;
  for (const w of [...(pthreads?.runningWorkers ?? []), ...(pthreads?.unusedWorkers ?? [])]) w.unref?.();
  return module.tfjs.getThreadsCount!();
}
