/**
 * Where the model's PSNR goes on the lowlight-v1 validation set: global exposure (one gain for the whole image, which
 * a blind method must guess) or the rest. For each validation pair it scores
 * - the model, and the model's output with the best single linear-light gain (found against the reference: what a
 *   perfect global exposure would add) and with the best gain per channel;
 * - the exact inverse-exposure oracle, and the exact exposure with neutral channel gains;
 * - two blind global-exposure estimators that see only the dark image: a linear gain bringing its linear mean to the
 *   training photos' (geometric) mean, and one bringing its 99.9th percentile of max(R,G,B) to the training photos'
 *   (a "white point"). Both keep all the noise.
 *
 *   npx tsx scripts/exposure-study.ts [--pretrained lowlight-v1 | --checkpoint DIR] [--threads 2] [--out FILE.json]
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend';
import { enhanceImage } from '../src/infer/evaluate';
import { loadModel } from '../src/infer/model-source';
import {
  LOWLIGHT_V1,
  inverseExposureOracle,
  linearToSrgb,
  listImagesDeep,
  readImage,
  srgbToLinear,
  synthesisSeed,
  synthesize,
  type LowLightParams,
  type RgbImage,
} from '../src/data/index';
import { MASRNet } from '../src/models/index';
import { score } from './card-common';

const { values: a } = parseArgs({
  options: {
    pretrained: { type: 'string' },
    checkpoint: { type: 'string' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string', default: '3407' },
    out: { type: 'string' },
  },
});
await selectBackend('wasm', { threads: Number(a.threads) });
const model = a.checkpoint
  ? (await loadModel(a.checkpoint)).model
  : await MASRNet.pretrained(a.pretrained ?? 'lowlight-v1');

const list = async (dirs: string[]) => (await Promise.all(dirs.map((d) => listImagesDeep(d)))).flat();
const valPaths = await list(['../shared/data/photos/McMaster', '../shared/data/photos/Set14']);
const trainPaths = await list(['../shared/data/photos/CBSD68', '../shared/data/photos/Sun_Hays80']);

const WHITE_POINT = 0.999;
const linearMean = (img: RgbImage) => img.data.reduce((s, v) => s + srgbToLinear(v), 0) / img.data.length;
/** The `p` quantile of the per-pixel max(R, G, B) in linear light. */
function linearQuantile(img: RgbImage, p: number): number {
  const n = img.width * img.height;
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++)
    v[i] = srgbToLinear(Math.max(img.data[3 * i]!, img.data[3 * i + 1]!, img.data[3 * i + 2]!));
  v.sort();
  return v[Math.min(n - 1, Math.floor(p * n))]!;
}
const geoMean = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
/** The image with each channel multiplied by `gains` in linear light, clipped to [0, 1]. */
const gained = (img: RgbImage, gains: readonly number[]): RgbImage => ({
  ...img,
  data: img.data.map((v, i) => linearToSrgb(Math.min(1, srgbToLinear(v) * gains[i % 3]!))),
});

// The training photos' statistics: what a blind estimator can know (the validation photos are not used).
const trainImages = await Promise.all(trainPaths.map(async (p) => (await readImage(p)) as RgbImage));
const priorMean = geoMean(trainImages.map(linearMean));
const priorWhite = geoMean(trainImages.map((im) => linearQuantile(im, WHITE_POINT)));
console.log(
  `training photos: linear mean ${priorMean.toFixed(4)}, ${WHITE_POINT} quantile of max(R,G,B) ${priorWhite.toFixed(4)} (geometric means over ${trainImages.length})`,
);

/** The gain (log-spaced search, coarse then fine) minimising the error of `channels` against the reference. */
function bestGain(img: RgbImage, ref: RgbImage, channels: number[]): number {
  const linear = img.data.map(srgbToLinear); // once, not once per tried gain
  const err = (g: number) => {
    let s = 0;
    for (const c of channels)
      for (let i = c; i < linear.length; i += 3) s += (linearToSrgb(Math.min(1, linear[i]! * g)) - ref.data[i]!) ** 2;
    return s;
  };
  let center = 0;
  for (const [step, n] of [
    [0.25, 8],
    [0.05, 5],
    [0.01, 5],
  ] as const) {
    let best = Infinity;
    let arg = center;
    for (let k = -n; k <= n; k++) {
      const e = err(2 ** (center + k * step));
      if (e < best) [best, arg] = [e, center + k * step];
    }
    center = arg;
  }
  return 2 ** center;
}

const ROWS = [
  'model',
  'model, best global gain',
  'model, best gain per channel',
  'oracle (exact exposure and channel gains)',
  'exact exposure, neutral channel gains',
  'blind: linear mean to the training mean',
  'blind: white point to the training white point',
] as const;
const per: Record<string, number[]> = Object.fromEntries(ROWS.map((r) => [r, []]));
const images: Record<string, unknown>[] = [];
for (const path of valPaths) {
  const target = (await readImage(path)) as RgbImage;
  const { low, params } = synthesize(LOWLIGHT_V1, target, synthesisSeed(Number(a.seed), path, undefined, LOWLIGHT_V1));
  const out = enhanceImage(model, low);
  const g = bestGain(out, target, [0, 1, 2]);
  const perChannel = [0, 1, 2].map((c) => bestGain(out, target, [c]));
  const exact = 2 ** (params as LowLightParams).exposureStops;
  const blindMean = priorMean / linearMean(low);
  const blindWhite = priorWhite / linearQuantile(low, WHITE_POINT);
  const psnr: Record<(typeof ROWS)[number], number> = {
    model: score(out, target).psnr,
    'model, best global gain': score(gained(out, [g, g, g]), target).psnr,
    'model, best gain per channel': score(gained(out, perChannel), target).psnr,
    'oracle (exact exposure and channel gains)': score(inverseExposureOracle(low, target, params), target).psnr,
    'exact exposure, neutral channel gains': score(gained(low, [exact, exact, exact]), target).psnr,
    'blind: linear mean to the training mean': score(gained(low, [blindMean, blindMean, blindMean]), target).psnr,
    'blind: white point to the training white point': score(gained(low, [blindWhite, blindWhite, blindWhite]), target)
      .psnr,
  };
  for (const r of ROWS) per[r]!.push(psnr[r]);
  images.push({ photo: basename(path), psnr, modelGainError: g, targetLinearMean: linearMean(target) });
  process.stdout.write(`\r${images.length}/${valPaths.length}`);
}
console.log('\n| lowlight-v1 validation (28 photos) | PSNR (dB) |\n|---|---|');
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
for (const r of ROWS) console.log(`| ${r} | ${mean(per[r]!).toFixed(2)} |`);
// How far the model's own exposure is off: the best gain is the factor its output needed (1 = right).
const logErr = images.map((im) => Math.log2(im.modelGainError as number));
console.log(
  `model's global exposure error: median ${median(logErr).toFixed(2)} stops, mean |error| ${mean(logErr.map(Math.abs)).toFixed(2)} stops`,
);
if (a.out) writeFileSync(a.out, JSON.stringify({ priorMean, priorWhite, mean: per, images }, null, 2) + '\n');
model.dispose();

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
