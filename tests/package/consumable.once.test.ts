import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser, nodeBuiltinsIn } from '../helpers/browser-bundle';

// Builds the package and checks it the way a user's project would consume it.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Asynchronous, so the test worker keeps answering vitest while a build runs (a blocked worker misses vitest's
// RPC deadline on a loaded machine and fails the run with "Timeout calling onTaskUpdate").
const execFileAsync = promisify(execFile);
const run = async (cmd: string, args: string[], cwd = root) =>
  (
    await execFileAsync(cmd, args, {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    })
  ).stdout;

describe('built package', () => {
  let consumer: string;

  beforeAll(async () => {
    await run('npx', ['tsup', '--silent']);
    consumer = mkdtempSync(join(tmpdir(), 'masr-consumer-'));
    mkdirSync(join(consumer, 'node_modules', '@tensorflow'), { recursive: true });
    symlinkSync(root, join(consumer, 'node_modules', 'masr-net'));
    for (const p of ['tfjs-core', 'tfjs-layers', 'tfjs-backend-cpu', 'tfjs-backend-wasm']) {
      symlinkSync(join(root, 'node_modules', '@tensorflow', p), join(consumer, 'node_modules', '@tensorflow', p));
    }
  }, 300_000);

  afterAll(() => rmSync(consumer, { recursive: true, force: true }));

  it('is importable from ESM and requirable from CJS, with the same exports', async () => {
    writeFileSync(
      join(consumer, 'esm.mjs'),
      "import * as m from 'masr-net'; console.log(JSON.stringify(Object.keys(m).sort()));",
    );
    writeFileSync(
      join(consumer, 'cjs.cjs'),
      "const m = require('masr-net'); console.log(JSON.stringify(Object.keys(m).sort()));",
    );
    const esm = JSON.parse((await run('node', ['esm.mjs'], consumer)).trim().split('\n').pop()!) as string[];
    const cjs = JSON.parse((await run('node', ['cjs.cjs'], consumer)).trim().split('\n').pop()!) as string[];
    expect(esm).toContain('MASRNet');
    expect(esm).toContain('selectBackend');
    expect(cjs).toEqual(esm);
  });

  it('runs a backend selection from the built ESM entry', async () => {
    writeFileSync(
      join(consumer, 'run.mjs'),
      "import { selectBackend } from 'masr-net'; const c = await selectBackend('auto'); console.log(c.name);",
    );
    expect((await run('node', ['run.mjs'], consumer)).trim().split('\n').pop()).toBe('wasm');
  });

  it('loads the shipped pretrained weights from the built ESM and CJS entries (package file, sha256-checked)', async () => {
    writeFileSync(
      join(consumer, 'pretrained.mjs'),
      "import { MASRNet, selectBackend } from 'masr-net'; await selectBackend('cpu');" +
        ' console.log((await MASRNet.pretrained()).countParams().trainable);',
    );
    writeFileSync(
      join(consumer, 'pretrained.cjs'),
      "const { MASRNet, selectBackend } = require('masr-net'); (async () => { await selectBackend('cpu');" +
        ' console.log((await MASRNet.pretrained()).countParams().trainable); })();',
    );
    for (const f of ['pretrained.mjs', 'pretrained.cjs'])
      expect((await run('node', [f], consumer)).trim().split('\n').pop(), f).toBe('4934647');
  });

  it("bundles the built ESM entry for a browser, as a web app's bundler would (issue 16)", async () => {
    writeFileSync(join(consumer, 'page.mjs'), "import { MASRNet } from 'masr-net'; console.log(typeof MASRNet);");
    const result = await bundleForBrowser(join(consumer, 'page.mjs'), { preserveSymlinks: true });
    expect(result.errors).toEqual([]);
    expect(Object.keys(result.metafile.inputs).some((i) => i.endsWith('dist/index.js'))).toBe(true);
    expect(nodeBuiltinsIn(result.metafile)).toEqual([]);
  });

  it('passes publint and are-the-types-wrong', async () => {
    const lint = await run('npx', ['publint', '--strict']);
    expect(lint).not.toMatch(/error|warning/i);
    // attw packs the package and resolves every exports entry under node10/node16 (CJS+ESM)/bundler.
    const attw = await run('npx', ['attw', '--pack', '.', '--format', 'json', '--profile', 'node16']);
    const report = JSON.parse(attw) as { analysis: { problems: { resolutionKind?: string }[] } };
    // node10 (pre-exports) resolution cannot see subpath entries like 'masr-net/node'; every modern resolver can.
    expect(report.analysis.problems.filter((p) => p.resolutionKind !== 'node10')).toEqual([]);
  });

  it('resolves types for a TypeScript consumer', async () => {
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
    await run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', consumer]);
  });
});
