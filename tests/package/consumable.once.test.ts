import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
/** A strict TypeScript consumer's tsconfig (skipLibCheck: tfjs's own .d.ts files fail strict checks, README). */
const consumerTsconfig = (files: string[], types: string[] = []) =>
  JSON.stringify({
    compilerOptions: {
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      target: 'ES2022',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types,
    },
    files,
  });

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
    writeFileSync(join(consumer, 'tsconfig.json'), consumerTsconfig(['use.ts']));
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ type: 'module' }));
    await run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', consumer]);
  });

  // The tarball as a user installs it (extracted into node_modules, not linked; its dependencies linked beside it):
  // the shipped examples type-check under strict tsc, and examples/custom-model.ts trains, scores, saves and reloads.
  describe('packed, with its examples', () => {
    let project: string;
    let packed: string[];

    beforeAll(async () => {
      project = mkdtempSync(join(tmpdir(), 'masr-packed-'));
      const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project]);
      const [info] = JSON.parse(pack) as { filename: string; files: { path: string }[] }[];
      packed = info!.files.map((f) => f.path);
      const pkg = join(project, 'node_modules', 'masr-net');
      mkdirSync(pkg, { recursive: true });
      await run('tar', ['-xzf', join(project, info!.filename), '-C', pkg, '--strip-components=1']);
      mkdirSync(join(project, 'node_modules', '@tensorflow'));
      mkdirSync(join(project, 'node_modules', '@types'));
      for (const dep of ['tfjs-core', 'tfjs-layers', 'tfjs-backend-cpu', 'tfjs-backend-wasm'].map(
        (p) => `@tensorflow/${p}`,
      ))
        symlinkSync(join(root, 'node_modules', dep), join(project, 'node_modules', dep));
      for (const dep of ['sharp', '@types/node'])
        symlinkSync(join(root, 'node_modules', dep), join(project, 'node_modules', dep));
      // A user copies an example into their project and runs it there.
      cpSync(join(pkg, 'examples'), join(project, 'examples'), { recursive: true });
      writeFileSync(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
    }, 300_000);

    afterAll(() => rmSync(project, { recursive: true, force: true }));

    it('ships the examples the README points to (the web demo stays in the repository)', () => {
      const examples = packed.filter((p) => p.startsWith('examples/')).sort();
      expect(examples).toEqual([
        'examples/README.md',
        'examples/custom-model.ts',
        'examples/enhance.ts',
        'examples/evaluate.ts',
        'examples/train.ts',
      ]);
      expect(packed).toContain('docs/build-your-own.md');
    });

    it('type-checks every shipped example against the packed types (strict, skipLibCheck)', async () => {
      const files = packed.filter((p) => /^examples\/[^/]+\.ts$/.test(p));
      writeFileSync(join(project, 'tsconfig.json'), consumerTsconfig(files, ['node']));
      await run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', project]);
    });

    it('runs examples/custom-model.ts on wasm: finite losses, no leak, scores, the reloaded model reproduces it', async () => {
      const tsx = join(root, 'node_modules', '.bin', 'tsx');
      const out = await run(tsx, ['examples/custom-model.ts', '--steps', '5', '--out', 'model'], project);
      expect(out).toMatch(/^backend: wasm/);
      const steps = [...out.matchAll(/^step (\d+)\/5 {2}loss (\S+) \(aux (\S+)\)/gm)];
      expect(steps.map((m) => Number(m[1]))).toEqual([1, 2, 3, 4, 5]);
      for (const m of steps) expect([Number(m[2]), Number(m[3])].every(Number.isFinite), m[0]).toBe(true);
      const tensors = /^tensors: (\d+) after step 1, (\d+) after step 5$/m.exec(out);
      expect(tensors?.[2], 'tensors leaked per step').toBe(tensors?.[1]);
      const psnr = /^held-out PSNR before (\S+) dB, after (\S+) dB$/m.exec(out);
      const ssim = /^held-out SSIM before (\S+), after (\S+)$/m.exec(out);
      for (const v of [psnr?.[1], psnr?.[2]]) expect(Number(v)).toBeGreaterThan(0);
      for (const v of [ssim?.[1], ssim?.[2]]) expect(Math.abs(Number(v))).toBeLessThanOrEqual(1);
      // The example itself exits 1 (failing `run`) when the loaded model's output differs.
      expect(Number(/max \|diff\| (\S+)$/m.exec(out)?.[1])).toBeLessThanOrEqual(1e-6);
      expect(existsSync(join(project, 'model', 'model.json'))).toBe(true);
    }, 600_000);
  });
});
