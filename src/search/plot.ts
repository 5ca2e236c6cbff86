import type { RgbImage } from '../data/index';
import { blank, drawLine, drawText, fillRect, type Color } from '../viz/draw';
import { textWidth } from '../viz/font';
import { INK, drawPanel, formatTick } from '../viz/panel';
import type { StudyState } from './study-file';
import { toUnit, type SearchSpace } from './space';

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
    drawText(img, x0, y0 + ph + 6, formatTick(p.low), { scale: 1, color: INK });
    drawText(img, x0 + pw - textWidth(formatTick(p.high), 1), y0 + ph + 6, formatTick(p.high), {
      scale: 1,
      color: INK,
    });
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
  const toY = drawPanel(img, x0, y0, w, h, title, ys, { pad: 0.08 });
  if (!toY) return;
  const X = (x: number) => Math.round(x0 + 6 + x * (w - 13));
  const Y = (y: number) => Math.round(toY(y));
  for (let i = 1; i < line.length; i++)
    drawLine(img, X(line[i - 1]!.x), Y(line[i - 1]!.y), X(line[i]!.x), Y(line[i]!.y), [0.2, 0.7, 0.3]);
  for (const p of points) fillRect(img, X(p.x) - 3, Y(p.y) - 3, 7, 7, p.color);
}
