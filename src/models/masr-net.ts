import { pretrainedBytes, pretrainedEntry, type PretrainedSource } from './pretrained';
import * as tf from '@tensorflow/tfjs-core';
import { ispDisplayMaps, type IspDisplayMaps, type IspRawMaps } from '../isp/index';
import {
  AUTO_EXPOSURE_KEY,
  autoExposeImage,
  autoExposureGains,
  recordedAutoExposure,
  sameAutoExposure,
  type AutoExposureConfig,
} from '../isp/auto-exposure';
import { readSafetensors } from '../io/safetensors';
import { applyExposureGains } from '../isp/exposure-gains';
import type { ReferenceWeight } from '../layers/basic/common';
import { DEFAULT_NEIGHBOUR_INDICES } from '../layers/masr/neighbour-searcher';
import { masrCompositeLoss, type VggPerceptualLoss } from '../losses/index';
import {
  mergeConfig,
  presetConfig,
  validateConfig,
  windowPixels,
  type MASRNetConfig,
  type MASRNetOverrides,
  type MASRNetPreset,
} from './config';
import { ensureKernels } from '../kernels/wasm-overrides';
import { countFlops } from './flops';
import { checkImages, checkImagesAsync, DEFAULT_MAX_PIXELS } from './input-check';
import { checkTileSize, tiledApply } from './tiles';
import { MasrNetwork } from './network';
import { trainStep, trainStepAsync, type TrainStepOptions, type TrainStepResult } from './train-step';
import { cropTo, padToMultiple } from './padding';
import { assignLoaded, loadArtifacts, saveModel } from './persistence';
import { exportReferenceWeights, importReferenceWeights, type ReferenceBuffer } from './weights-io';

/** `enhanceWithMaps`: the output and its per-pixel ISP maps, all [B, H, W, ·] at the input size. */
export interface EnhanceWithMapsResult {
  enhanced: tf.Tensor4D;
  /**
   * The maps the ISP applied (gamma increment Δ, raw colour parameters, saturation logits): edit them and
   * `applyIsp(images, raw, { color: { residualScale: config.colorResidualScale } })` gives the output again (the
   * ISP's output: with a denoiser, `ispOutput` or the ISP of `denoisedInput`).
   */
  raw: IspRawMaps;
  /**
   * The maps as people read them, derived from `raw` (the reference's `return_isp_params`): the gamma exponent
   * 1 + Δ, the applied colour matrix, the colour-correction strength, the saturation factor. Not for applyIsp.
   */
  display: IspDisplayMaps;
  /** With a denoiser placed 'after' (config.denoiser): the ISP's output before denoising. */
  ispOutput?: tf.Tensor4D;
  /** With a denoiser placed 'before': the denoised dark input that the ISP brightened. */
  denoisedInput?: tf.Tensor4D;
}

/** Options of enhance / enhanceWithMaps (and their async forms). */
export interface ExposureOptions {
  /**
   * Apply `config.autoExposure` (default true; nothing to apply when it is null). false: the images were already
   * brought to the white point on the whole photo (`autoExpose`), e.g. they are tiles or crops of one photo.
   */
  autoExposure?: boolean;
}

export interface EnhanceTiledOptions {
  /** Tile side in pixels (at least 16). Default 512. */
  tile?: number;
  /** Overlap between neighbouring tiles, blended linearly. Default min(32, tile / 4). */
  overlap?: number;
  /** Called after each tile: `done` of `total` (over the whole batch). */
  onTile?: (done: number, total: number) => void;
}

export interface ComputeLossOptions {
  /** Dropout, attention dropout and the sampled second MoA expert on. Default true. */
  training?: boolean;
  /** The VGG16 perceptual term; null/omitted leaves it out of the total. */
  perceptual?: VggPerceptualLoss | null;
}

export interface LoadSafetensorsOptions {
  /**
   * Key prefixes whose weights may be absent from the file: they keep their current values and are listed in
   * `missing` (e.g. `['denoiser.']` to start a model with a denoiser from ISP-only weights). Default none: any missing
   * key is an error.
   */
  allowMissing?: readonly string[];
  /**
   * Load weights trained with a different `autoExposure` than this model's (to fine-tune them to it). Default false:
   * that is an error, since such weights give silently too bright or too dark results.
   */
  anyAutoExposure?: boolean;
}

/** Parameter counts. `unused` are reference weights that never affect the output, kept (non-trainable) for checkpoints. */
export interface ParamCounts {
  trainable: number;
  unused: number;
  total: number;
}

/**
 * Keys of the reference state_dict that are loaded and exported but never affect the output: every router's
 * `w_atten_gate` and multi_attention_1's `q_proj.moe.w_gate` (474 parameters in the reference configs, held as
 * non-trainable weights), and ColorTransform's debug buffers.
 */
function unusedKeys(weights: ReferenceWeight[]): Set<string> {
  const keys = weights.filter((w) => !w.variable.trainable).map((w) => w.key);
  return new Set([...keys, 'color_transform.det_stats', 'color_transform.matrix_stats']);
}

/** Why these neighbour indices cannot be used (each must pick one of the 9 cells of a 3x3 neighbourhood), or null. */
function neighbourIndexProblem(v: ArrayLike<number>): string | null {
  const idx = Array.from(v, Number);
  return idx.every((i) => Number.isInteger(i) && i >= 0 && i <= 8) ? null : `must be in 0..8, got [${idx}]`;
}

/**
 * MASR-Net (Britark/MASR-Net) for low-light enhancement: images [B, H, W, 3] in [0, 1] -> enhanced images, with
 * reference-compatible weights (PyTorch safetensors import/export) and tfjs save/load.
 *
 * Inference is deterministic by default: the reference samples its second attention expert even in eval; set
 * `sampleSecondExpert: 'always'` to reproduce that.
 */
export class MASRNet {
  readonly config: MASRNetConfig;
  /** The layers, for custom use (routing inspection, per-block calls). */
  readonly network: MasrNetwork;
  /**
   * Largest B·H·W `enhance` and `enhanceWithMaps` accept (default 1.5 M: the wasm heap holds ~2 megapixels of
   * forward pass). Larger inputs are refused before anything runs; use `enhanceTiled`.
   */
  maxPixels = DEFAULT_MAX_PIXELS;
  private colorStats = { det: new Float32Array(4), matrix: new Float32Array(4) };

  private constructor(config: MASRNetConfig) {
    validateConfig(config);
    this.config = config;
    this.network = new MasrNetwork(config);
  }

  /** A new randomly initialised model from a preset ('lolv1' default) and overrides of any config field. */
  static create(preset: MASRNetPreset = 'lolv1', overrides?: MASRNetOverrides): MASRNet {
    return new MASRNet(mergeConfig(presetConfig(preset), overrides));
  }

  /** A new randomly initialised model from a full config (e.g. one read back from JSON). */
  static fromConfig(config: MASRNetConfig): MASRNet {
    const base = presetConfig('lolv1');
    return new MASRNet(mergeConfig(base, config as MASRNetOverrides));
  }

  /**
   * A trained model: the weights shipped in the package under `name` (default 'lowlight-v1'; see docs/model-card.md),
   * sha256-checked. Node reads the bundled file (no network); browsers fetch it from `source.url` (default: next to
   * the package) or take `source.bytes`. Unknown names list the available ones.
   */
  static async pretrained(name = 'lowlight-v1', source: PretrainedSource = {}): Promise<MASRNet> {
    const entry = pretrainedEntry(name);
    const bytes = await pretrainedBytes(entry, source);
    const model = MASRNet.create(entry.preset, entry.overrides);
    try {
      model.loadSafetensors(bytes);
    } catch (e) {
      model.dispose();
      throw new Error(`MASRNet.pretrained('${name}'): ${(e as Error).message}`);
    }
    return model;
  }

  private buffers(): ReferenceBuffer[] {
    const searcher = this.network.neighbours;
    return [
      {
        key: 'color_transform.det_stats',
        dtype: 'F32',
        shape: [4],
        get: () => this.colorStats.det,
        set: (v) => (this.colorStats.det = Float32Array.from(v)),
      },
      {
        key: 'color_transform.matrix_stats',
        dtype: 'F32',
        shape: [4],
        get: () => this.colorStats.matrix,
        set: (v) => (this.colorStats.matrix = Float32Array.from(v)),
      },
      {
        key: 'patch_neighbor_searcher.neighbor_indices',
        dtype: 'I64',
        shape: [DEFAULT_NEIGHBOUR_INDICES.length],
        get: () => searcher.neighbourIndices,
        check: neighbourIndexProblem,
        set: (v) => {
          const why = neighbourIndexProblem(v);
          if (why) throw new Error(`MASRNet: patch_neighbor_searcher.neighbor_indices ${why}`);
          searcher.neighbourIndices.splice(0, searcher.neighbourIndices.length, ...Array.from(v, Number));
        },
      },
    ];
  }

  /** Inputs of enhance / enhanceWithMaps: float32 [B, H, W, 3] in [0, 1], at most maxPixels. */
  private checkEnhanceInput(images: tf.Tensor4D, method: string): void {
    checkImages(images, `MASRNet.${method}: images`, { range: true, maxPixels: this.maxPixels });
  }

  private runForward(images: tf.Tensor4D, training: boolean) {
    ensureKernels();
    const [, h, w] = images.shape;
    const padded = padToMultiple(images, windowPixels(this.config));
    try {
      const out = this.network.forward(padded, { training });
      return { out, crop: (t: tf.Tensor4D) => cropTo(t, h, w) };
    } finally {
      padded.dispose();
    }
  }

  /**
   * Enhances float32 images [B, H, W, 3] in [0, 1] (reflect-padded to the window grid, cropped back), up to
   * `maxPixels` B·H·W. Other dtypes, NaN and values outside [0, 1] are refused, not converted.
   */
  enhance(images: tf.Tensor4D, options: ExposureOptions = {}): tf.Tensor4D {
    this.checkEnhanceInput(images, 'enhance');
    return this.forwardEnhanced(images, this.exposureGains(images, options));
  }

  /**
   * The images brought to `config.autoExposure`'s white point, one gain per image computed on the whole image (a
   * copy when autoExposure is null). To train on crops with `computeLoss` / `trainStep`, normalise each whole photo
   * with this, then crop: a crop's own white point is not the photo's.
   */
  autoExpose(images: tf.Tensor4D): tf.Tensor4D {
    checkImages(images, 'MASRNet.autoExpose: images', { range: true });
    const gains = this.exposureGains(images, {});
    return gains ? applyExposureGains(images, gains) : images.clone();
  }

  /** The autoExposure to apply, or null. */
  private exposureConfig(options: ExposureOptions) {
    return options.autoExposure === false ? null : this.config.autoExposure;
  }

  /** One gain per image (reading the images synchronously), or null when there is nothing to apply. */
  private exposureGains(images: tf.Tensor4D, options: ExposureOptions): number[] | null {
    const config = this.exposureConfig(options);
    return config ? autoExposureGains(images.dataSync(), images.shape, config) : null;
  }

  /** exposureGains with an asynchronous read. */
  private async exposureGainsAsync(images: tf.Tensor4D, options: ExposureOptions): Promise<number[] | null> {
    const config = this.exposureConfig(options);
    return config ? autoExposureGains(await images.data(), images.shape, config) : null;
  }

  /**
   * enhance without any synchronous read: the input check reads asynchronously and routing is decided with tensor
   * ops on GPU backends (see setRoutingPlacement). Use it on WebGL/WebGPU, where `enhance`'s one small read of the
   * input's range stalls the page (WebGL) or is not possible (WebGPU).
   */
  async enhanceAsync(images: tf.Tensor4D, options: ExposureOptions = {}): Promise<tf.Tensor4D> {
    await checkImagesAsync(images, 'MASRNet.enhanceAsync: images', { range: true, maxPixels: this.maxPixels });
    return this.forwardEnhanced(images, await this.exposureGainsAsync(images, options));
  }

  private forwardEnhanced(images: tf.Tensor4D, gains: number[] | null): tf.Tensor4D {
    return tf.tidy(() => {
      const { out, crop } = this.runForward(gains ? applyExposureGains(images, gains) : images, false);
      return crop(out.enhanced);
    });
  }

  /** Like enhance, plus the per-pixel ISP maps the reference returns with `return_isp_params` (for visualisation). */
  enhanceWithMaps(images: tf.Tensor4D, options: ExposureOptions = {}): EnhanceWithMapsResult {
    this.checkEnhanceInput(images, 'enhanceWithMaps');
    return this.forwardWithMaps(images, this.exposureGains(images, options));
  }

  /** enhanceWithMaps without any synchronous read (see enhanceAsync). */
  async enhanceWithMapsAsync(images: tf.Tensor4D, options: ExposureOptions = {}): Promise<EnhanceWithMapsResult> {
    await checkImagesAsync(images, 'MASRNet.enhanceWithMapsAsync: images', { range: true, maxPixels: this.maxPixels });
    return this.forwardWithMaps(images, await this.exposureGainsAsync(images, options));
  }

  private forwardWithMaps(images: tf.Tensor4D, gains: number[] | null): EnhanceWithMapsResult {
    return tf.tidy(() => {
      const { out, crop } = this.runForward(gains ? applyExposureGains(images, gains) : images, false);
      const maps = out.maps!; // present outside training
      const raw = Object.fromEntries(Object.entries(maps).map(([k, t]) => [k, crop(t)])) as IspRawMaps;
      const display = ispDisplayMaps(raw, { color: { residualScale: this.config.colorResidualScale } });
      const result: EnhanceWithMapsResult = { enhanced: crop(out.enhanced), raw, display };
      if (out.ispOutput) result.ispOutput = crop(out.ispOutput);
      if (out.denoisedInput) result.denoisedInput = crop(out.denoisedInput);
      return result as unknown as tf.TensorContainer;
    }) as unknown as EnhanceWithMapsResult;
  }

  /**
   * Enhances images of any size in overlapping tiles (each one `enhance` call), blending the overlaps: memory is
   * bounded by the tile, not the image. Results differ from a whole-image `enhance` near tile seams only.
   */
  enhanceTiled(images: tf.Tensor4D, options: EnhanceTiledOptions = {}): tf.Tensor4D {
    const tile = options.tile ?? 512;
    checkTileSize(tile, 'MASRNet.enhanceTiled: tile');
    checkImages(images, 'MASRNet.enhanceTiled: images', { range: true });
    const overlap = options.overlap ?? Math.min(32, Math.floor(tile / 4));
    if (!Number.isInteger(overlap) || overlap < 0 || overlap >= tile / 2) {
      throw new Error(`MASRNet.enhanceTiled: overlap must be an integer from 0 to below tile / 2, got ${overlap}`);
    }
    const [b, height, width] = images.shape;
    const all = images.dataSync() as Float32Array;
    const n = height * width * 3;
    const out = new Float32Array(b * n);
    let done = 0;
    const exposure = this.config.autoExposure;
    for (let i = 0; i < b; i++) {
      let img = { width, height, data: all.subarray(i * n, (i + 1) * n) };
      // The white point of the whole image, not of each tile (a tile without the highlights would be over-brightened).
      if (exposure) img = autoExposeImage(img, exposure).image;
      let count = 0;
      const [y] = tiledApply(
        img,
        tile,
        overlap,
        [3],
        (t) => {
          const x = tf.tensor4d(t.data, [1, t.height, t.width, 3]);
          try {
            const e = this.enhance(x, { autoExposure: false });
            const data = e.dataSync() as Float32Array;
            e.dispose();
            return [data];
          } finally {
            x.dispose();
          }
        },
        (k, total) => {
          count = total;
          options.onTile?.(done + k, total * b);
        },
      );
      done += count;
      out.set(y!, i * n);
    }
    return tf.tensor4d(out, [b, height, width, 3]);
  }

  /**
   * The composite training loss (masrCompositeLoss) of enhancing `input` against `target` (both [B, H, W, 3] in [0, 1]),
   * differentiable: use it inside `optimizer.minimize(() => model.computeLoss(x, y).total, false, model.trainableVariables)`.
   * The routing aux term is the mean of the routing layers' aux losses (seven in the reference presets). Returns new tensors.
   */
  computeLoss(
    input: tf.Tensor4D,
    target: tf.Tensor4D,
    options: ComputeLossOptions = {},
  ): { total: tf.Scalar; terms: Record<string, tf.Scalar> } {
    // dtype and shape only: a value check would read the batch back on every micro-batch.
    checkImages(input, 'MASRNet.computeLoss: input');
    checkImages(target, 'MASRNet.computeLoss: target');
    if (!tf.util.arraysEqual(input.shape, target.shape)) {
      throw new Error(`MASRNet.computeLoss: input [${input.shape}] and target [${target.shape}] differ in shape`);
    }
    return tf.tidy(() => {
      const { out, crop } = this.runForward(input, options.training ?? true);
      const { total, terms } = masrCompositeLoss(crop(out.enhanced), target, out.aux, {
        weights: this.config.lossWeights,
        perceptual: options.perceptual ?? null,
      });
      return { total, terms: { ...terms } as Record<string, tf.Scalar> };
    });
  }

  /**
   * One optimizer update on a batch (forward, composite loss, backward, optional clipping, `optimizer` step), with
   * optional micro-batching for memory (see TrainStepOptions). Returns plain numbers; leaves no tensors behind.
   */
  trainStep(
    optimizer: tf.Optimizer,
    input: tf.Tensor4D,
    target: tf.Tensor4D,
    options: TrainStepOptions = {},
  ): TrainStepResult {
    checkImages(input, 'MASRNet.trainStep: input');
    checkImages(target, 'MASRNet.trainStep: target');
    return trainStep(this.trainingLoss(options), this.trainableVariables, optimizer, input, target, options);
  }

  /**
   * trainStep without any synchronous read (WebGL/WebGPU): the numbers are read with `await data()` before the update.
   * Same update and result as trainStep.
   */
  async trainStepAsync(
    optimizer: tf.Optimizer,
    input: tf.Tensor4D,
    target: tf.Tensor4D,
    options: TrainStepOptions = {},
  ): Promise<TrainStepResult> {
    await checkImagesAsync(input, 'MASRNet.trainStepAsync: input');
    await checkImagesAsync(target, 'MASRNet.trainStepAsync: target');
    return trainStepAsync(this.trainingLoss(options), this.trainableVariables, optimizer, input, target, options);
  }

  private trainingLoss(options: TrainStepOptions) {
    const perceptual = options.perceptual ?? null;
    return (x: tf.Tensor4D, y: tf.Tensor4D) => this.computeLoss(x, y, { training: true, perceptual });
  }

  /** The trainable variables (for `optimizer.minimize(f, returnCost, varList)`). */
  get trainableVariables(): tf.Variable[] {
    const layers = this.network.baseFrozen ? [this.network.denoiser!] : this.network.layers();
    return layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
  }

  /** Whether freezeBase is on. */
  get baseFrozen(): boolean {
    return this.network.baseFrozen;
  }

  /**
   * Freezes (or unfreezes) everything but the denoiser, to train a denoiser on top of trained ISP weights:
   * `trainableVariables` (so trainStep and the trainer) then hold only the denoiser's weights, and in training the
   * ISP network runs as at inference (no dropout, deterministic routing), off the gradient tape. Only for models with
   * a denoiser (config.denoiser).
   */
  freezeBase(frozen = true): this {
    if (frozen && !this.network.denoiser)
      throw new Error(
        'MASRNet.freezeBase: this model has no denoiser (config.denoiser is null), so nothing would train',
      );
    this.network.baseFrozen = frozen;
    return this;
  }

  /**
   * Parameter counts. The reference counts 4,935,121 (ps4/ws2) / 4,861,393 (ps2/ws4); 474 of those are router weights
   * it never uses (every `w_atten_gate`, multi_attention_1's `q_proj.moe.w_gate`), kept here non-trainable so
   * checkpoints round-trip: trainable 4,934,647 / 4,860,919, unused 474. Buffers are not parameters.
   */
  countParams(): ParamCounts {
    let trainable = 0;
    let unused = 0;
    for (const w of this.network.referenceWeights()) {
      const n = (w.variable.shape as number[]).reduce((a, b) => a * b, 1);
      if (w.variable.trainable) trainable += n;
      else unused += n;
    }
    return { trainable, unused, total: trainable + unused };
  }

  /** FLOPs (2 x MACs) of one forward pass at H x W (64.4 G at 400x600 for lolv1). */
  flops(height: number, width: number): number {
    return countFlops(this.config, height, width).total;
  }

  /**
   * Loads a reference PyTorch state_dict saved as safetensors (key names of Britark/MASR-Net's `Model`, layouts
   * converted here). Throws listing unknown, missing and mis-shaped keys. Returns the keys that were loaded but never
   * affect the output: every router's `w_atten_gate`, multi_attention_1's `q_proj.moe.w_gate`, ColorTransform's debug
   * buffers, and the frozen VGG16 of the reference's perceptual loss (`perceptual_loss.*`, in checkpoints from its
   * train.py), which is not part of the network and is not exported back. `missing` lists the weights that
   * `options.allowMissing` let keep their values.
   */
  loadSafetensors(bytes: Uint8Array, options: LoadSafetensorsOptions = {}): { unused: string[]; missing: string[] } {
    const trainedWith = recordedAutoExposure(readSafetensors(bytes).metadata);
    const mine = this.config.autoExposure;
    if (trainedWith && !options.anyAutoExposure && !sameAutoExposure(trainedWith, mine)) {
      // Weights trained on normalised inputs give silently wrong (too bright or too dark) results on others.
      const recorded = JSON.stringify(trainedWith);
      throw new Error(
        `MASRNet.loadSafetensors: these weights were trained with autoExposure ${recorded}, and this model ${mine ? `applies ${JSON.stringify(mine)}` : 'has none'}: create it with { autoExposure: ${recorded} }, or pass { anyAutoExposure: true } to fine-tune them to this model's`,
      );
    }
    const weights = this.network.referenceWeights();
    return importReferenceWeights(bytes, weights, this.buffers(), unusedKeys(weights), options.allowMissing);
  }

  /** The weights as a reference state_dict in safetensors (same keys and layouts; loadSafetensors∘toSafetensors = identity). */
  toSafetensors(): Uint8Array {
    return exportReferenceWeights(this.network.referenceWeights(), this.buffers(), {
      format: 'pt',
      model: 'MASR-Net (masr-net)',
      patch_size: String(this.config.patchSize),
      win_size: String(this.config.windowSize),
      ...(this.config.autoExposure && { [AUTO_EXPOSURE_KEY]: JSON.stringify(recordable(this.config.autoExposure)) }),
    });
  }

  /** Saves config + weights in the tfjs format (model.json + weights.bin). In Node, 'file://dir' works without tfjs-node. */
  async save(handlerOrUrl: tf.io.IOHandler | string): Promise<void> {
    await saveModel(handlerOrUrl, this.config, this.network.referenceWeights(), this.buffers());
  }

  /** Loads a model saved by `save`. */
  static async load(handlerOrUrl: tf.io.IOHandler | string): Promise<MASRNet> {
    const { config, tensors } = await loadArtifacts(handlerOrUrl);
    try {
      const model = MASRNet.fromConfig(config);
      try {
        assignLoaded(tensors, model.network.referenceWeights(), model.buffers());
      } catch (e) {
        model.dispose();
        throw e;
      }
      return model;
    } finally {
      tf.dispose(Object.values(tensors));
    }
  }

  dispose(): void {
    this.network.dispose();
  }
}

/** The setting as metadata records it: `pool` only when it is not 1, so versions before the field read it too. */
function recordable({ pool, ...rest }: AutoExposureConfig): AutoExposureConfig {
  return pool === undefined || pool === 1 ? rest : { ...rest, pool };
}
