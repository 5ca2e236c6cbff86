// The demo page: picks a photo, hands its pixels to the model worker, shows the result.
import type { BackendId, Call, EnhanceResult, InitResult, Pixels, Reply, TrainStepResult } from './protocol';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (text: string) => ($('status').textContent = text);

/** Request/response over postMessage. */
class ModelWorker {
  private worker = new Worker('./worker.js', { type: 'module' });
  private next = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  constructor() {
    this.worker.onmessage = (e: MessageEvent<Reply>) => {
      const p = this.pending.get(e.data.id);
      this.pending.delete(e.data.id);
      if (e.data.ok) p?.resolve(e.data.value);
      else p?.reject(new Error(e.data.error));
    };
    this.worker.onerror = (e) => {
      for (const p of this.pending.values()) p.reject(new Error(`worker failed: ${e.message}`));
      this.pending.clear();
    };
  }
  call<T>(req: Call, transfer: Transferable[] = []): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...req, id }, transfer);
    });
  }
  terminate() {
    this.worker.terminate();
  }
}

let worker: ModelWorker | null = null;
let ready: Promise<InitResult> | null = null;
let current: Pixels | null = null;

/** The backends this browser can offer (wasm always; webgl/webgpu when the browser has them). */
async function availableBackends(): Promise<BackendId[]> {
  const list: BackendId[] = ['wasm'];
  if (document.createElement('canvas').getContext('webgl2')) list.push('webgl');
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (gpu && (await gpu.requestAdapter().catch(() => null))) list.push('webgpu');
  list.push('cpu');
  return list;
}

/** Whether WebGL runs on a software renderer (SwiftShader, llvmpipe): then it is far slower than wasm. */
function softwareGl(): boolean {
  const gl = document.createElement('canvas').getContext('webgl2');
  const info = gl?.getExtension('WEBGL_debug_renderer_info');
  const renderer = gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
  return /swiftshader|llvmpipe|software/i.test(renderer);
}

/** A fresh worker per backend: tfjs keeps one backend per thread, and a clean start avoids half-switched state. */
function start(backend: BackendId): Promise<InitResult> {
  worker?.terminate();
  worker = new ModelWorker();
  status(`loading the model on ${backend}…`);
  ready = worker.call<InitResult>({ method: 'init', backend });
  ready.then(
    (r) => {
      status(`ready: ${r.backend}; weights from ${r.weights} in ${(r.loadMs / 1000).toFixed(1)} s`);
      if (current) void enhance(current);
    },
    (e: Error) => status(`could not start ${backend}: ${e.message}`),
  );
  return ready;
}

function draw(canvas: HTMLCanvasElement, p: Pixels) {
  canvas.width = p.width;
  canvas.height = p.height;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(p.data), p.width, p.height), 0, 0);
}

async function pixelsOf(source: Blob): Promise<Pixels> {
  const bitmap = await createImageBitmap(source);
  // Large photos are scaled to at most 1 megapixel: the whole-image forward needs ~2 GB per megapixel.
  const scale = Math.min(1, Math.sqrt(1_000_000 / (bitmap.width * bitmap.height)));
  const width = Math.max(16, Math.round(bitmap.width * scale));
  const height = Math.max(16, Math.round(bitmap.height * scale));
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0, width, height);
  const img = ctx.getImageData(0, 0, width, height);
  return { width, height, data: img.data };
}

async function enhance(p: Pixels, raw = false): Promise<EnhanceResult> {
  current = p;
  draw($('before'), p);
  await ready;
  status(`enhancing ${p.width}×${p.height}…`);
  const r = await worker!.call<EnhanceResult>({ method: 'enhance', pixels: p, raw });
  draw($('after'), r.enhanced);
  $('drop').classList.add('loaded');
  draw($('map-gamma'), r.maps.gamma);
  draw($('map-color'), r.maps.colorStrength);
  draw($('map-saturation'), r.maps.saturation);
  document.querySelector('.hint')?.remove();
  const link = $<HTMLAnchorElement>('download');
  $<HTMLCanvasElement>('after').toBlob((blob) => {
    if (!blob) return;
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(blob);
    link.classList.remove('disabled');
  }, 'image/png');
  status(`enhanced ${p.width}×${p.height} in ${(r.ms / 1000).toFixed(2)} s`);
  return r;
}

async function enhanceFile(file: Blob) {
  try {
    await enhance(await pixelsOf(file));
  } catch (e) {
    status(`error: ${(e as Error).message}`);
  }
}

async function main() {
  const select = $<HTMLSelectElement>('backend');
  const soft = softwareGl();
  for (const b of await availableBackends()) select.add(new Option(b === 'webgl' && soft ? 'webgl (software GL: very slow)' : b, b));
  select.onchange = () => void start(select.value as BackendId);
  $<HTMLInputElement>('file').onchange = (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) void enhanceFile(f);
  };
  $<HTMLButtonElement>('sample').onclick = async () => enhanceFile(await (await fetch('./samples/lol_eval15_22.png')).blob());
  const drop = $('drop');
  drop.ondragover = (e) => {
    e.preventDefault();
    drop.classList.add('dragging');
  };
  drop.ondragleave = () => drop.classList.remove('dragging');
  drop.ondrop = (e) => {
    e.preventDefault();
    drop.classList.remove('dragging');
    const f = e.dataTransfer?.files[0];
    if (f) void enhanceFile(f);
  };
  $<HTMLInputElement>('slider').oninput = (e) =>
    ($('before-clip').style.width = `${(e.target as HTMLInputElement).value}%`);
  start('wasm');
}

// For the browser tests (tests/browser): drive the worker the way the page does.
(window as unknown as Record<string, unknown>).masrDemo = {
  ready: () => ready,
  start,
  enhanceUrl: async (url: string, raw = false) => enhance(await pixelsOf(await (await fetch(url)).blob()), raw),
  enhancePixels: (p: Pixels, raw = false) => enhance({ ...p, data: Uint8ClampedArray.from(p.data) }, raw),
  trainStep: (size: number) => worker!.call<TrainStepResult>({ method: 'trainStep', size }),
  stages: (p: Pixels) =>
    worker!.call<Record<string, Float32Array>>({ method: 'stages', pixels: { ...p, data: Uint8ClampedArray.from(p.data) } }),
  clearCache: () => worker!.call<void>({ method: 'clearCache' }),
};

void main();
