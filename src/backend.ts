import * as tf from '@tensorflow/tfjs-core';
import { installWasmOverrides } from './kernels/wasm-overrides';
import { startThreadedWasm, wasmPackageRoot } from './wasm-threads';
import './register-gradients';

/** The tfjs backends masr-net knows how to start, fastest first. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendChoice {
  /** The backend now active (`tf.getBackend()`). */
  name: BackendName;
  /** A sentence saying why this backend was chosen. */
  reason: string;
}

export interface SelectBackendOptions {
  /** Folder (or URL prefix) holding the `tfjs-backend-wasm*.wasm` files. In Node it defaults to the installed package's `dist/`. */
  wasmPaths?: string;
  /** For `tensorflow`: prefer `@tensorflow/tfjs-node-gpu` over `@tensorflow/tfjs-node`. */
  gpu?: boolean;
  /**
   * For `wasm` in Node: XNNPACK threads (default 1, tfjs's own choice in Node). Above 1, tfjs-backend-wasm's
   * multi-threaded build is started (see wasm-threads.ts); convolutions and matrix products then share the cores.
   * Call before creating any tensor: it replaces a running wasm backend.
   */
  threads?: number;
}

const PACKAGES: Record<BackendName, string[]> = {
  tensorflow: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  wasm: ['@tensorflow/tfjs-backend-wasm'],
  cpu: ['@tensorflow/tfjs-backend-cpu'],
};

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** Thrown when a requested backend's package is not installed. */
export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: BackendName,
    readonly packageName: string,
    cause?: unknown,
  ) {
    super(
      `Backend '${backend}' is not available: install ${packageName} (npm install ${packageName})` +
        (cause instanceof Error ? ` [${cause.message.split('\n')[0]}]` : ''),
    );
    this.name = 'BackendUnavailableError';
  }
}

async function tryImport(name: string): Promise<unknown> {
  // A computed specifier keeps bundlers from resolving optional peers at build time.
  const spec = name;
  return import(/* @vite-ignore */ /* webpackIgnore: true */ spec);
}

async function nodeWasmDir(): Promise<string | undefined> {
  if (!isNode) return undefined;
  const root = await wasmPackageRoot();
  return root === undefined ? undefined : `${root}/dist/`;
}

async function startTensorflow(gpu: boolean): Promise<void> {
  const order = gpu
    ? ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']
    : ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];
  let lastErr: unknown;
  for (const name of order) {
    try {
      await tryImport(name);
      if (await tf.setBackend('tensorflow')) return;
    } catch (e) {
      lastErr = e;
    }
  }
  throw new BackendUnavailableError('tensorflow', order[0]!, lastErr);
}

async function startWasm(wasmPaths?: string, threads = 1): Promise<void> {
  let mod: { setWasmPaths: (p: string) => void } & Parameters<typeof startThreadedWasm>[0];
  try {
    mod = (await tryImport('@tensorflow/tfjs-backend-wasm')) as typeof mod;
  } catch (e) {
    throw new BackendUnavailableError('wasm', '@tensorflow/tfjs-backend-wasm', e);
  }
  if (threads > 1) {
    if (!isNode) throw new Error('selectBackend: threads > 1 is for Node (in browsers tfjs picks its own threads)');
    const started = await startThreadedWasm(mod, threads);
    if (started !== threads) throw new Error(`selectBackend: asked for ${threads} wasm threads, got ${started}`);
  } else {
    // In Node the .wasm binaries are read from node_modules, never fetched.
    const dir = wasmPaths ?? (await nodeWasmDir());
    if (dir) mod.setWasmPaths(dir);
    if (!(await tf.setBackend('wasm'))) throw new BackendUnavailableError('wasm', '@tensorflow/tfjs-backend-wasm');
  }
  installWasmOverrides();
}

async function startCpu(): Promise<void> {
  try {
    await tryImport('@tensorflow/tfjs-backend-cpu');
  } catch (e) {
    throw new BackendUnavailableError('cpu', '@tensorflow/tfjs-backend-cpu', e);
  }
  if (!(await tf.setBackend('cpu'))) throw new BackendUnavailableError('cpu', '@tensorflow/tfjs-backend-cpu');
}

function threadNote(name: BackendName, options: SelectBackendOptions): string {
  const threads = options.threads ?? 1;
  return name === 'wasm' && threads > 1 ? `, ${threads} threads` : '';
}

function checkGradientsRegistered(): void {
  // The Node bundles of tfjs-core register gradients; a bundler build of tfjs-core alone does not.
  if (tf.getGradient('Multiply') == null || tf.getGradient('Conv2D') == null) {
    throw new Error(
      "tfjs gradients are not registered: import '@tensorflow/tfjs' or '@tensorflow/tfjs-core/dist/register_all_gradients' once before training.",
    );
  }
}

/**
 * Start a tfjs backend. `'auto'` picks the fastest installed one: tfjs-node (`tensorflow`), else `wasm`, else `cpu`.
 * An explicit name is honoured; if its package is missing the error names the package to install.
 */
export async function selectBackend(
  preference: BackendName | 'auto' = 'auto',
  options: SelectBackendOptions = {},
): Promise<BackendChoice> {
  // Checked first: in 'auto' a wasm start failure falls through to cpu, which must not hide a bad argument.
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 8) {
    throw new Error(`selectBackend: threads must be an integer from 1 to 8, got ${threads}`);
  }
  if (preference !== 'auto') {
    if (!(preference in PACKAGES)) {
      throw new Error(`Unknown backend '${String(preference)}': expected 'auto', 'tensorflow', 'wasm' or 'cpu'`);
    }
    if (preference === 'tensorflow') await startTensorflow(!!options.gpu);
    else if (preference === 'wasm') await startWasm(options.wasmPaths, options.threads);
    else await startCpu();
    await tf.ready();
    checkGradientsRegistered();
    return { name: preference, reason: `requested explicitly${threadNote(preference, options)}` };
  }
  const skipped: string[] = [];
  if (isNode) {
    try {
      await startTensorflow(!!options.gpu);
      await tf.ready();
      checkGradientsRegistered();
      return { name: 'tensorflow', reason: 'tfjs-node is installed: native TensorFlow is the fastest backend' };
    } catch {
      skipped.push('tensorflow (@tensorflow/tfjs-node not installed)');
    }
  }
  try {
    await startWasm(options.wasmPaths, options.threads);
    await tf.ready();
    checkGradientsRegistered();
    return {
      name: 'wasm',
      reason: `fastest installed backend${threadNote('wasm', options)}; skipped ${skipped.join(', ') || 'none'}`,
    };
  } catch (e) {
    skipped.push(`wasm (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  await startCpu();
  await tf.ready();
  checkGradientsRegistered();
  return { name: 'cpu', reason: `only the pure-JS backend is available; skipped ${skipped.join(', ')}` };
}
