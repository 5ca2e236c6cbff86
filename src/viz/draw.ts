import type { RgbImage } from '../data/index';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph, textWidth } from './font';

/** An RGB colour with components in [0,1]. */
export type Color = [number, number, number];

export const WHITE: Color = [1, 1, 1];
export const BLACK: Color = [0, 0, 0];

/** A new image filled with one colour. */
export function blank(width: number, height: number, color: Color = BLACK): RgbImage {
  const data = new Float32Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(color, i);
  return { width, height, data };
}

/** Set one pixel (ignored outside the image); `alpha` blends over what is there. */
export function setPixel(img: RgbImage, x: number, y: number, color: Color, alpha = 1): void {
  x = Math.round(x);
  y = Math.round(y);
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  const o = (y * img.width + x) * 3;
  for (let c = 0; c < 3; c++) img.data[o + c] = alpha * color[c]! + (1 - alpha) * img.data[o + c]!;
}

/** Fill a rectangle (clipped to the image), optionally blended. */
export function fillRect(img: RgbImage, x: number, y: number, w: number, h: number, color: Color, alpha = 1): void {
  for (let yy = Math.max(0, y); yy < Math.min(img.height, y + h); yy++) {
    for (let xx = Math.max(0, x); xx < Math.min(img.width, x + w); xx++) setPixel(img, xx, yy, color, alpha);
  }
}

/** A straight line (Bresenham). */
export function drawLine(img: RgbImage, x0: number, y0: number, x1: number, y1: number, color: Color): void {
  x0 = Math.round(x0);
  y0 = Math.round(y0);
  x1 = Math.round(x1);
  y1 = Math.round(y1);
  const dx = Math.abs(x1 - x0);
  const dy = -Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1;
  const sy = y0 < y1 ? 1 : -1;
  let err = dx + dy;
  for (;;) {
    setPixel(img, x0, y0, color);
    if (x0 === x1 && y0 === y1) break;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

/**
 * Write text with the built-in 5x7 font at (x, y) (top-left), `scale` pixels per font pixel. With `background`, a
 * translucent box is drawn first so the text reads on any image.
 */
export function drawText(
  img: RgbImage,
  x: number,
  y: number,
  text: string,
  options: { scale?: number; color?: Color; background?: Color; backgroundAlpha?: number } = {},
): void {
  const scale = options.scale ?? 2;
  const color = options.color ?? WHITE;
  if (options.background) {
    const pad = scale * 2;
    fillRect(
      img,
      x - pad,
      y - pad,
      textWidth(text, scale) + 2 * pad,
      GLYPH_HEIGHT * scale + 2 * pad,
      options.background,
      options.backgroundAlpha ?? 0.6,
    );
  }
  let cx = x;
  for (const ch of text) {
    const rows = glyph(ch);
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      for (let c = 0; c < GLYPH_WIDTH; c++) {
        if (rows[r]![c]) fillRect(img, cx + c * scale, y + r * scale, scale, scale, color);
      }
    }
    cx += (GLYPH_WIDTH + 1) * scale;
  }
}

/** Place images side by side (top-aligned) with a gap, on a background colour. */
export function concatHorizontal(images: RgbImage[], gap = 4, background: Color = BLACK): RgbImage {
  const width = images.reduce((w, im) => w + im.width, 0) + gap * (images.length - 1);
  const height = Math.max(...images.map((im) => im.height));
  const out = blank(width, height, background);
  let x0 = 0;
  for (const im of images) {
    for (let y = 0; y < im.height; y++) {
      out.data.set(im.data.subarray(y * im.width * 3, (y + 1) * im.width * 3), (y * width + x0) * 3);
    }
    x0 += im.width + gap;
  }
  return out;
}

/** A copy of an image with values clipped to [0,1] (NaN becomes 0). */
export function clipImage(img: RgbImage): RgbImage {
  const data = new Float32Array(img.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = img.data[i]!;
    data[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
  return { width: img.width, height: img.height, data };
}
