// Builds the demo page into a static folder (default examples/web/dist): the page and worker bundles, the wasm
// binaries, the pretrained weights and a sample photo. Deploy the folder as is (with the headers serve.ts sets).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRETRAINED } from '../../src/models/pretrained';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

export async function buildWeb(out = join(here, 'dist')): Promise<string> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'weights'), { recursive: true });
  mkdirSync(join(out, 'samples'), { recursive: true });
  // No `external`s and platform browser: a Node built-in anywhere in the library would fail this build.
  await build({
    entryPoints: { main: join(here, 'main.ts'), worker: join(here, 'worker.ts') },
    outdir: out,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    minify: true,
    logLevel: 'warning',
    // In your own app this is the installed package; here the library's source, so the demo needs no build of it.
    alias: { 'masr-net': join(root, 'src', 'index.ts') },
  });
  for (const f of ['index.html', 'style.css']) copyFileSync(join(here, f), join(out, f));
  const wasmDir = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  // Beside index.html: tfjs's multi-threaded build starts its pthread workers from blob: URLs, and those fetch the
  // binary from the page's folder whatever wasmPaths says.
  for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join(out, f));
  for (const entry of Object.values(PRETRAINED))
    copyFileSync(join(root, 'weights', entry.file), join(out, 'weights', entry.file));
  for (const f of ['lol_eval15_22.png', 'lol_eval15_1.png'])
    copyFileSync(join(root, 'samples', 'lowlight', f), join(out, 'samples', f));
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildWeb(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`built ${out}`);
}
