import type { RgbImage } from '../data/index';
import { drawLine, drawText, fillRect, type Color } from './draw';
import { textWidth } from './font';

export const INK: Color = [0.1, 0.1, 0.1];
export const AXIS: Color = [0.55, 0.55, 0.55];
const GRID: Color = [0.88, 0.88, 0.88];

/** A number as an axis label: short, exponent form for tiny values. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 0.01 ? v.toFixed(3) : v.toExponential(1);
}

export interface PanelOptions {
  /** Fraction of the value range added above and below, so points do not sit on the frame. Default 0.05. */
  pad?: number;
  /** Three faint horizontal grid lines. Default false. */
  grid?: boolean;
}

/**
 * One plot panel of the training curves and the search plot: white background, title, axes, the min/max labels of
 * the `ys` range. Returns the value → pixel row mapping for the caller's series, or null (and 'NO DATA' drawn) when
 * there is no finite value.
 */
export function drawPanel(
  img: RgbImage,
  x0: number,
  y0: number,
  w: number,
  h: number,
  title: string,
  ys: number[],
  options: PanelOptions = {},
): ((y: number) => number) | null {
  fillRect(img, x0, y0, w, h, [1, 1, 1]);
  drawText(img, x0 + 4, y0 - 22, title, { scale: 2, color: INK });
  const finite = ys.filter(Number.isFinite);
  if (finite.length === 0) {
    drawText(img, x0 + 10, y0 + h / 2, 'NO DATA', { scale: 2, color: AXIS });
    return null;
  }
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * (options.pad ?? 0.05);
  [lo, hi] = [lo - pad, hi + pad];
  if (options.grid) for (let i = 1; i < 4; i++) drawLine(img, x0, y0 + (i * h) / 4, x0 + w - 1, y0 + (i * h) / 4, GRID);
  drawLine(img, x0, y0, x0, y0 + h - 1, AXIS);
  drawLine(img, x0, y0 + h - 1, x0 + w - 1, y0 + h - 1, AXIS);
  drawText(img, x0 - textWidth(formatTick(hi), 1) - 6, y0, formatTick(hi), { scale: 1, color: INK });
  drawText(img, x0 - textWidth(formatTick(lo), 1) - 6, y0 + h - 8, formatTick(lo), { scale: 1, color: INK });
  return (y: number) => y0 + h - 1 - ((y - lo) / (hi - lo)) * (h - 1);
}
