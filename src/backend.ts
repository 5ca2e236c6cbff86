import * as tf from '@tensorflow/tfjs-core';
import { installWasmOverrides } from './kernels/wasm-overrides';
import { isNode } from './node-builtins';
import { startThreadedWasm, wasmPackageRoot } from './wasm-threads';
import './register-gradients';

/** The tfjs backends masr-net knows how to start. `webgl`/`webgpu` are browser backends, started only on request. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu' | 'webgl' | 'webgpu';

export interface BackendChoice {
  /** The backend now active (`tf.getBackend()`). */
  name: BackendName;
  /** A sentence saying why this backend was chosen. */
  reason: string;
}

/** What `import * as wasm from '@tensorflow/tfjs-backend-wasm'` gives (the parts selectBackend uses). */
export interface WasmBackendModule {
  setWasmPaths(path: string | Record<string, string>, usePlatformFetch?: boolean): void;
}

/**
 * Backend packages your code imported itself, by backend name. In a page a bundler only includes what is imported
 * statically, so import the backend there and hand it over: `selectBackend('wasm', { modules: { wasm } })`. A
 * backend registered by such an import is found without this too, but `wasmPaths` needs the wasm module.
 */
export type BackendModules = Partial<Record<BackendName, unknown>> & { wasm?: WasmBackendModule };

export interface SelectBackendOptions {
  /**
   * Where the `tfjs-backend-wasm*.wasm` files are: a folder URL ending in `/` (relative URLs resolve against the
   * page) or a map of file name to URL. In Node it defaults to the installed package's `dist/`. In a page the files
   * are fetched once before tfjs starts, so a wrong path fails with the URL that was tried (tfjs cannot retry a
   * failed wasm start).
   */
  wasmPaths?: string | Record<string, string>;
  /** Backend packages imported by your code (see BackendModules); needed in pages, optional in Node. */
  modules?: BackendModules;
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
  webgl: ['@tensorflow/tfjs-backend-webgl'],
  webgpu: ['@tensorflow/tfjs-backend-webgpu'],
};

/** Thrown when a requested backend cannot start; the message says why and what to do. */
export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: BackendName,
    readonly packageName: string,
    cause?: unknown,
    advice?: string,
  ) {
    super(
      `Backend '${backend}' is not available: ${advice ?? `install ${packageName} (npm install ${packageName})`}` +
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

const registered = (name: string) => !!tf.engine().registryFactory[name];

/**
 * The backend's package, loaded: the module passed in, else the one your code already imported (it registered
 * the backend), else a runtime import (works in Node; in a page only with an import map, hence the advice).
 */
async function loadBackendPackage(name: Exclude<BackendName, 'tensorflow'>, modules: BackendModules): Promise<unknown> {
  if (modules[name]) return modules[name];
  if (registered(name) && name !== 'wasm') return undefined;
  const pkg = PACKAGES[name][0]!;
  try {
    return await tryImport(pkg);
  } catch (e) {
    if (registered(name)) return undefined;
    const advice = isNode
      ? undefined
      : `in a page, import it where your bundler sees it (import * as ${name} from '${pkg}') and pass it: ` +
        `selectBackend('${name}', { modules: { ${name} } })`;
    throw new BackendUnavailableError(name, pkg, e, advice);
  }
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

/** The wasm binary tfjs will fetch in this browser (its own feature tests pick it). */
async function wasmFileName(): Promise<string> {
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return simd && threads
    ? 'tfjs-backend-wasm-threaded-simd.wasm'
    : simd
      ? 'tfjs-backend-wasm-simd.wasm'
      : 'tfjs-backend-wasm.wasm';
}

/**
 * Checks wasmPaths' shape; in a page also fetches the binary tfjs will load and checks it is wasm, so a bad path
 * fails with the URL tried before tfjs starts (after a failed start tfjs refuses every retry).
 */
export async function checkWasmPaths(wasmPaths: string | Record<string, string> | undefined): Promise<void> {
  if (wasmPaths !== undefined && typeof wasmPaths !== 'string' && (typeof wasmPaths !== 'object' || wasmPaths === null))
    throw new Error(`selectBackend: wasmPaths must be a folder URL or a map of file name to URL, got ${typeof wasmPaths}`);
  if (typeof wasmPaths === 'string' && !wasmPaths.endsWith('/') && !wasmPaths.endsWith('.wasm'))
    throw new Error(`selectBackend: wasmPaths must be a folder ending in '/' (or a .wasm file), got '${wasmPaths}'`);
  if (isNode || typeof fetch === 'undefined' || typeof location === 'undefined') return;
  const file = await wasmFileName();
  const spec =
    wasmPaths === undefined
      ? file
      : typeof wasmPaths === 'string'
        ? wasmPaths.endsWith('.wasm')
          ? wasmPaths
          : wasmPaths + file
        : wasmPaths[file];
  if (spec === undefined)
    throw new Error(`selectBackend: wasmPaths has no entry for ${file}, the binary this browser needs`);
  const url = new URL(spec, location.href).href;
  const problem = await wasmFetchProblem(url);
  if (problem?.kind === 'status')
    throw new Error(
      `selectBackend: the wasm binary ${url} gave HTTP ${problem.detail}; serve the .wasm files of ` +
        `@tensorflow/tfjs-backend-wasm/dist and set wasmPaths to their folder`,
    );
  if (problem?.kind === 'network')
    throw new Error(`selectBackend: cannot fetch the wasm binary ${url} (${problem.detail}); set wasmPaths`);
  // A server that answers every path with index.html (single-page-app fallback) gives 200 and HTML.
  if (problem?.kind === 'not-wasm')
    throw new Error(`selectBackend: ${url} is not a wasm binary (the server sent something else); set wasmPaths`);
  const beside = new URL(file, location.href).href;
  if (file.includes('threaded') && beside !== url) {
    // tfjs's pthread workers start from blob: URLs and fetch the binary from the page's folder, whatever wasmPaths
    // says; without it tfjs fails with a misleading "already initialized" message.
    const there = await wasmFetchProblem(beside);
    if (there)
      throw new Error(
        `selectBackend: this page is cross-origin isolated, so tfjs runs multi-threaded wasm, whose threads also load ` +
          `${beside} (the page's folder, whatever wasmPaths says) and got ` +
          `${there.kind === 'status' ? `HTTP ${there.detail}` : there.kind === 'network' ? 'no answer' : 'something that is not wasm'}: ` +
          'copy the .wasm files next to the page, or serve it without COOP/COEP headers (single-threaded wasm)',
      );
  }
}

/** Why a wasm binary cannot be loaded from url (HTTP status, network error, not wasm), or null when it can. */
async function wasmFetchProblem(url: string): Promise<{ kind: 'status' | 'network' | 'not-wasm'; detail: string } | null> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    return { kind: 'network', detail: (e as Error).message };
  }
  if (!res.ok) return { kind: 'status', detail: String(res.status) };
  return isWasm(new Uint8Array(await res.arrayBuffer())) ? null : { kind: 'not-wasm', detail: '' };
}

const isWasm = (b: Uint8Array) => b[0] === 0 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d;

/**
 * Relative wasmPaths made absolute against the page: tfjs's multi-threaded build hands the path to its pthread
 * workers, which start from blob: URLs where a relative path no longer points at the page's folder.
 */
function absoluteInPage(paths: string | Record<string, string> | undefined) {
  const here = typeof location === 'undefined' ? undefined : location.href;
  if (isNode || !here || paths === undefined) return paths;
  if (typeof paths === 'string') return new URL(paths, here).href;
  return Object.fromEntries(Object.entries(paths).map(([k, v]) => [k, new URL(v, here).href]));
}

async function startWasm(options: SelectBackendOptions): Promise<void> {
  const threads = options.threads ?? 1;
  const mod = (await loadBackendPackage('wasm', options.modules ?? {})) as
    | (WasmBackendModule & Parameters<typeof startThreadedWasm>[0])
    | undefined;
  if (threads > 1) {
    if (!isNode) throw new Error('selectBackend: threads > 1 is for Node (in browsers tfjs picks its own threads)');
    if (!mod) throw new Error("selectBackend: threads > 1 needs @tensorflow/tfjs-backend-wasm's module");
    const started = await startThreadedWasm(mod, threads);
    if (started !== threads) throw new Error(`selectBackend: asked for ${threads} wasm threads, got ${started}`);
  } else if (tf.findBackend('wasm')) {
    // Already running (an earlier call or the user's own setBackend): its binary is loaded, paths no longer matter.
    if (!(await tf.setBackend('wasm'))) throw new BackendUnavailableError('wasm', PACKAGES.wasm[0]!);
  } else {
    // In Node the .wasm binaries are read from node_modules, never fetched.
    const dir = absoluteInPage(options.wasmPaths) ?? (await nodeWasmDir());
    await checkWasmPaths(dir);
    if (dir !== undefined) {
      if (!mod)
        throw new Error(
          "selectBackend: wasmPaths needs the wasm backend's module: selectBackend('wasm', { wasmPaths, modules: { wasm } })",
        );
      mod.setWasmPaths(dir);
    }
    if (!(await tf.setBackend('wasm'))) throw new BackendUnavailableError('wasm', PACKAGES.wasm[0]!);
  }
  installWasmOverrides();
}

async function startSimple(name: 'cpu' | 'webgl' | 'webgpu', options: SelectBackendOptions): Promise<void> {
  if (name !== 'cpu' && isNode) throw new Error(`selectBackend: '${name}' is a browser backend; in Node use 'wasm' or 'cpu'`);
  await loadBackendPackage(name, options.modules ?? {});
  if (!registered(name)) throw new BackendUnavailableError(name, PACKAGES[name][0]!);
  let ok = false;
  let cause: unknown;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    cause = e;
  }
  if (!ok)
    throw new BackendUnavailableError(
      name,
      PACKAGES[name][0]!,
      cause,
      name === 'cpu' ? undefined : `this browser could not start ${name} (no ${name === 'webgl' ? 'WebGL 2' : 'WebGPU'} adapter?)`,
    );
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
 * Start a tfjs backend. `'auto'` picks the fastest installed one: tfjs-node (`tensorflow`, Node only), else `wasm`,
 * else `cpu`. An explicit name is honoured (`webgl` and `webgpu` in browsers); if it cannot start, the error says why
 * (a missing package, a wasm binary the page cannot fetch, no GPU adapter). In a page, pass the backend modules you
 * import (see SelectBackendOptions.modules).
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
      throw new Error(
        `Unknown backend '${String(preference)}': expected 'auto', 'tensorflow', 'wasm', 'cpu', 'webgl' or 'webgpu'`,
      );
    }
    if (preference === 'tensorflow') await startTensorflow(!!options.gpu);
    else if (preference === 'wasm') await startWasm(options);
    else await startSimple(preference, options);
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
    await startWasm(options);
    await tf.ready();
    checkGradientsRegistered();
    return {
      name: 'wasm',
      reason: `fastest installed backend${threadNote('wasm', options)}; skipped ${skipped.join(', ') || 'none'}`,
    };
  } catch (e) {
    skipped.push(`wasm (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  await startSimple('cpu', options);
  await tf.ready();
  checkGradientsRegistered();
  return { name: 'cpu', reason: `only the pure-JS backend is available; skipped ${skipped.join(', ')}` };
}
