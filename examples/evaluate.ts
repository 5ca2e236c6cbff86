/**
 * Evaluate a trained MASR-Net on pairs and print PSNR / SSIM per image and on average, plain and GT-mean.
 *
 *   npx tsx examples/evaluate.ts <checkpoint> <paired dataset folder | photos folder>
 *
 * A paired folder is LOL-v1 (our485|eval15/{low,high}), LOL-v2 (Real_captured|Synthetic/{Train,Test}/{Low,Normal}),
 * LSRW ({Huawei,Nikon}/{low,high}) or any folder with low/ and high/ subfolders. Any other folder of images is
 * treated as well-exposed photos, darkened with the lowlight-v1 protocol to make the pairs. After `npm run demo`:
 *
 *   npx tsx examples/evaluate.ts runs/demo/train samples/photos/test
 *
 * (`masr-net test` does the same and also writes enhanced/comparison images and test_results.txt/json.)
 */
import { evaluatePair, selectBackend } from 'masr-net';
import {
  LOWLIGHT_V1,
  detectLayout,
  enhanceImage,
  findPairedDataset,
  listImagesDeep,
  loadModel,
  loadSample,
  sampleJob,
  sourceSize,
  type PairSource,
} from 'masr-net/node';

const [checkpoint, folder] = process.argv.slice(2);
if (!checkpoint || !folder) {
  console.error('usage: npx tsx examples/evaluate.ts <checkpoint> <paired dataset folder | photos folder>');
  process.exit(2);
}
await selectBackend('auto');

// Real pairs if the folder has a known layout, synthetic pairs from photos otherwise.
let source: PairSource;
try {
  await detectLayout(folder);
  source = { kind: 'pairs', pairs: (await findPairedDataset(folder, 'test')).pairs };
} catch {
  source = { kind: 'synthetic', photos: await listImagesDeep(folder), protocol: LOWLIGHT_V1, seed: 0 };
}

const { model } = await loadModel(checkpoint);
const totals = { psnr: 0, ssim: 0, psnrGtMean: 0, ssimGtMean: 0 };
const n = sourceSize(source);
for (let i = 0; i < n; i++) {
  const sample = await loadSample(sampleJob(source, i)); // full image; synthetic darkening seeded per file name
  const enhanced = enhanceImage(model, sample.input);
  const s = evaluatePair(enhanced, sample.target, { clip: true }); // RGB [0,255], Gaussian SSIM (skimage conventions)
  for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += s[k] / n;
  console.log(
    `${sample.name}: PSNR ${s.psnr.toFixed(2)} dB, SSIM ${s.ssim.toFixed(4)} (GT-mean ${s.psnrGtMean.toFixed(2)} dB, ${s.ssimGtMean.toFixed(4)})`,
  );
}
console.log(`mean of ${n}: PSNR ${totals.psnr.toFixed(2)} dB, SSIM ${totals.ssim.toFixed(4)}`);
console.log(
  `mean of ${n} with GT-mean alignment: PSNR ${totals.psnrGtMean.toFixed(2)} dB, SSIM ${totals.ssimGtMean.toFixed(4)}`,
);
model.dispose();
