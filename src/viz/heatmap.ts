import type { RgbImage } from '../data/index';
import { drawText, fillRect, type Color } from './draw';

/** Viridis at eleven evenly spaced stops (perceptually uniform, readable in greyscale). */
const VIRIDIS: Color[] = [
  [0.267, 0.005, 0.329],
  [0.283, 0.141, 0.458],
  [0.254, 0.265, 0.53],
  [0.207, 0.372, 0.553],
  [0.164, 0.471, 0.558],
  [0.128, 0.567, 0.551],
  [0.135, 0.659, 0.518],
  [0.267, 0.749, 0.441],
  [0.478, 0.821, 0.318],
  [0.741, 0.873, 0.149],
  [0.993, 0.906, 0.144],
];

/** The viridis colour of t in [0,1] (clamped). */
export function viridis(t: number): Color {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
}

/**
 * A single-channel map [H*W] as a viridis heatmap, scaled from its min to its max, with a colour bar and the range
 * written on it (`label MIN..MAX`).
 */
export function heatmap(values: Float32Array, width: number, height: number, label: string): RgbImage {
  if (values.length !== width * height)
    throw new Error(`heatmap: expected ${width * height} values, got ${values.length}`);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  const span = hi - lo || 1;
  const data = new Float32Array(width * height * 3);
  for (let i = 0; i < values.length; i++) data.set(viridis((values[i]! - lo) / span), i * 3);
  const img = { width, height, data };
  const bar = Math.max(4, Math.round(height / 40));
  for (let x = 0; x < width; x++) fillRect(img, x, height - bar, 1, bar, viridis(x / Math.max(1, width - 1)));
  const scale = width >= 300 ? 2 : 1;
  drawText(img, 4 * scale, 4 * scale, `${label} ${fmt(lo)}..${fmt(hi)}`, { scale, background: [0, 0, 0] });
  return img;
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : v.toPrecision(3);
}
