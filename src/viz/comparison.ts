import type { RgbImage } from '../data/index';
import type { PairScores } from '../metrics/index';
import { clipImage, concatHorizontal, drawText } from './draw';

/** What a comparison shows: a pair, the enhanced image and both scores (an `EvaluatedSample` is one). */
export interface ComparisonInput {
  sample: { input: RgbImage; target: RgbImage };
  enhanced: RgbImage;
  inputScores: PairScores;
  scores: PairScores;
}

/** Scores as printed and drawn: 2 decimals (dB), 4 (SSIM); NaN/Inf as themselves. */
export const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : String(v));
export const f4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));

/** The side-by-side comparison: input | enhanced | reference, with the scores written on the first two. */
export function comparisonImage(r: ComparisonInput): RgbImage {
  const scale = r.sample.input.width >= 360 ? 2 : 1;
  const input = clipImage(r.sample.input);
  const enhanced = clipImage(r.enhanced);
  const reference = clipImage(r.sample.target);
  const line = 9 * scale + 6;
  const write = (img: RgbImage, lines: string[]) =>
    lines.forEach((t, i) =>
      drawText(img, 4 * scale + 2, 4 * scale + 2 + i * line, t, { scale, background: [0, 0, 0] }),
    );
  write(input, ['INPUT', `PSNR ${f2(r.inputScores.psnr)} DB  SSIM ${f4(r.inputScores.ssim)}`]);
  write(enhanced, [
    'ENHANCED',
    `PSNR ${f2(r.scores.psnr)} DB  SSIM ${f4(r.scores.ssim)}`,
    `GT-MEAN: ${f2(r.scores.psnrGtMean)} DB  ${f4(r.scores.ssimGtMean)}`,
  ]);
  write(reference, ['REFERENCE']);
  return concatHorizontal([input, enhanced, reference], 4);
}
