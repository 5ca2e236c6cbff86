import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../package-files';
import { writeFileAtomic } from '../data/index';
import { InputError } from '../data/index';
import { runEnhance } from './enhance';
import type { Reporter } from './reporter';
import { runTest } from './test-run';
import { runTrain } from './train';

export interface DemoOptions {
  out: string;
  /** Folder with photos/train, photos/test and lowlight/ (default: the package's samples/). */
  samples?: string;
  steps: number;
  crop: number;
  batch: number;
  lr: number;
}

/** The package's bundled samples/ folder. */
export function bundledSamples(): string {
  return packagePath('samples');
}

/**
 * The embedded default: a short training run on the sample photos with synthetic darkening, evaluation on the
 * held-out sample photos, enhancement of the sample low-light images — all under one output folder.
 * Returns the exit status (0, 3 for NaN, 130 when interrupted).
 */
export async function runDemo(o: DemoOptions, hooks: { reporter: Reporter; signal?: AbortSignal }): Promise<number> {
  const { reporter } = hooks;
  const samples = o.samples ?? bundledSamples();
  for (const sub of ['photos/train', 'photos/test', 'lowlight']) {
    if (!existsSync(join(samples, sub)))
      throw new InputError(
        join(samples, sub),
        'sample folder not found (the demo needs photos/train, photos/test and lowlight/)',
      );
  }
  const t0 = performance.now();
  const trainDir = join(o.out, 'train');
  const testDir = join(o.out, 'test');
  const enhancedDir = join(o.out, 'enhanced');
  reporter.info(
    `demo: 1/3 train ${o.steps} steps on ${join(samples, 'photos/train')} (synthetic lowlight-v1 darkening) -> ${trainDir}`,
  );
  const train = await runTrain(
    {
      photos: join(samples, 'photos/train'),
      valPhotos: join(samples, 'photos/test'),
      valCrop: 128,
      steps: o.steps,
      batch: o.batch,
      crop: o.crop,
      lr: o.lr,
      warmupSteps: Math.max(1, Math.round(o.steps / 10)),
      valEvery: Math.max(1, Math.round(o.steps / 2)),
      logEvery: Math.max(1, Math.round(o.steps / 10)),
      seed: 0,
      out: trainDir,
      overwrite: true, // the demo is re-run freely: each run replaces the previous one
    },
    hooks,
  );
  reporter.info(train.message);
  if (train.status === 'nan') return 3;
  if (train.status === 'interrupted') return 130;
  reporter.info(
    `demo: 2/3 evaluate ${join(trainDir, 'best')} on ${join(samples, 'photos/test')} (synthetic pairs) -> ${testDir}`,
  );
  const test = await runTest(
    { photos: join(samples, 'photos/test'), seed: 0, checkpoint: trainDir, out: testDir },
    reporter,
  );
  reporter.info(`demo: 3/3 enhance ${join(samples, 'lowlight')} -> ${enhancedDir}`);
  const enhanced = await runEnhance(
    { input: join(samples, 'lowlight'), checkpoint: trainDir, out: enhancedDir, maps: true },
    reporter,
  );
  const seconds = (performance.now() - t0) / 1000;
  const summary = [
    'masr-net demo',
    '',
    `train/     short training run (${train.step} steps, ${o.batch} x ${o.crop}px crops): train_log.jsonl, curves.png, best/, last/`,
    `           best validation PSNR ${train.bestPsnr?.toFixed(2) ?? '-'} dB at step ${train.bestStep ?? '-'}`,
    `test/      evaluation on ${test.count} held-out sample photos darkened with lowlight-v1:`,
    `           input ${test.inputMean.psnr.toFixed(2)} dB / ${test.inputMean.ssim.toFixed(4)} -> enhanced ${test.mean.psnr.toFixed(2)} dB / ${test.mean.ssim.toFixed(4)} (GT-mean ${test.mean.psnrGtMean.toFixed(2)} dB / ${test.mean.ssimGtMean.toFixed(4)})`,
    '           test_results.txt, test_results.json, enhanced_XXXX.png, comparison_XXXX.png (input | enhanced | reference)',
    `enhanced/  the sample low-light photos enhanced, with gamma / colour / saturation heatmaps (${enhanced.written.length} files)`,
    '',
    `A few dozen steps make a smoke run, not a trained model: train longer (masr-net train --help) for real results.`,
    `Total time ${seconds.toFixed(0)} s.`,
    '',
  ].join('\n');
  await writeFileAtomic(join(o.out, 'README.txt'), summary);
  reporter.info(`demo: done in ${seconds.toFixed(0)} s; open ${join(o.out, 'README.txt')}`);
  return 0;
}
