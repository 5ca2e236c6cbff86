/**
 * The model card's section on the noise-aware variant (issue 17): the ISP-only model next to a model with a denoiser
 * on the same validation pairs (lowlight-v1 and lowlight-v2, 28 photos, seed 3407), its do-no-harm checks, the real
 * low-light grid with both models side by side, and full-size crops. Writes docs/model-card/denoise/ (JSON + images)
 * and prints the tables.
 *
 *   npx tsx scripts/denoise-card.ts --variant (CHECKPOINT_DIR | pretrained:NAME) [--base pretrained:lowlight-v1]
 *        [--photos ...] [--lowlight ../shared/data/lowlight] [--out docs/model-card/denoise] [--max N] [--threads 2]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend';
import { concatHorizontal } from '../src/viz/draw';
import { enhanceImage } from '../src/infer/evaluate';
import { loadModel } from '../src/infer/model-source';
import {
  LOWLIGHT_V1,
  LOWLIGHT_V2,
  Rng,
  applyLowLight,
  applyLowLightV2,
  inverseExposureOracle,
  listImagesDeep,
  readImage,
  synthesisSeed,
  synthesize,
  writeImage,
  type LowLightParams,
  type LowLightV2Params,
  type RgbImage,
  type SynthesisProtocol,
} from '../src/data/index';
import { doNoHarm, labelled, meanScores, printTable, score, writeStackedGrid, type Scores } from './card-common';

const { values: a } = parseArgs({
  options: {
    variant: { type: 'string' },
    base: { type: 'string', default: 'pretrained:lowlight-v1' },
    threads: { type: 'string', default: '2' },
    photos: { type: 'string', default: '../shared/data/photos/McMaster,../shared/data/photos/Set14' },
    lowlight: { type: 'string', default: '../shared/data/lowlight' },
    out: { type: 'string', default: 'docs/model-card/denoise' },
    seed: { type: 'string', default: '3407' },
    max: { type: 'string' },
    grid: { type: 'string', default: '2' },
  },
});
if (!a.variant) throw new Error('--variant CHECKPOINT_DIR (or pretrained:NAME) is required');
mkdirSync(a.out!, { recursive: true });
await selectBackend('wasm', { threads: Number(a.threads) });
const base = (await loadModel(a.base!)).model;
const variant = (await loadModel(a.variant)).model;
const seed = Number(a.seed);
let photos: string[] = [];
for (const d of a.photos!.split(',')) photos.push(...(await listImagesDeep(d)));
if (a.max) photos = photos.slice(0, Number(a.max));
console.log(`denoiser card: base ${a.base}, variant ${a.variant}; ${photos.length} validation photos, seed ${seed}`);

// 'ISP-only, no noise': the ISP-only model on the same darkening without the noise, the most a denoiser placed
// after the ISP-only model could give.
const METHODS = ['input', 'ISP-only', 'ISP-only, no noise', 'with denoiser', 'oracle'] as const;
/** A size x size crop at (x, y) (clamped into the image). */
const crop = (img: RgbImage, x: number, y: number, size: number): RgbImage => {
  const w = Math.min(size, img.width);
  const h = Math.min(size, img.height);
  const x0 = Math.max(0, Math.min(x, img.width - w));
  const y0 = Math.max(0, Math.min(y, img.height - h));
  const data = new Float32Array(w * h * 3);
  for (let r = 0; r < h; r++)
    data.set(img.data.subarray(((y0 + r) * img.width + x0) * 3, ((y0 + r) * img.width + x0 + w) * 3), r * w * 3);
  return { width: w, height: h, data };
};

/** The same darkening without its noise. */
const noiseFree = (photo: RgbImage, params: ReturnType<typeof synthesize>['params']): RgbImage => {
  const quiet = { ...params, shotNoise: 0, readNoise: 0 };
  return params.protocol === LOWLIGHT_V2
    ? applyLowLightV2(photo, quiet as LowLightV2Params, new Rng(0))
    : applyLowLight(photo, quiet as LowLightParams, new Rng(0));
};

const results: Record<string, unknown> = {
  base: a.base,
  variant: a.variant,
  photos: photos.map((p) => basename(p)),
  seed,
};
const clean = await Promise.all(photos.map(async (p) => (await readImage(p)) as RgbImage));

// 1. Validation, both protocols.
for (const protocol of [LOWLIGHT_V1, LOWLIGHT_V2] as SynthesisProtocol[]) {
  const per: Record<string, Scores[]> = Object.fromEntries(METHODS.map((m) => [m, []]));
  for (let i = 0; i < photos.length; i++) {
    const target = clean[i]!;
    const { low, params } = synthesize(protocol, target, synthesisSeed(seed, photos[i]!, undefined, protocol));
    const outs: Record<(typeof METHODS)[number], RgbImage> = {
      input: low,
      'ISP-only': enhanceImage(base, low),
      'ISP-only, no noise': enhanceImage(base, noiseFree(target, params)),
      'with denoiser': enhanceImage(variant, low),
      oracle: inverseExposureOracle(low, target, params),
    };
    for (const m of METHODS) per[m]!.push(score(outs[m], target));
    if (protocol === LOWLIGHT_V1 && i < 3) {
      const tiles = (['ISP-only', 'with denoiser', 'oracle'] as const).map((m) => labelled(outs[m], m));
      await writeImage(
        join(a.out!, `validation_${i}.jpg`),
        concatHorizontal([...tiles, labelled(target, 'reference')], 4),
        { quality: 92 },
      );
    }
    process.stdout.write(`\r${protocol}: ${i + 1}/${photos.length}`);
  }
  console.log();
  const table = Object.fromEntries(METHODS.map((m) => [m, meanScores(per[m]!)]));
  results[protocol] = table;
  printTable(protocol, table);
}

// 2. Do no harm (the variant): the validation photos undarkened, and 1 stop under without noise.
results.doNoHarm = doNoHarm(variant, clean);
console.log('do no harm (variant):', JSON.stringify(results.doNoHarm));

// 3. Real low-light photos: original | ISP-only | with denoiser, and full-size crops of the two outputs.
const rows: RgbImage[] = [];
for (const sub of ['LOL-v1-eval15-low', 'LIME', 'DICM']) {
  const files = (await listImagesDeep(join(a.lowlight!, sub))).slice(0, Number(a.grid));
  for (const f of files) {
    const img = (await readImage(f)) as RgbImage;
    const [b, v] = [enhanceImage(base, img), enhanceImage(variant, img)];
    const name = `${sub}_${basename(f).replace(/\.[^.]+$/, '')}`;
    const row = concatHorizontal(
      [labelled(img, `${sub} ${basename(f)}`), labelled(b, 'ISP-only'), labelled(v, 'with denoiser')],
      4,
    );
    rows.push(row);
    await writeImage(join(a.out!, `real_${name}.jpg`), row, { quality: 92 });
    // A 200x200 crop from the middle, at full size: where the noise shows.
    const [cx, cy] = [Math.floor(img.width / 2) - 100, Math.floor(img.height / 2) - 100];
    const crops = concatHorizontal(
      [labelled(crop(b, cx, cy, 200), 'ISP-only'), labelled(crop(v, cx, cy, 200), 'denoiser')],
      4,
    );
    await writeImage(join(a.out!, `crop_${name}.png`), crops);
  }
}
const width = 1500;
await writeStackedGrid(rows, width, join(a.out!, 'real-grid.png'));
console.log(`real low-light: ${a.out}/real_*.jpg, crop_*.png (full size), real-grid.png`);
writeFileSync(join(a.out!, 'validation.json'), JSON.stringify(results, null, 2) + '\n');
console.log(`wrote ${join(a.out!, 'validation.json')}`);
base.dispose();
variant.dispose();
