import { defineConfig } from 'vitest/config';

// Two projects: every test file runs once per backend. The wasm backend is process-global
// state, so each project runs its files in forked, isolated workers.
// Files named *.once.test.ts are backend-agnostic (I/O, CLI) and run only in the wasm project.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 300_000, // slow tests (cpu-backend training steps) take 150 s on a loaded 2-core machine
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'cpu',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/**/*.once.test.ts', 'tests/**/*.wasm-only.test.ts'],
          setupFiles: ['tests/setup/cpu.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'wasm',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/**/*.cpu-only.test.ts'],
          setupFiles: ['tests/setup/wasm.ts'],
        },
      },
    ],
  },
});
