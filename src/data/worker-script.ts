import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';

/** The file URL of tsx's ESM programmatic API (`tsx/esm/api`, import condition). */
function tsxEsmApi(from: string): string {
  const require = createRequire(from);
  const pkgPath = require.resolve('tsx/package.json');
  const pkg = require(pkgPath) as { exports: Record<string, { import: { default: string } }> };
  return new URL(pkg.exports['./esm/api']!.import.default, pathToFileURL(pkgPath)).href;
}

/**
 * How to start a worker thread whose script is `name` next to the module at `here` (its `import.meta.url`): the
 * bundled `name.js` (dist/), or, running from source (tsx, vitest), `name.ts` loaded through tsx's programmatic API.
 */
export function workerSpec(name: string, here: string): { script: string | URL; eval: boolean } {
  const js = new URL(`./${name}.js`, here);
  if (js.protocol === 'file:' && existsSync(fileURLToPath(js))) return { script: js, eval: false };
  const ts = new URL(`./${name}.ts`, here);
  if (ts.protocol === 'file:' && existsSync(fileURLToPath(ts))) {
    const api = tsxEsmApi(here);
    const code = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(ts.href)}, ${JSON.stringify(here)}));`;
    return { script: code, eval: true };
  }
  throw new Error(`no ${name} script next to ${here}`);
}

/**
 * A worker's first message (a worker posts one when its code has loaded, or in answer to its first request).
 * Rejects if it fails, exits or stays silent for `timeoutMs`. Only these listeners are removed: Node's Worker keeps
 * internal ones that `removeAllListeners` would break.
 */
export function firstMessage(w: Worker, timeoutMs: number, name = 'worker'): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    const done = (err: Error | null, msg?: unknown) => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
      if (err) reject(err);
      else resolve(msg);
    };
    const onMessage = (msg: unknown) => done(null, msg);
    const onError = (e: Error) => done(e);
    const onExit = (code: number) => done(new Error(`${name} exited with code ${code}`));
    const timer = setTimeout(() => done(new Error(`${name} did not start in time`)), timeoutMs);
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
  });
}
