// What scripts/model-card.ts and scripts/denoise-card.ts share: scores, the validation table's printout, the
// do-no-harm checks and the stacked grid of real photos.
import sharp from 'sharp';
import { enhanceImage, scoreUndarkened } from '../src/infer/evaluate';
import { drawText } from '../src/viz/draw';
import { LOWLIGHT_V1, Rng, applyLowLight, encodeImage, type RgbImage } from '../src/data/index';
import { evaluatePair } from '../src/metrics/index';
import type { MASRNet } from '../src/models/index';

export type Scores = { psnr: number; ssim: number; ssimUniform7: number };

export const meanScores = (xs: Scores[]): Scores => ({
  psnr: xs.reduce((s, x) => s + x.psnr, 0) / xs.length,
  ssim: xs.reduce((s, x) => s + x.ssim, 0) / xs.length,
  ssimUniform7: xs.reduce((s, x) => s + x.ssimUniform7, 0) / xs.length,
});

export const score = (out: RgbImage, target: RgbImage): Scores => {
  const s = evaluatePair(out, target);
  return { psnr: s.psnr, ssim: s.ssim, ssimUniform7: s.ssimUniform7 };
};

/** A copy of the image with `text` drawn in its top-left corner. */
export const labelled = (img: RgbImage, text: string): RgbImage => {
  const copy = { ...img, data: img.data.slice() };
  drawText(copy, 6, 6, text.toUpperCase(), { scale: 2, background: [0, 0, 0] });
  return copy;
};

/** Prints one protocol's validation table in Markdown. */
export function printTable(protocol: string, table: Record<string, Scores>): void {
  console.log(`| ${protocol} | PSNR (dB) | SSIM (Gaussian 11/1.5) | SSIM (test.py: skimage 7x7) |\n|---|---|---|---|`);
  for (const [m, s] of Object.entries(table))
    console.log(`| ${m} | ${s.psnr.toFixed(2)} | ${s.ssim.toFixed(4)} | ${s.ssimUniform7.toFixed(4)} |`);
}

/** Do no harm: the photos fed undarkened, and 1 stop under (lowlight-v1's darkening, neutral gains, no noise). */
export function doNoHarm(model: MASRNet, photos: RgbImage[]) {
  const harm = { oneStopInput: [] as number[], oneStopModel: [] as number[] };
  for (const target of photos) {
    const quantised = applyLowLight(
      target,
      { protocol: LOWLIGHT_V1, seed: 0, exposureStops: 1, gains: [1, 1, 1], shotNoise: 0, readNoise: 0 },
      new Rng(0),
    );
    harm.oneStopInput.push(score(quantised, target).psnr);
    harm.oneStopModel.push(score(enhanceImage(model, quantised), target).psnr);
  }
  const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    ...scoreUndarkened(model, photos),
    oneStopInputPsnr: avg(harm.oneStopInput),
    oneStopModelPsnr: avg(harm.oneStopModel),
    oneStopImproved: harm.oneStopModel.filter((m, i) => m > harm.oneStopInput[i]!).length,
    count: photos.length,
  };
}

/** The rows scaled to one width and stacked, 6 px apart, as a PNG. */
export async function writeStackedGrid(rows: RgbImage[], width: number, path: string): Promise<void> {
  const scaled = await Promise.all(
    rows.map(async (r) => {
      const png = await encodeImage(r, { format: 'png' });
      return sharp(png).resize({ width }).png().toBuffer({ resolveWithObject: true });
    }),
  );
  const height = scaled.reduce((h, s) => h + s.info.height + 6, 0);
  let y = 0;
  const layers = scaled.map((s) => {
    const layer = { input: s.data, top: y, left: 0 };
    y += s.info.height + 6;
    return layer;
  });
  await sharp({ create: { width, height, channels: 3, background: '#000' } })
    .composite(layers)
    .png()
    .toFile(path);
}
