import type { RgbImage } from '../data/index';
import { blank, drawLine, drawText, fillRect, type Color } from './draw';
import { textWidth } from './font';

export interface Series {
  label: string;
  color: Color;
  points: [number, number][];
}

const AXIS: Color = [0.55, 0.55, 0.55];
const GRID: Color = [0.88, 0.88, 0.88];
const INK: Color = [0.1, 0.1, 0.1];

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 0.01 ? v.toFixed(3) : v.toExponential(1);
}

/** Draw one panel: axes, min/max labels, a faint grid and each series as a polyline (single points as dots). */
function panel(
  img: RgbImage,
  x0: number,
  y0: number,
  w: number,
  h: number,
  title: string,
  series: Series[],
  xMax: number,
): void {
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  fillRect(img, x0, y0, w, h, [1, 1, 1]);
  drawText(img, x0 + 4, y0 - 22, title, { scale: 2, color: INK });
  if (all.length === 0) {
    drawText(img, x0 + 10, y0 + h / 2, 'NO DATA', { scale: 2, color: AXIS });
    return;
  }
  let lo = Math.min(...all.map(([, y]) => y));
  let hi = Math.max(...all.map(([, y]) => y));
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const X = (x: number) => x0 + (x / Math.max(1, xMax)) * (w - 1);
  const Y = (y: number) => y0 + h - 1 - ((y - lo) / (hi - lo)) * (h - 1);
  for (let i = 1; i < 4; i++) drawLine(img, x0, y0 + (i * h) / 4, x0 + w - 1, y0 + (i * h) / 4, GRID);
  drawLine(img, x0, y0, x0, y0 + h - 1, AXIS);
  drawLine(img, x0, y0 + h - 1, x0 + w - 1, y0 + h - 1, AXIS);
  drawText(img, x0 - textWidth(fmt(hi), 1) - 6, y0, fmt(hi), { scale: 1, color: INK });
  drawText(img, x0 - textWidth(fmt(lo), 1) - 6, y0 + h - 8, fmt(lo), { scale: 1, color: INK });
  for (const s of series) {
    const pts = s.points.filter(([, y]) => Number.isFinite(y));
    for (let i = 1; i < pts.length; i++)
      drawLine(img, X(pts[i - 1]![0]), Y(pts[i - 1]![1]), X(pts[i]![0]), Y(pts[i]![1]), s.color);
    for (const [x, y] of pts.length <= 40 ? pts : [])
      fillRect(img, Math.round(X(x)) - 2, Math.round(Y(y)) - 2, 5, 5, s.color);
  }
  let lx = x0 + w - 8;
  for (const s of [...series].reverse()) {
    lx -= textWidth(s.label, 1) + 16;
    fillRect(img, lx, y0 + 8, 10, 7, s.color);
    drawText(img, lx + 13, y0 + 8, s.label, { scale: 1, color: INK });
  }
}

/** Exponential moving average, for a readable loss curve next to the raw one. */
export function smooth(points: [number, number][], alpha = 0.1): [number, number][] {
  let m: number | undefined;
  return points.map(([x, y]) => {
    m = m === undefined ? y : m + alpha * (y - m);
    return [x, m];
  });
}

/** The training curves as one image: loss per step (raw and smoothed), validation PSNR and validation SSIM, on a shared step axis. */
export function trainingCurves(
  loss: [number, number][],
  valPsnr: [number, number][],
  valSsim: [number, number][],
  totalSteps: number,
): RgbImage {
  const width = 900;
  const height = 760;
  const img = blank(width, height, [0.96, 0.96, 0.96]);
  const left = 70;
  const w = width - left - 20;
  const h = 180;
  const xMax = Math.max(totalSteps, ...loss.map(([x]) => x), 1);
  panel(
    img,
    left,
    40,
    w,
    h,
    'TRAINING LOSS',
    [
      { label: 'LOSS', color: [0.65, 0.75, 0.95], points: loss },
      { label: 'SMOOTHED', color: [0.1, 0.3, 0.8], points: smooth(loss) },
    ],
    xMax,
  );
  panel(
    img,
    left,
    40 + h + 60,
    w,
    h,
    'VALIDATION PSNR (DB)',
    [{ label: 'PSNR', color: [0.85, 0.35, 0.1], points: valPsnr }],
    xMax,
  );
  panel(
    img,
    left,
    40 + 2 * (h + 60),
    w,
    h,
    'VALIDATION SSIM',
    [{ label: 'SSIM', color: [0.2, 0.6, 0.3], points: valSsim }],
    xMax,
  );
  drawText(img, left, height - 22, `STEP 0..${xMax}`, { scale: 1, color: INK });
  return img;
}
