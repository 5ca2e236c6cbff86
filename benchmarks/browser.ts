// `npm run bench:browser [-- --size 256 --backends wasm,webgl,webgpu,cpu --runs 2 --timeout 600]`
// Times the demo page's enhance (examples/web, the pretrained weights) per tfjs backend in Debian's Chromium, headless
// (playwright-core). Prints one line per backend: first and later enhance times of a size x size photo, or why the
// backend did not run. Headless Chromium has no GPU here: WebGL runs on SwiftShader (software), WebGPU needs an
// adapter, which it may not find.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildWeb } from '../examples/web/build';
import { serveWeb } from '../examples/web/serve';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const size = Number(opt('size', '256'));
const runs = Number(opt('runs', '2'));
const backends = opt('backends', 'wasm,webgl,webgpu,cpu').split(',');
const timeoutS = Number(opt('timeout', '600'));

const dir = await buildWeb(mkdtempSync(join(tmpdir(), 'masr-web-bench-')));
const server = await serveWeb(dir, 0);
// A fresh browser per backend: a timed-out software-GPU run keeps the GPU process busy for minutes.
const launch = () =>
  chromium.launch({
    executablePath: process.env.MASR_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan'],
  });
const first = await launch();
console.log(`Chromium ${first.version()} headless, ${cpus()[0]?.model} x${cpus().length}; ${size}x${size} enhance`);
await first.close();
try {
  for (const backend of backends) {
    const browser = await launch();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    const timer = new Promise<{ error: string }>((ok) =>
      setTimeout(() => ok({ error: `no result within ${timeoutS} s` }), timeoutS * 1000),
    );
    const run = page.evaluate(
      async ([b, s, n]) => {
        const demo = (window as unknown as { masrDemo: Record<string, (...a: unknown[]) => Promise<unknown>> }).masrDemo;
        try {
          await demo.ready!().catch(() => undefined);
          await demo.start!(b);
        } catch (e) {
          return { error: (e as Error).message };
        }
        const data = new Uint8ClampedArray(s * s * 4);
        for (let i = 0; i < s * s; i++) data.set([(i * 7) % 90, (i * 13) % 80, (i * 3) % 70, 255], i * 4);
        const times: number[] = [];
        for (let r = 0; r < n; r++) {
          const t0 = performance.now();
          await demo.enhancePixels!({ width: s, height: s, data });
          times.push(performance.now() - t0);
        }
        return { times };
      },
      [backend, size, runs] as const,
    );
    run.catch(() => undefined); // a timed-out evaluate rejects when its page closes
    const result = await Promise.race([run, timer]);
    if ('error' in result) console.log(`${backend.padEnd(7)} did not run: ${result.error}`);
    else
      console.log(
        `${backend.padEnd(7)} first ${(result.times[0]! / 1000).toFixed(2)} s` +
          (result.times.length > 1
            ? `, then ${result.times
                .slice(1)
                .map((t) => (t / 1000).toFixed(2))
                .join(' / ')} s`
            : ''),
      );
    await browser.close();
  }
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
