import type { RgbImage } from '../data/index';
import { blank, drawLine, drawText, fillRect, type Color } from '../viz/draw';
import { textWidth } from '../viz/font';
import type { StudyState } from './study-file';
import { toUnit, type SearchSpace } from './space';

const INK: Color = [0.1, 0.1, 0.1];
const AXIS: Color = [0.55, 0.55, 0.55];
const COLORS: Record<string, Color> = {
  complete: [0.1, 0.3, 0.8],
  pruned: [0.85, 0.45, 0.1],
  failed: [0.8, 0.1, 0.1],
  running: [0.6, 0.6, 0.6],
};

interface Point {
  x: number;
  y: number;
  color: Color;
}

/**
 * The study as one image: the score of each trial against its number (complete trials blue, pruned ones orange at
 * their last reported score, best-so-far as a line), then one panel per parameter: score against its value (log
 * scale where the parameter has one).
 */
export function searchPlot(state: StudyState, space: SearchSpace): RgbImage {
  const cols = 2;
  const pw = 400;
  const ph = 220;
  const rows = 1 + Math.ceil(space.length / cols);
  const width = 80 + cols * (pw + 80);
  const height = 20 + rows * (ph + 70);
  const img = blank(width, height, [0.96, 0.96, 0.96]);
  const scored = state.trials
    .map((t) => ({ t, y: t.score ?? t.reports.at(-1)?.score }))
    .filter((s): s is { t: (typeof state.trials)[number]; y: number } => s.y !== undefined && Number.isFinite(s.y));
  const ys = scored.map((s) => s.y);
  const lastTrial = Math.max(1, ...state.trials.map((t) => t.trial));
  const byTrial = scored.map(({ t, y }) => ({ x: t.trial / lastTrial, y, color: COLORS[t.status]! }));
  let best = -Infinity;
  const bestLine = scored
    .filter((s) => s.t.status === 'complete')
    .map(({ t, y }) => ({ x: t.trial / lastTrial, y: (best = Math.max(best, y)) }));
  panel(img, 80, 40, pw * 2 + 80, ph, `SCORE (VAL PSNR DB) BY TRIAL 0..${lastTrial}`, byTrial, ys, bestLine);
  space.forEach((p, i) => {
    const x0 = 80 + (i % cols) * (pw + 80);
    const y0 = 40 + (1 + Math.floor(i / cols)) * (ph + 70);
    const pts = scored.map(({ t, y }) => ({ x: toUnit(p, t.values[p.name]!), y, color: COLORS[t.status]! }));
    panel(img, x0, y0, pw, ph, `SCORE VS ${p.name.toUpperCase()}${p.log ? ' (LOG)' : ''}`, pts, ys, []);
    drawText(img, x0, y0 + ph + 6, fmt(p.low), { scale: 1, color: INK });
    drawText(img, x0 + pw - textWidth(fmt(p.high), 1), y0 + ph + 6, fmt(p.high), { scale: 1, color: INK });
  });
  drawText(img, 80, height - 18, 'BLUE COMPLETE  ORANGE PRUNED (LAST REPORT)  RED FAILED', { scale: 1, color: INK });
  return img;
}

function panel(
  img: RgbImage,
  x0: number,
  y0: number,
  w: number,
  h: number,
  title: string,
  points: Point[],
  ys: number[],
  line: { x: number; y: number }[],
): void {
  fillRect(img, x0, y0, w, h, [1, 1, 1]);
  drawText(img, x0, y0 - 20, title, { scale: 2, color: INK });
  drawLine(img, x0, y0, x0, y0 + h - 1, AXIS);
  drawLine(img, x0, y0 + h - 1, x0 + w - 1, y0 + h - 1, AXIS);
  if (ys.length === 0) {
    drawText(img, x0 + 10, y0 + h / 2, 'NO DATA', { scale: 2, color: AXIS });
    return;
  }
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.08;
  [lo, hi] = [lo - pad, hi + pad];
  const X = (x: number) => Math.round(x0 + 6 + x * (w - 13));
  const Y = (y: number) => Math.round(y0 + h - 1 - ((y - lo) / (hi - lo)) * (h - 1));
  drawText(img, x0 - textWidth(fmt(hi), 1) - 6, y0, fmt(hi), { scale: 1, color: INK });
  drawText(img, x0 - textWidth(fmt(lo), 1) - 6, y0 + h - 8, fmt(lo), { scale: 1, color: INK });
  for (let i = 1; i < line.length; i++)
    drawLine(img, X(line[i - 1]!.x), Y(line[i - 1]!.y), X(line[i]!.x), Y(line[i]!.y), [0.2, 0.7, 0.3]);
  for (const p of points) fillRect(img, X(p.x) - 3, Y(p.y) - 3, 7, 7, p.color);
}

function fmt(v: number): string {
  const a = Math.abs(v);
  return a === 0 ? '0' : a >= 10 ? v.toFixed(1) : a >= 0.01 ? v.toFixed(3) : v.toExponential(2);
}
