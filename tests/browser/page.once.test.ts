import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../../examples/web/build';
import { serveWeb } from '../../examples/web/serve';
import { readImage } from '../../src/data/index';
import { MASRNet, presetConfig, type MASRNetConfig } from '../../src/index';

// Issue 16: the demo page in a real Chromium (Debian's, driven by playwright-core; .ci/run installs it). The page is
// built exactly as `npm run web` builds it, served with its headers, and driven through the hooks main.ts exposes.
// Console errors, page errors and failed requests fail the run.
const CHROMIUM = process.env.MASR_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join('runs', 'browser');
const SAMPLE = 'samples/lowlight/lol_eval15_22.png';

interface Raw {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

let dir: string;
let server: Server;
let browser: Browser;
let page: Page;
const problems: string[] = [];

/** A deterministic 64x64 RGBA test card (a dark gradient with texture), the same in Node and in the page. */
function testCard(): Raw {
  const w = 64;
  const data = new Uint8ClampedArray(w * w * 4);
  for (let i = 0; i < w * w; i++) {
    const x = i % w;
    const y = Math.floor(i / w);
    data[i * 4] = (x * 2 + ((x * y) % 7)) % 80;
    data[i * 4 + 1] = (y * 2 + ((x + y) % 5)) % 70;
    data[i * 4 + 2] = ((x + y) % 60) + 5;
    data[i * 4 + 3] = 255;
  }
  return { width: w, height: w, data };
}

const rgbTensor = (p: Raw) =>
  tf.tidy(() =>
    tf.expandDims(
      tf.div(tf.slice(tf.tensor3d(Float32Array.from(p.data), [p.height, p.width, 4]), [0, 0, 0], [-1, -1, 3]), 255),
      0,
    ),
  ) as tf.Tensor4D;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const demo = <T>(script: string, arg?: unknown) =>
  page.evaluate(
    ([s, a]) => (new Function('demo', 'arg', `return (${s})(demo, arg)`) as (d: unknown, a: unknown) => Promise<T>)(
      (window as unknown as { masrDemo: unknown }).masrDemo,
      a,
    ),
    [script, arg] as const,
  ) as Promise<T>;

describe('demo page in Chromium (issue 16)', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set MASR_CHROMIUM)`);
    dir = await buildWeb(mkdtempSync(join(tmpdir(), 'masr-web-')));
    server = await serveWeb(dir, 0);
    // WebGPU in headless Chromium needs the unsafe flag and Vulkan (SwiftShader's, in software, here).
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(problems).toEqual([]);
  });

  it('starts wasm from the bundle (no import map, relative wasmPaths) and fetches the weights once', async () => {
    const init = await demo<{ backend: string; weights: string }>('(d) => d.ready()');
    expect(init.backend).toBe('wasm');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    // A second worker (as the backend switch makes) finds the weights in IndexedDB.
    const again = await demo<{ backend: string; weights: string }>("(d) => d.start('wasm')");
    expect(again.weights).toBe('indexeddb');
  });

  it("enhances a bundled sample like Node does with the same weights (wasm)", async () => {
    const r = await demo<{ raw: Record<string, number>; enhanced: { width: number; height: number } }>(
      '(d, url) => d.enhanceUrl(url, true).then((r) => ({ raw: r.raw, enhanced: r.enhanced }))',
      `./samples/lol_eval15_22.png`,
    );
    const inPage = Float32Array.from(Object.values(r.raw));
    const img = await readImage(SAMPLE);
    expect([r.enhanced.width, r.enhanced.height]).toEqual([img.width, img.height]);
    const model = await MASRNet.pretrained();
    const x = tf.tensor4d(img.data, [1, img.height, img.width, 3]);
    const y = model.enhance(x);
    const node = y.dataSync();
    tf.dispose([x, y]);
    model.dispose();
    // The browser decodes the PNG to the same 8-bit values; the rest is the same float32 arithmetic.
    expect(maxDiff(inPage, node)).toBeLessThan(2e-3);
    mkdirSync(SHOTS, { recursive: true });
    await page.waitForSelector('#download:not(.disabled)');
    await page.screenshot({ path: join(SHOTS, 'demo-page.png') });
    expect(statSync(join(SHOTS, 'demo-page.png')).size).toBeGreaterThan(20_000);
  });

  it("runs a training step in the page with Node's gradient norm (plain wasm, overrides installed)", async () => {
    const inPage = await demo<{ loss: number; gradNorm: number }>('(d) => d.trainStep(32)');
    const det = {
      ...(JSON.parse(JSON.stringify(presetConfig('lolv1')), (k, v) => (/dropout/i.test(k) ? 0 : v)) as MASRNetConfig),
      sampleSecondExpert: 'never' as const,
    };
    const m = MASRNet.fromConfig(det);
    const pre = await MASRNet.pretrained();
    m.loadSafetensors(pre.toSafetensors());
    pre.dispose();
    const n = 2 * 32 * 32 * 3;
    const x = tf.tensor4d(Float32Array.from({ length: n }, (_, i) => (Math.sin(i) + 1) / 2), [2, 32, 32, 3]);
    const y = tf.tensor4d(Float32Array.from({ length: n }, (_, i) => (Math.cos(i * 0.7) + 1) / 2), [2, 32, 32, 3]);
    const node = m.trainStep(tf.train.sgd(0), x, y, { microBatch: 1 });
    tf.dispose([x, y]);
    m.dispose();
    expect(Number.isFinite(inPage.gradNorm)).toBe(true);
    expect(Math.abs(inPage.gradNorm - node.gradNorm) / node.gradNorm).toBeLessThan(1e-3);
    expect(Math.abs(inPage.loss - node.loss)).toBeLessThan(1e-4);
  });

  it('enhances a photo opened with the file picker and one dropped on the page', async () => {
    const status = () => page.locator('#status').textContent();
    await page.evaluate(() => (document.getElementById('status')!.textContent = 'waiting for the file'));
    await page.setInputFiles('#file', 'samples/lowlight/lol_eval15_1.png');
    await page.waitForFunction(() => /^enhanced \d+×\d+/.test(document.getElementById('status')!.textContent!), null, {
      timeout: 120_000,
    });
    const opened = await status();
    await page.evaluate(async () => {
      const blob = await (await fetch('./samples/lol_eval15_22.png')).blob();
      const dt = new DataTransfer();
      dt.items.add(new File([blob], 'dropped.png', { type: 'image/png' }));
      document.getElementById('status')!.textContent = 'waiting for the drop';
      document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true }));
    });
    await page.waitForFunction(() => /^enhanced \d+×\d+/.test(document.getElementById('status')!.textContent!), null, {
      timeout: 120_000,
    });
    expect(opened).toMatch(/^enhanced 384×256 in/);
    expect(await status()).toMatch(/^enhanced 384×256 in/);
    // The download link holds the enhanced PNG.
    const size = await page.evaluate(async () => {
      const a = document.getElementById('download') as HTMLAnchorElement;
      return (await (await fetch(a.href)).blob()).size;
    });
    expect(size).toBeGreaterThan(10_000);
  });

  it('enhances a 64x64 image on webgl (device routing, no sync read) as on wasm', async () => {
    const card = testCard();
    const wasm = await demo<{ raw: Record<string, number> }>('(d, p) => d.enhancePixels(p, true)', {
      ...card,
      data: Array.from(card.data),
    });
    const backends = await page.evaluate(() =>
      Array.from((document.getElementById('backend') as HTMLSelectElement).options, (o) => o.value),
    );
    expect(backends).toContain('webgl');
    const init = await demo<{ backend: string }>("(d) => d.start('webgl')");
    expect(init.backend).toBe('webgl');
    const webgl = await demo<{ raw: Record<string, number> }>('(d, p) => d.enhancePixels(p, true)', {
      ...card,
      data: Array.from(card.data),
    });
    const a = Float32Array.from(Object.values(wasm.raw));
    const b = Float32Array.from(Object.values(webgl.raw));
    expect(a.length).toBe(64 * 64 * 3);
    expect(maxDiff(a, b)).toBeLessThan(2e-3);
    // And Node's wasm result for the same pixels.
    const model = await MASRNet.pretrained();
    const x = rgbTensor(card);
    const y = model.enhance(x);
    expect(maxDiff(a, y.dataSync())).toBeLessThan(2e-3);
    tf.dispose([x, y]);
    model.dispose();
    await demo("(d) => d.start('wasm')");
  });

  it('enhances a 16x16 image on webgpu as on wasm (no synchronous GPU read anywhere in the forward)', async () => {
    const card = testCard();
    const small = { width: 16, height: 16, data: [] as number[] };
    for (let y = 0; y < 16; y++) small.data.push(...Array.from(card.data.subarray(y * 64 * 4, y * 64 * 4 + 16 * 4)));
    const wasm = await demo<{ raw: Record<string, number> }>('(d, p) => d.enhancePixels(p, true)', small);
    const init = await demo<{ backend: string }>("(d) => d.start('webgpu')");
    expect(init.backend).toBe('webgpu');
    const webgpu = await demo<{ raw: Record<string, number> }>('(d, p) => d.enhancePixels(p, true)', small);
    const a = Float32Array.from(Object.values(wasm.raw));
    const b = Float32Array.from(Object.values(webgpu.raw));
    expect(a.length).toBe(16 * 16 * 3);
    expect(maxDiff(a, b)).toBeLessThan(2e-3);
    await demo("(d) => d.start('wasm')");
  });
});
