import type { AugmentOptions } from './augment';
import { cropSize } from './augment';
import { hashSeed, Rng } from '../random/rng';
import { openSampleReader, type SampleReader } from './sample-reader';
import { sampleJob, sourceSize, type PairSource, type Sample, type SampleJob } from './samples';
import type { SynthesisParams } from './protocols';
import type { AutoExposureConfig } from '../isp/auto-exposure';

export interface BatchLoaderOptions extends AugmentOptions {
  /** Images per batch. */
  batchSize: number;
  /** Crop size; required so every image of a batch has one shape. */
  crop: number | [number, number];
  /** Seed of the sample order, the augmentation and the per-epoch synthetic noise. */
  seed: number;
  /** Shuffle each epoch (a fresh permutation per epoch). Default true. */
  shuffle?: boolean;
  /** Batches decoded ahead of the one being trained on. Default 2. */
  prefetch?: number;
  /** Decode worker threads (0 = decode on the calling thread). Default 1. */
  workers?: number;
  /** Bring each whole darkened input to this white point before cropping (the model's config.autoExposure). */
  autoExposure?: AutoExposureConfig | null;
}

/** A batch as flat NHWC float32 arrays, ready for `tf.tensor4d(input, shape)`. */
export interface Batch {
  step: number;
  /** The epoch of the batch's first sample. */
  epoch: number;
  shape: [number, number, number, 3];
  input: Float32Array;
  target: Float32Array;
  names: string[];
  /** Per sample, the synthetic-darkening parameters (synthetic sources only). */
  synthesis: (SynthesisParams | undefined)[];
}

/**
 * Training batches from a pair source, with decoding kept off the training thread and a few batches prefetched.
 * Stateless in the step: the batch of step `s` depends only on (source, options, s), so a resumed run sees exactly
 * the batches an uninterrupted run would have seen.
 */
export class BatchLoader {
  private cache = new Map<number, Promise<Batch>>();
  private perms = new Map<number, Int32Array>();

  private constructor(
    readonly source: PairSource,
    readonly options: BatchLoaderOptions,
    private reader: SampleReader,
  ) {}

  /** Open a loader (starts the decode workers). Close it with {@link close}. */
  static async open(source: PairSource, options: BatchLoaderOptions): Promise<BatchLoader> {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new Error(`batchSize must be a positive integer, got ${options.batchSize}`);
    }
    cropSize(options.crop);
    if (sourceSize(source) === 0) throw new Error('the training source has no images');
    return new BatchLoader(source, options, await openSampleReader(options.workers ?? 1));
  }

  /** How decoding runs (`worker` or `in-thread`) and why. */
  get decodeMode(): string {
    return `${this.reader.mode} (${this.reader.reason})`;
  }

  /** Number of images in the source. */
  get size(): number {
    return sourceSize(this.source);
  }

  /** Steps that make one pass over the source (the last batch of an epoch borrows from the next). */
  get stepsPerEpoch(): number {
    return Math.ceil(this.size / this.options.batchSize);
  }

  private permutation(epoch: number): Int32Array {
    let p = this.perms.get(epoch);
    if (!p) {
      p =
        this.options.shuffle === false
          ? Int32Array.from({ length: this.size }, (_, i) => i)
          : new Rng(hashSeed(this.options.seed, 'order', epoch)).permutation(this.size);
      if (this.perms.size > 4) this.perms.delete(this.perms.keys().next().value as number);
      this.perms.set(epoch, p);
    }
    return p;
  }

  /** The jobs that make up step `step` (pure: no decoding). */
  jobsForStep(step: number): SampleJob[] {
    const { batchSize, seed, crop, flips, rot90 } = this.options;
    const jobs: SampleJob[] = [];
    for (let j = 0; j < batchSize; j++) {
      const g = step * batchSize + j;
      const epoch = Math.floor(g / this.size);
      const index = this.permutation(epoch)[g % this.size]!;
      const job = sampleJob(this.source, index, epoch, { crop, flips, rot90, seed: hashSeed(seed, 'augment', g) });
      if (this.options.autoExposure) job.autoExposure = this.options.autoExposure;
      jobs.push(job);
    }
    return jobs;
  }

  private load(step: number): Promise<Batch> {
    let p = this.cache.get(step);
    if (!p) {
      p = Promise.all(this.jobsForStep(step).map((job) => this.reader.read(job))).then((samples) =>
        stackSamples(step, Math.floor((step * this.options.batchSize) / this.size), samples),
      );
      p.catch(() => undefined); // a prefetch failure surfaces when its step is requested
      this.cache.set(step, p);
    }
    return p;
  }

  /** The batch of step `step`; also starts decoding the next `prefetch` steps. */
  async batch(step: number): Promise<Batch> {
    const ahead = this.options.prefetch ?? 2;
    const result = this.load(step);
    for (let s = step + 1; s <= step + ahead; s++) this.load(s);
    for (const key of this.cache.keys()) if (key < step) this.cache.delete(key);
    const batch = await result;
    this.cache.delete(step);
    return batch;
  }

  async close(): Promise<void> {
    this.cache.clear();
    await this.reader.close();
  }
}

/** Stack same-sized samples into one NHWC batch. */
export function stackSamples(step: number, epoch: number, samples: Sample[]): Batch {
  const first = samples[0];
  if (!first) throw new Error('stackSamples: no samples');
  const { width, height } = first.input;
  const per = width * height * 3;
  const input = new Float32Array(per * samples.length);
  const target = new Float32Array(per * samples.length);
  samples.forEach((s, i) => {
    for (const img of [s.input, s.target]) {
      if (img.width !== width || img.height !== height) {
        throw new Error(`stackSamples: '${s.name}' is ${img.width}x${img.height}, the batch is ${width}x${height}`);
      }
    }
    input.set(s.input.data, i * per);
    target.set(s.target.data, i * per);
  });
  return {
    step,
    epoch,
    shape: [samples.length, height, width, 3],
    input,
    target,
    names: samples.map((s) => s.name),
    synthesis: samples.map((s) => s.synthesis),
  };
}
