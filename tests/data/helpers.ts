import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeImage, type RgbImage } from '../../src/data/index';

/** A fresh temporary folder; remove it with the returned cleanup. */
export function tempDir(prefix = 'masr-data-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A deterministic test image whose pixel values encode their position (8-bit exact). */
export function patternImage(width: number, height: number, salt = 0): RgbImage {
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = ((x * 7 + salt) % 256) / 255;
      data[o + 1] = ((y * 11 + salt) % 256) / 255;
      data[o + 2] = ((x * 3 + y * 5 + salt) % 256) / 255;
    }
  }
  return { width, height, data };
}

/** Write a small PNG pattern image. */
export async function writePattern(path: string, width = 16, height = 12, salt = 0): Promise<void> {
  await writeImage(path, patternImage(width, height, salt));
}
