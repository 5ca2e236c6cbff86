import { resolve, join } from 'node:path';
import { InputError, openSampleReader, sampleJob, sourceSize, writeFileAtomic, writeImage } from '../data/index';
import type { PairScores } from '../metrics/index';
import type { MASRNetOverrides, MASRNetPreset } from '../models/index';
import { UsageError } from '../data/errors';
import { comparisonImage, f2, f4 } from '../viz/comparison';
import { evaluateJobs, meanScores } from './evaluate';
import { loadModel, readModelConfigFile } from './model-source';
import type { Reporter } from '../reporter';
import { openSource, type SourceOptions } from '../data/sources';

export interface TestOptions extends SourceOptions {
  /** Checkpoint folder / run folder / reference .safetensors. */
  checkpoint: string;
  preset?: MASRNetPreset;
  /** True when the user named the preset (then it must match the checkpoint). */
  presetGiven?: boolean;
  config?: string;
  /** Which split of a paired dataset. Default 'test'. */
  split?: 'train' | 'test';
  out: string;
  /** Evaluate only the first N pairs (N >= 1; default all). */
  maxImages?: number;
  /** Write enhanced_XXXX.png / comparison_XXXX.png. Default true. */
  saveImages?: boolean;
  workers?: number;
}

export interface TestSummary {
  count: number;
  mean: PairScores;
  inputMean: PairScores;
  resultsTxt: string;
  resultsJson: string;
}

/**
 * Evaluate a model on a paired set (or synthetic pairs from photos), as the reference's test script does: per-image
 * and mean PSNR/SSIM (plain and GT-mean), enhanced_XXXX.png, comparison_XXXX.png, test_results.txt/json.
 * The tfjs backend must already be selected.
 */
export async function runTest(options: TestOptions, reporter: Reporter): Promise<TestSummary> {
  const max = options.maxImages;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1))
    throw new UsageError(`--max-images must be an integer >= 1 (omit it to evaluate all), got ${max}`);
  const fileConfig = options.config ? await readModelConfigFile(options.config) : {};
  const { source, label } = await openSource(options, options.split ?? 'test', reporter, 'test');
  const count = Math.min(sourceSize(source), max ?? Infinity);
  if (count === 0) throw new InputError(label, 'holds no images to evaluate');
  const { model, source: modelSource } = await loadModel(options.checkpoint, {
    preset: options.preset,
    presetGiven: options.presetGiven,
    overrides: fileConfig.model as MASRNetOverrides | undefined,
    configFile: options.config,
  });
  const jobs = Array.from({ length: count }, (_, i) => sampleJob(source, i));
  const inputs = new Set(
    jobs.flatMap((j) => (j.kind === 'pair' ? [resolve(j.input), resolve(j.target)] : [resolve(j.path)])),
  );
  for (const name of ['test_results.txt', 'test_results.json', 'enhanced_0000.png', 'comparison_0000.png']) {
    if (inputs.has(resolve(options.out, name)))
      throw new InputError(join(options.out, name), 'would overwrite an input image; choose another --out');
  }
  reporter.info(`test: ${label}; model ${modelSource}`);
  const reader = await openSampleReader(options.workers ?? 1);
  const pad = (i: number) => String(i).padStart(4, '0');
  try {
    const results = await evaluateJobs(model, reader, jobs, async (r) => {
      if (options.saveImages ?? true) {
        await writeImage(join(options.out, `enhanced_${pad(r.index)}.png`), r.enhanced);
        await writeImage(join(options.out, `comparison_${pad(r.index)}.png`), comparisonImage(r));
      }
      reporter.info(
        `  [${r.index + 1}/${count}] ${r.sample.name}: PSNR ${f2(r.scores.psnr)} dB SSIM ${f4(r.scores.ssim)} | GT-mean ${f2(r.scores.psnrGtMean)} dB ${f4(r.scores.ssimGtMean)} | input ${f2(r.inputScores.psnr)} dB ${f4(r.inputScores.ssim)} (${r.seconds.toFixed(1)} s)`,
      );
    });
    const mean = meanScores(results.map((r) => r.scores));
    const inputMean = meanScores(results.map((r) => r.inputScores));
    const perImage = results.map((r) => ({
      index: r.index,
      name: r.sample.name,
      enhanced: `enhanced_${pad(r.index)}.png`,
      input:
        jobs[r.index]!.kind === 'pair'
          ? (jobs[r.index] as { input: string }).input
          : (jobs[r.index] as { path: string }).path,
      psnr: r.scores.psnr,
      ssim: r.scores.ssim,
      psnr_gt_mean: r.scores.psnrGtMean,
      ssim_gt_mean: r.scores.ssimGtMean,
      ssim_reference_protocol: r.scores.ssimUniform7,
      input_psnr: r.inputScores.psnr,
      input_ssim: r.inputScores.ssim,
      seconds: r.seconds,
      ...(r.sample.synthesis ? { synthesis: r.sample.synthesis } : {}),
    }));
    const json = {
      checkpoint: modelSource,
      data: label,
      metrics:
        'PSNR and SSIM on RGB [0,255] (SSIM: Gaussian 11 / sigma 1.5, skimage conventions); GT-mean = output scaled by mean_gray(GT)/mean_gray(output) before scoring; ssim_reference_protocol = skimage default SSIM (7x7 uniform window, sample covariance), as the reference test.py reports',
      count: results.length,
      mean: {
        psnr: mean.psnr,
        ssim: mean.ssim,
        psnr_gt_mean: mean.psnrGtMean,
        ssim_gt_mean: mean.ssimGtMean,
        ssim_reference_protocol: mean.ssimUniform7,
      },
      input_mean: { psnr: inputMean.psnr, ssim: inputMean.ssim },
      improvement: { psnr: mean.psnr - inputMean.psnr, ssim: mean.ssim - inputMean.ssim },
      per_image: perImage,
    };
    const txt = [
      '=== Test results ===',
      `Checkpoint: ${modelSource}`,
      `Data: ${label}`,
      `Images: ${results.length}`,
      `Input (low-light) mean PSNR: ${f2(inputMean.psnr)} dB`,
      `Input (low-light) mean SSIM: ${f4(inputMean.ssim)}`,
      `Enhanced mean PSNR: ${f2(mean.psnr)} dB`,
      `Enhanced mean SSIM: ${f4(mean.ssim)}`,
      `Enhanced mean PSNR (GT-mean): ${f2(mean.psnrGtMean)} dB`,
      `Enhanced mean SSIM (GT-mean): ${f4(mean.ssimGtMean)}`,
      `Enhanced mean SSIM (reference test.py protocol: skimage default 7x7 uniform window): ${f4(mean.ssimUniform7)}`,
      `PSNR gain: ${f2(mean.psnr - inputMean.psnr)} dB`,
      `SSIM gain: ${f4(mean.ssim - inputMean.ssim)}`,
      '',
      'index  name                      PSNR    SSIM    PSNR(GT-mean) SSIM(GT-mean) input PSNR input SSIM',
      ...perImage.map(
        (p) =>
          `${pad(p.index)}   ${p.name.slice(0, 24).padEnd(24)}  ${f2(p.psnr).padStart(6)}  ${f4(p.ssim)}  ${f2(p.psnr_gt_mean).padStart(12)}  ${f4(p.ssim_gt_mean).padStart(12)}  ${f2(p.input_psnr).padStart(10)}  ${f4(p.input_ssim).padStart(9)}`,
      ),
      '',
    ].join('\n');
    const resultsTxt = join(options.out, 'test_results.txt');
    const resultsJson = join(options.out, 'test_results.json');
    await writeFileAtomic(resultsJson, JSON.stringify(json, null, 2) + '\n');
    await writeFileAtomic(resultsTxt, txt);
    reporter.info(
      `mean over ${results.length}: PSNR ${f2(mean.psnr)} dB, SSIM ${f4(mean.ssim)} | GT-mean PSNR ${f2(mean.psnrGtMean)} dB, SSIM ${f4(mean.ssimGtMean)} | input ${f2(inputMean.psnr)} dB / ${f4(inputMean.ssim)}`,
    );
    reporter.info(
      `wrote ${resultsTxt}, ${resultsJson}${(options.saveImages ?? true) ? `, enhanced_XXXX.png and comparison_XXXX.png in ${options.out}` : ''}`,
    );
    return { count: results.length, mean, inputMean, resultsTxt, resultsJson };
  } finally {
    await reader.close();
    model.dispose();
  }
}
