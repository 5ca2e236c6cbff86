/**
 * The model card's numbers and pictures for shipped (or any) weights: the validation table on synthetic pairs of the
 * validation photos (both protocols) for the low input, two classic baselines, the model and the exact
 * inverse-exposure oracle; the do-no-harm checks (undarkened, 1 stop under); float16-vs-float32 output difference;
 * a grid of real low-light photos, original | enhanced. Writes docs/model-card/ (JSON + PNGs) and prints the tables.
 *
 *   npx tsx scripts/model-card.ts [--pretrained lowlight-v1 | --checkpoint DIR] [--f32 DIR] [--threads 2]
 *        [--photos ../shared/data/photos/McMaster,../shared/data/photos/Set14] [--lowlight ../shared/data/lowlight]
 *        [--out docs/model-card] [--seed 3407] [--max N photos] [--grid N real photos per source]
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
  equalizeValue,
  gammaToMean,
  inverseExposureOracle,
  listImagesDeep,
  readImage,
  synthesisSeed,
  synthesize,
  writeImage,
  type RgbImage,
  type SynthesisProtocol,
} from '../src/data/index';
import { doNoHarm, labelled, meanScores, printTable, score, writeStackedGrid, type Scores } from './card-common';
import { MASRNet } from '../src/models/index';

const { values: a } = parseArgs({
  options: {
    pretrained: { type: 'string' },
    checkpoint: { type: 'string' },
    f32: { type: 'string' },
    threads: { type: 'string', default: '2' },
    photos: { type: 'string', default: '../shared/data/photos/McMaster,../shared/data/photos/Set14' },
    lowlight: { type: 'string', default: '../shared/data/lowlight' },
    out: { type: 'string', default: 'docs/model-card' },
    seed: { type: 'string', default: '3407' },
    max: { type: 'string' },
    grid: { type: 'string', default: '3' },
  },
});
mkdirSync(a.out!, { recursive: true });
await selectBackend('wasm', { threads: Number(a.threads) });
const model = a.checkpoint
  ? (await loadModel(a.checkpoint)).model
  : await MASRNet.pretrained(a.pretrained ?? 'lowlight-v1');
const label = a.checkpoint ?? `pretrained '${a.pretrained ?? 'lowlight-v1'}'`;
const seed = Number(a.seed);
let photos: string[] = [];
for (const d of a.photos!.split(',')) photos.push(...(await listImagesDeep(d)));
if (a.max) photos = photos.slice(0, Number(a.max));
console.log(`model card for ${label}: ${photos.length} validation photos, seed ${seed}`);

const METHODS = ['input', 'gamma 0.45', 'histogram eq.', 'model', 'oracle'] as const;

const results: Record<string, unknown> = { model: label, photos: photos.map((p) => basename(p)), seed };
const clean = await Promise.all(photos.map(async (p) => (await readImage(p)) as RgbImage));

// 1. Validation table, per protocol.
for (const protocol of [LOWLIGHT_V1, LOWLIGHT_V2] as SynthesisProtocol[]) {
  const per: Record<string, Scores[]> = Object.fromEntries(METHODS.map((m) => [m, []]));
  for (let i = 0; i < photos.length; i++) {
    const target = clean[i]!;
    const { low, params } = synthesize(protocol, target, synthesisSeed(seed, photos[i]!, undefined, protocol));
    const outs: Record<(typeof METHODS)[number], RgbImage> = {
      input: low,
      'gamma 0.45': gammaToMean(low, 0.45),
      'histogram eq.': equalizeValue(low),
      model: enhanceImage(model, low),
      oracle: inverseExposureOracle(low, target, params),
    };
    for (const m of METHODS) per[m]!.push(score(outs[m], target));
    if (protocol === LOWLIGHT_V1 && i < 4) {
      const tiles = (['input', 'histogram eq.', 'model', 'oracle'] as const).map((m) => labelled(outs[m], m));
      const ref = labelled(target, 'reference');
      await writeImage(join(a.out!, `validation_${i}.jpg`), concatHorizontal([...tiles, ref], 4), { quality: 92 });
    }
    process.stdout.write(`\r${protocol}: ${i + 1}/${photos.length}`);
  }
  console.log();
  const table = Object.fromEntries(METHODS.map((m) => [m, meanScores(per[m]!)]));
  results[protocol] = table;
  printTable(protocol, table);
}

// 2. Do no harm: the validation photos undarkened, and 1 stop under (noise-free, exact exposure).
results.doNoHarm = doNoHarm(model, clean);
console.log('do no harm:', JSON.stringify(results.doNoHarm));

// 3. float16 storage vs the float32 checkpoint it came from: largest output difference on the v1 validation inputs.
if (a.f32) {
  const full = (await loadModel(a.f32)).model;
  let worst = 0;
  for (let i = 0; i < photos.length; i++) {
    const { low } = synthesize(LOWLIGHT_V1, clean[i]!, synthesisSeed(seed, photos[i]!, undefined, LOWLIGHT_V1));
    const x = enhanceImage(model, low).data;
    const y = enhanceImage(full, low).data;
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j]! - y[j]!));
  }
  full.dispose();
  results.float16MaxDiff = worst;
  console.log(
    `float16 vs float32 outputs: max |difference| ${worst.toExponential(3)} (${(worst * 255).toFixed(3)}/255)`,
  );
}

// 4. Real low-light grid: original | enhanced, a few per source.
const rows: RgbImage[] = [];
for (const sub of ['LOL-v1-eval15-low', 'LIME', 'DICM']) {
  const files = (await listImagesDeep(join(a.lowlight!, sub))).slice(0, Number(a.grid));
  for (const f of files) {
    const img = (await readImage(f)) as RgbImage;
    const out = enhanceImage(model, img);
    const left = labelled(img, `${sub} ${basename(f)}`);
    const pair = concatHorizontal([left, out], 4);
    rows.push(pair);
    await writeImage(join(a.out!, `real_${sub}_${basename(f).replace(/\.[^.]+$/, '')}.jpg`), pair, { quality: 92 });
  }
}
// The grid: every pair scaled to one width, stacked.
const width = 1200;
await writeStackedGrid(rows, width, join(a.out!, 'real-grid.png'));
console.log(`real low-light pairs: ${a.out}/real_*.jpg (full size), ${a.out}/real-grid.png`);
writeFileSync(join(a.out!, 'validation.json'), JSON.stringify(results, null, 2) + '\n');
console.log(`wrote ${join(a.out!, 'validation.json')}`);
model.dispose();
