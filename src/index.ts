// masr-net public API (browser + Node), the file:// save/load handler included (it loads Node's fs only when used).
// Node-only helpers (image files, datasets on disk, the trainer's building blocks) live in 'masr-net/node'.
export {
  selectBackend,
  BackendUnavailableError,
  type BackendName,
  type BackendChoice,
  type SelectBackendOptions,
  type BackendModules,
  type WasmBackendModule,
} from './backend';
export * from './io/exports';
export * from './layers/exports-routing';
export * from './layers/exports-blocks';
export * from './layers/basic/index';
/** Backend-safe differentiable ops (conv2d, gelu, reflectPad, resizeBilinear, gatherRows, ...): see src/ops/public.ts. */
export * as ops from './ops/public';
export * from './isp/index';
export * from './losses/index';
export * from './metrics/index';
export * from './models/index';
export * from './train/index';
