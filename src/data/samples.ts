import { basename, extname } from 'node:path';
import { applyAugment, drawAugment, type AugmentOptions, type AugmentParams } from './augment';
import { InputError, firstLine } from './errors';
import type { ImagePair } from './folders';
import { readImage, type RgbImage } from './image';
import { Rng, hashSeed } from '../random/rng';
import { synthesize, type SynthesisParams, type SynthesisProtocol } from './protocols';
import { LOWLIGHT_V1 } from './synthesis';
import { applyExposureGain, autoExposeImage, autoExposureGain, type AutoExposureConfig } from '../isp/auto-exposure';

/** Where training/evaluation pairs come from: real pairs on disk, or photos darkened synthetically. */
export type PairSource =
  | { kind: 'pairs'; pairs: ImagePair[] }
  | {
      kind: 'synthetic';
      /** Well-exposed photos: each becomes the target, its synthetic darkening the input. */
      photos: string[];
      /** The darkening protocol: `lowlight-v1` or `lowlight-v2`. */
      protocol: SynthesisProtocol;
      /** Base seed; each image's darkening seed is derived from it and the file name (and the epoch when training). */
      seed: number;
    };

/** One item to load, self-contained so a worker thread can load it. */
export type SampleJob = {
  /** Augment with these options and this seed; absent = the full image as is. */
  augment?: AugmentOptions & { seed: number };
  /** Bring the whole (darkened) input to this white point before augmenting (MASRNetConfig.autoExposure). */
  autoExposure?: AutoExposureConfig;
} & (
  | { kind: 'pair'; name: string; input: string; target: string }
  | { kind: 'photo'; name: string; path: string; synthesisSeed: number; protocol?: SynthesisProtocol }
);

/** A loaded pair plus everything that was drawn to make it. */
export interface Sample {
  name: string;
  input: RgbImage;
  target: RgbImage;
  /** The synthetic-darkening parameters, for synthetic pairs. */
  synthesis?: SynthesisParams;
  augment?: AugmentParams;
  /** The white-point gain applied to the input (job.autoExposure). */
  exposureGain?: number;
}

/** Number of items in a source. */
export function sourceSize(source: PairSource): number {
  return source.kind === 'pairs' ? source.pairs.length : source.photos.length;
}

/** The seed of a photo's synthetic darkening: per file name, and per epoch when `epoch` is given (fresh noise each epoch). */
export function synthesisSeed(
  baseSeed: number,
  photo: string,
  epoch?: number,
  protocol: SynthesisProtocol = LOWLIGHT_V1,
): number {
  const name = basename(photo);
  return epoch === undefined ? hashSeed(baseSeed, protocol, name) : hashSeed(baseSeed, protocol, name, epoch);
}

/** The job for item `index` of a source; `epoch` varies synthetic noise across epochs, `augment` adds augmentation. */
export function sampleJob(
  source: PairSource,
  index: number,
  epoch?: number,
  augment?: SampleJob['augment'],
): SampleJob {
  if (source.kind === 'pairs') {
    const p = source.pairs[index];
    if (!p) throw new Error(`sampleJob: index ${index} out of range (0..${source.pairs.length - 1})`);
    return { kind: 'pair', name: p.name, input: p.input, target: p.target, augment };
  }
  const path = source.photos[index];
  if (!path) throw new Error(`sampleJob: index ${index} out of range (0..${source.photos.length - 1})`);
  const name = basename(path, extname(path));
  const protocol = source.protocol;
  return {
    kind: 'photo',
    name,
    path,
    synthesisSeed: synthesisSeed(source.seed, path, epoch, protocol),
    protocol,
    augment,
  };
}

function augmentOrThrow(file: string, img: RgbImage, job: SampleJob, rng: Rng): AugmentParams | undefined {
  if (!job.augment) return undefined;
  try {
    return drawAugment(rng, img.height, img.width, job.augment);
  } catch (e) {
    throw new InputError(file, firstLine(e));
  }
}

/** Load one sample: decode, check sizes, augment both images identically, darken synthetically. Pure JS + sharp (no tfjs). */
export async function loadSample(job: SampleJob): Promise<Sample> {
  const rng = new Rng(job.augment?.seed ?? 0);
  if (job.kind === 'pair') {
    const [input, target] = await Promise.all([readImage(job.input), readImage(job.target)]);
    if (input.width !== target.width || input.height !== target.height) {
      throw new InputError(
        job.input,
        `size ${input.width}x${input.height} differs from its reference ${job.target} (${target.width}x${target.height})`,
      );
    }
    const exposed = job.autoExposure && autoExposeImage(input, job.autoExposure);
    const x = exposed ? exposed.image : input;
    const params = augmentOrThrow(job.input, x, job, rng);
    const base = { name: job.name, ...(exposed && { exposureGain: exposed.gain }) };
    if (!params) return { ...base, input: x, target };
    return { ...base, input: applyAugment(x, params), target: applyAugment(target, params), augment: params };
  }
  const photo = await readImage(job.path);
  const params = augmentOrThrow(job.path, photo, job, rng);
  const protocol = job.protocol ?? LOWLIGHT_V1;
  if (job.autoExposure) {
    // The white point is the whole darkened photo's, so darken it all, then crop (and apply the gain to the crop
    // only: the same values, at a fraction of the cost).
    const { low, params: synthesis } = synthesize(protocol, photo, job.synthesisSeed);
    const gain = autoExposureGain(low.data, low.width, low.height, job.autoExposure);
    const [crop, target] = params ? [applyAugment(low, params), applyAugment(photo, params)] : [low, photo];
    const input = applyExposureGain(crop, gain);
    return { name: job.name, input, target, synthesis, augment: params, exposureGain: gain };
  }
  // The darkening is per pixel, so darkening the crop equals cropping the darkened photo (and costs far less).
  const target = params ? applyAugment(photo, params) : photo;
  const { low, params: synthesis } = synthesize(protocol, target, job.synthesisSeed);
  return { name: job.name, input: low, target, synthesis, augment: params };
}
