// Messages between the demo page (main.ts) and the model worker (worker.ts).
export type BackendId = 'wasm' | 'webgl' | 'webgpu' | 'cpu';

/** RGBA pixels as canvases give them. */
export interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export interface InitResult {
  backend: string;
  reason: string;
  /** Where the weights came from this time. */
  weights: 'indexeddb' | 'network';
  loadMs: number;
}

export interface EnhanceResult {
  enhanced: Pixels;
  /** Heatmaps of the per-pixel ISP maps, labelled with their range. */
  maps: { gamma: Pixels; colorStrength: Pixels; saturation: Pixels };
  ms: number;
  /** The enhanced image as float RGB in [0, 1] (only when asked: tests compare it with Node's). */
  raw?: Float32Array;
}

export interface TrainStepResult {
  loss: number;
  gradNorm: number;
  ms: number;
}

export type Call =
  | { method: 'init'; backend: BackendId }
  | { method: 'enhance'; pixels: Pixels; raw?: boolean }
  | { method: 'trainStep'; size: number }
  | { method: 'clearCache' }
  /** Diagnostics: every recorded stage of one forward pass (the parity tool's names), as flat arrays. */
  | { method: 'stages'; pixels: Pixels };

export type Request = Call & { id: number };

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
