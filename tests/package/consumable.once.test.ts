import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Builds the package and checks it the way a user's project would consume it.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = (cmd: string, args: string[], cwd = root) =>
  execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });

describe('built package', () => {
  let consumer: string;

  beforeAll(() => {
    run('npx', ['tsup', '--silent']);
    consumer = mkdtempSync(join(tmpdir(), 'masr-consumer-'));
    mkdirSync(join(consumer, 'node_modules', '@tensorflow'), { recursive: true });
    symlinkSync(root, join(consumer, 'node_modules', 'masr-net'));
    for (const p of ['tfjs-core', 'tfjs-layers', 'tfjs-backend-cpu', 'tfjs-backend-wasm']) {
      symlinkSync(join(root, 'node_modules', '@tensorflow', p), join(consumer, 'node_modules', '@tensorflow', p));
    }
  }, 300_000);

  afterAll(() => rmSync(consumer, { recursive: true, force: true }));

  it('is importable from ESM and requirable from CJS, with the same exports', () => {
    writeFileSync(
      join(consumer, 'esm.mjs'),
      "import * as m from 'masr-net'; console.log(JSON.stringify(Object.keys(m).sort()));",
    );
    writeFileSync(
      join(consumer, 'cjs.cjs'),
      "const m = require('masr-net'); console.log(JSON.stringify(Object.keys(m).sort()));",
    );
    const esm = JSON.parse(run('node', ['esm.mjs'], consumer).trim().split('\n').pop()!) as string[];
    const cjs = JSON.parse(run('node', ['cjs.cjs'], consumer).trim().split('\n').pop()!) as string[];
    expect(esm).toContain('MASRNet');
    expect(esm).toContain('selectBackend');
    expect(cjs).toEqual(esm);
  });

  it('runs a backend selection from the built ESM entry', () => {
    writeFileSync(
      join(consumer, 'run.mjs'),
      "import { selectBackend } from 'masr-net'; const c = await selectBackend('auto'); console.log(c.name);",
    );
    expect(run('node', ['run.mjs'], consumer).trim().split('\n').pop()).toBe('wasm');
  });

  it('passes publint and are-the-types-wrong', () => {
    const lint = run('npx', ['publint', '--strict']);
    expect(lint).not.toMatch(/error|warning/i);
    // attw packs the package and resolves every exports entry under node10/node16 (CJS+ESM)/bundler.
    const attw = run('npx', ['attw', '--pack', '.', '--format', 'json', '--profile', 'node16']);
    const report = JSON.parse(attw) as { analysis: { problems: { resolutionKind?: string }[] } };
    // node10 (pre-exports) resolution cannot see subpath entries like 'masr-net/node'; every modern resolver can.
    expect(report.analysis.problems.filter((p) => p.resolutionKind !== 'node10')).toEqual([]);
  });

  it('resolves types for a TypeScript consumer', () => {
    writeFileSync(
      join(consumer, 'use.ts'),
      "import { MASRNet, selectBackend, type BackendChoice } from 'masr-net';\nconst f: () => Promise<BackendChoice> = () => selectBackend('cpu');\nexport { f, MASRNet };\n",
    );
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['use.ts'],
      }),
    );
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ type: 'module' }));
    run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', consumer]);
  });
});
