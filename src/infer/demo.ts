import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../package-files';
import { DEFAULT_PRETRAINED, PRETRAINED_PREFIX } from './model-source';
import { writeFileAtomic } from '../data/index';
import { InputError } from '../data/index';
import { runEnhance } from './enhance-files';
import type { Reporter } from '../reporter';
import { runTest } from './test-run';
import { runTrain } from '../train/run';

export interface DemoOptions {
  out: string;
  /** Folder with photos/train, photos/test and lowlight/ (default: the package's samples/). */
  samples?: string;
  steps: number;
  crop: number;
  batch: number;
  lr: number;
}

const scores = (m: { psnr: number; ssim: number }) => `${m.psnr.toFixed(2)} dB / ${m.ssim.toFixed(4)}`;

/** The package's bundled samples/ folder. */
export function bundledSamples(): string {
  return packagePath('samples');
}

/**
 * The embedded default: the shipped pretrained weights on the sample low-light photos and the held-out sample pairs,
 * then the pipeline from scratch (a short training run on the sample photos with synthetic darkening, its evaluation
 * and enhancement) — all under one output folder.
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
  // Part 1: what a user gets out of the box, the shipped weights on real low-light photos and on the sample pairs.
  const pretrainedDir = join(o.out, 'pretrained');
  const pretrained = `${PRETRAINED_PREFIX}${DEFAULT_PRETRAINED}`;
  reporter.info(
    `demo: 1/4 enhance ${join(samples, 'lowlight')} with the shipped pretrained '${DEFAULT_PRETRAINED}' weights -> ${join(pretrainedDir, 'enhanced')}`,
  );
  const shipped = await runEnhance(
    { input: join(samples, 'lowlight'), checkpoint: pretrained, out: join(pretrainedDir, 'enhanced'), maps: true },
    reporter,
  );
  reporter.info(
    `demo: 2/4 evaluate them on ${join(samples, 'photos/test')} (synthetic pairs) -> ${join(pretrainedDir, 'test')}`,
  );
  const shippedTest = await runTest(
    { photos: join(samples, 'photos/test'), seed: 0, checkpoint: pretrained, out: join(pretrainedDir, 'test') },
    reporter,
  );

  // Part 2: the whole pipeline from scratch, a smoke run of a minute (not a trained model).
  const scratch = join(o.out, 'from-scratch');
  const trainDir = join(scratch, 'train');
  const testDir = join(scratch, 'test');
  const enhancedDir = join(scratch, 'enhanced');
  reporter.info(
    `demo: 3/4 from scratch: train ${o.steps} steps on ${join(samples, 'photos/train')} (synthetic lowlight-v1 darkening) -> ${trainDir}`,
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
    `demo: 4/4 evaluate ${join(trainDir, 'best')} on ${join(samples, 'photos/test')} and enhance ${join(samples, 'lowlight')} -> ${scratch}`,
  );
  const test = await runTest(
    { photos: join(samples, 'photos/test'), seed: 0, checkpoint: trainDir, out: testDir },
    reporter,
  );
  const enhanced = await runEnhance(
    { input: join(samples, 'lowlight'), checkpoint: trainDir, out: enhancedDir, maps: true },
    reporter,
  );
  const seconds = (performance.now() - t0) / 1000;
  const summary = [
    'masr-net demo',
    '',
    `1. The shipped pretrained '${DEFAULT_PRETRAINED}' weights (docs/model-card.md), as MASRNet.pretrained() gives them:`,
    `pretrained/enhanced/  the bundled real low-light photos enhanced, with gamma / colour / saturation heatmaps (${shipped.written.length} files)`,
    `pretrained/test/      ${shippedTest.count} held-out sample photos darkened with lowlight-v1: input ${scores(shippedTest.inputMean)} -> enhanced ${scores(shippedTest.mean)}`,
    '                      comparison_XXXX.png (input | enhanced | reference), test_results.txt',
    '',
    '2. The pipeline from scratch: a smoke run of a few dozen steps, NOT a trained model (train longer: masr-net train --help):',
    `from-scratch/train/     ${train.step} steps, ${o.batch} x ${o.crop}px crops: train_log.jsonl, curves.png, best/, last/; best validation PSNR ${train.bestPsnr?.toFixed(2) ?? '-'} dB at step ${train.bestStep ?? '-'}`,
    `from-scratch/test/      the same ${test.count} photos: input ${scores(test.inputMean)} -> enhanced ${scores(test.mean)}`,
    `from-scratch/enhanced/  the low-light photos through the smoke-trained model (${enhanced.written.length} files)`,
    '',
    `Total time ${seconds.toFixed(0)} s.`,
    '',
  ].join('\n');
  await writeFileAtomic(join(o.out, 'README.txt'), summary);
  reporter.info(`demo: done in ${seconds.toFixed(0)} s; open ${join(o.out, 'README.txt')}`);
  return 0;
}
