import { join } from 'node:path';
import { readImage, type RgbImage } from '../../src/data/index';
import { enhanceImage } from '../../src/infer/evaluate';
import type { MASRNet } from '../../src/models/index';
import { packagePath } from '../../src/package-files';

/** The golden input: the top-left 96x128 of a bundled LOL eval15 sample (small enough for the cpu backend). */
export async function goldenInput(): Promise<RgbImage> {
  const img = await readImage(join(packagePath('samples'), 'lowlight', 'lol_eval15_1.png'));
  const h = 96;
  const w = 128;
  const data = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) data.set(img.data.subarray(y * img.width * 3, (y * img.width + w) * 3), y * w * 3);
  return { width: w, height: h, data };
}

/** What the golden records of an output: per 16x16 block, the mean of each channel (6 x 8 blocks x 3). */
export function blockMeans(img: RgbImage, block = 16): number[] {
  const out: number[] = [];
  for (let by = 0; by < img.height / block; by++) {
    for (let bx = 0; bx < img.width / block; bx++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let y = 0; y < block; y++)
          for (let x = 0; x < block; x++) s += img.data[((by * block + y) * img.width + bx * block + x) * 3 + c]!;
        out.push(s / (block * block));
      }
    }
  }
  return out;
}

export async function goldenOutput(model: MASRNet): Promise<number[]> {
  return blockMeans(enhanceImage(model, await goldenInput()));
}
