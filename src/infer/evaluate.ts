import {
  imageToTensor,
  tensorToImage,
  type RgbImage,
  type Sample,
  type SampleJob,
  type SampleReader,
} from '../data/index';
import { evaluatePair, psnrMetric, type PairScores } from '../metrics/index';
import type { MASRNet } from '../models/index';
import { clipImage } from '../viz/draw';

/** One evaluated pair: the sample, the model's output (clipped to [0,1]) and the scores of output and input. */
export interface EvaluatedSample {
  index: number;
  sample: Sample;
  enhanced: RgbImage;
  scores: PairScores;
  /** Scores of the unprocessed input against the reference (what the model starts from). */
  inputScores: PairScores;
  seconds: number;
}

/** Enhance one image with the model (batch of one, any size) and return it clipped to [0,1]. */
export function enhanceImage(model: MASRNet, img: RgbImage): RgbImage {
  const x = imageToTensor(img);
  try {
    const y = model.enhance(x);
    try {
      return clipImage(tensorToImage(y));
    } finally {
      y.dispose();
    }
  } finally {
    x.dispose();
  }
}

/**
 * Evaluate the model on `count` samples given by `load(i)`, loading the next sample while the current one is enhanced.
 * Calls `onSample` after each (for writing images / progress). Returns the per-image results in order.
 */
export async function evaluateSamples(
  model: MASRNet,
  count: number,
  load: (index: number) => Promise<Sample>,
  onSample?: (r: EvaluatedSample) => Promise<void> | void,
): Promise<EvaluatedSample[]> {
  const results: EvaluatedSample[] = [];
  let next: Promise<Sample> | undefined = count > 0 ? load(0) : undefined;
  for (let i = 0; i < count; i++) {
    const sample = await next!;
    next = i + 1 < count ? load(i + 1) : undefined;
    next?.catch(() => undefined); // surfaced when awaited
    const t0 = performance.now();
    const enhanced = enhanceImage(model, sample.input);
    const seconds = (performance.now() - t0) / 1000;
    const r: EvaluatedSample = {
      index: i,
      sample,
      enhanced,
      scores: evaluatePair(enhanced, sample.target, { clip: true }),
      inputScores: evaluatePair(sample.input, sample.target, { clip: true }),
      seconds,
    };
    results.push(r);
    await onSample?.(r);
  }
  return results;
}

/** {@link evaluateSamples} over sample jobs read through a {@link SampleReader} (decoding overlaps enhancing). */
export function evaluateJobs(
  model: MASRNet,
  reader: SampleReader,
  jobs: SampleJob[],
  onSample?: (r: EvaluatedSample) => Promise<void> | void,
): Promise<EvaluatedSample[]> {
  return evaluateSamples(model, jobs.length, (i) => reader.read(jobs[i]!), onSample);
}

export interface MeanScores extends PairScores {
  count: number;
}

/**
 * Means of the per-image scores (infinite PSNRs of identical images are kept: the mean is then infinite, as it should
 * read). Throws on an empty list: a mean over 0 images is not a score, and 0 dB would read as one.
 */
export function meanScores(scores: PairScores[]): MeanScores {
  const n = scores.length;
  if (n === 0) throw new Error('meanScores: no images were scored, so there is no mean to report');
  const mean = (k: keyof PairScores) => scores.reduce((a, s) => a + s[k], 0) / n;
  return {
    count: scores.length,
    psnr: mean('psnr'),
    ssim: mean('ssim'),
    psnrGtMean: mean('psnrGtMean'),
    ssimGtMean: mean('ssimGtMean'),
    ssimUniform7: mean('ssimUniform7'),
  };
}

/** Do-no-harm scores: PSNR of the model's output against a reference it was fed undarkened. */
export interface UndarkenedScores {
  undarkenedPsnr: number;
  undarkenedWorst: number;
}

/**
 * Feed each photo, undarkened, to the model and score the output against it: a photo that is already well exposed
 * should come out nearly unchanged (mean and worst PSNR over the photos). Only PSNR is computed: the SSIMs
 * evaluatePair adds would triple the cost and go unused.
 */
export function scoreUndarkened(model: MASRNet, photos: RgbImage[]): UndarkenedScores {
  if (photos.length === 0) throw new Error('scoreUndarkened: no photos were given, so there is nothing to score');
  const psnrs = photos.map((photo) => psnrMetric(enhanceImage(model, photo), photo, { clip: true }));
  return {
    undarkenedPsnr: psnrs.reduce((a, p) => a + p, 0) / psnrs.length,
    undarkenedWorst: Math.min(...psnrs),
  };
}
