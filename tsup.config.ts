import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library: ESM + CJS + types; tfjs and Node-only deps stay external.
    entry: { index: 'src/index.ts', node: 'src/node/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    shims: true,
    target: 'es2022',
    external: [/^@tensorflow\//, 'sharp'],
  },
  {
    // The CLI (Node only).
    entry: {
      cli: 'src/cli/main.ts',
      'sample-worker': 'src/data/sample-worker.ts',
      'gradient-worker': 'src/parallel/gradient-worker.ts',
    },
    format: ['esm'],
    sourcemap: true,
    target: 'node18',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
    external: [/^@tensorflow\//, 'sharp'],
  },
]);
