import type { RgbImage } from '../data/index';
import { blank, drawLine, drawText, fillRect, type Color } from './draw';
import { textWidth } from './font';
import { INK, drawPanel } from './panel';

export interface Series {
  label: string;
  color: Color;
  points: [number, number][];
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
  const Y = drawPanel(
    img,
    x0,
    y0,
    w,
    h,
    title,
    series.flatMap((s) => s.points.map(([, y]) => y)),
    { grid: true },
  );
  if (!Y) return;
  const X = (x: number) => x0 + (x / Math.max(1, xMax)) * (w - 1);
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
