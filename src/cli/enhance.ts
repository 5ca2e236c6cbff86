import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  InputError,
  imageToTensor,
  listImages,
  readImage,
  writeImage,
  type DecodedImage,
  type RgbImage,
} from '../data/index';
import type { MASRNet, MASRNetOverrides, MASRNetPreset } from '../models/index';
import { clipImage } from './draw';
import { heatmap } from './heatmap';
import { tiledApply } from './tiles';
import { loadModel, readModelConfigFile } from './model-source';
import type { Reporter } from './reporter';
import { UsageError } from './args';

export interface EnhanceOptions {
  /** An image file or a folder of images. */
  input: string;
  out: string;
  checkpoint: string;
  preset?: MASRNetPreset;
  presetGiven?: boolean;
  config?: string;
  /** Also write the gamma / colour-correction / saturation maps as heatmap PNGs. */
  maps?: boolean;
  /** Output format: png (default), jpeg or tiff. */
  format?: 'png' | 'jpeg' | 'tiff';
  /** Output bits per channel: 'auto' (16 for 16-bit inputs, PNG only), 8 or 16. */
  bitDepth?: 'auto' | 8 | 16;
  /** Appended to output names (`photo` -> `photo<suffix>.png`). Default ''. */
  suffix?: string;
  /**
   * Enhance in overlapping tiles of this size (pixels) to bound memory; 0 = whole image. Default: whole image up to
   * 1.5 megapixels, 512-pixel tiles (32 overlap) above.
   */
  tile?: number;
}

/** Images above this many pixels are tiled by default (the whole-image forward needs ~2 GB at 1 MP). */
const AUTO_TILE_PIXELS = 1.5e6;
const TILE_OVERLAP = 32;

const EXT = { png: '.png', jpeg: '.jpg', tiff: '.tif' } as const;

const canonical = (p: string) => (existsSync(p) ? realpathSync(p) : resolve(p));

/** The model's output (clipped) and, with maps, the gamma / colour-strength / saturation maps, as flat arrays. */
function runModel(model: MASRNet, img: RgbImage, withMaps: boolean): Float32Array[] {
  const x = imageToTensor(img);
  try {
    if (!withMaps) {
      const y = model.enhance(x);
      const data = Float32Array.from(y.dataSync() as Float32Array);
      y.dispose();
      return [data];
    }
    const r = model.enhanceWithMaps(x);
    const read = (t: tf.Tensor) => Float32Array.from(t.dataSync() as Float32Array);
    const out = [read(r.enhanced), read(r.gamma), read(r.colorStrength), read(r.saturation)];
    tf.dispose([r.enhanced, r.gamma, r.colorMatrix, r.colorStrength, r.saturation]);
    return out;
  } finally {
    x.dispose();
  }
}

interface Enhanced {
  enhanced: RgbImage;
  maps?: { gamma: Float32Array; colorStrength: Float32Array; saturation: Float32Array };
}

/** Enhance one image, whole or in tiles. */
function enhanceOne(model: MASRNet, img: RgbImage, withMaps: boolean, tile: number): Enhanced {
  const channels = withMaps ? [3, 1, 1, 1] : [3];
  const outs =
    tile > 0 && (img.width > tile || img.height > tile)
      ? tiledApply(img, tile, Math.min(TILE_OVERLAP, Math.floor(tile / 4)), channels, (t) =>
          runModel(model, t, withMaps),
        )
      : runModel(model, img, withMaps);
  const enhanced = clipImage({ width: img.width, height: img.height, data: outs[0]! });
  return withMaps
    ? { enhanced, maps: { gamma: outs[1]!, colorStrength: outs[2]!, saturation: outs[3]! } }
    : { enhanced };
}

/**
 * Enhance one image or every image of a folder. Output names are decided and checked before anything is written:
 * an output that would overwrite an input, or two inputs mapping to one output, is an error. Files are written
 * atomically. The tfjs backend must already be selected.
 */
export async function runEnhance(options: EnhanceOptions, reporter: Reporter): Promise<{ written: string[] }> {
  if (!existsSync(options.input)) throw new InputError(options.input, 'file or folder not found');
  const inputs = statSync(options.input).isDirectory() ? await listImages(options.input) : [options.input];
  const format = options.format ?? 'png';
  if (!(format in EXT)) throw new UsageError(`--format must be png, jpeg or tiff, got '${format}'`);
  const suffix = options.suffix ?? '';
  const plan = inputs.map((file) => {
    const stem = basename(file, extname(file)) + suffix;
    return {
      file,
      out: join(options.out, stem + EXT[format]),
      maps: ['gamma', 'color', 'saturation'].map((m) => join(options.out, `${stem}_${m}.png`)),
    };
  });
  const inputSet = new Set(inputs.map(canonical));
  const seen = new Map<string, string>();
  for (const p of plan) {
    for (const target of [p.out, ...(options.maps ? p.maps : [])]) {
      if (inputSet.has(canonical(target))) {
        throw new InputError(target, `would overwrite the input image; choose another --out or a --suffix`);
      }
      const other = seen.get(resolve(target));
      if (other)
        throw new InputError(
          p.file,
          `and ${other} would both be written to ${target}; rename one or enhance them separately`,
        );
      seen.set(resolve(target), p.file);
    }
  }
  const fileConfig = options.config ? await readModelConfigFile(options.config) : {};
  const { model, source } = await loadModel(options.checkpoint, {
    preset: options.preset,
    presetGiven: options.presetGiven,
    overrides: fileConfig.model as MASRNetOverrides | undefined,
    configFile: options.config,
  });
  reporter.info(
    `enhance: ${inputs.length} image${inputs.length > 1 ? 's' : ''} from ${options.input} with ${source} -> ${options.out}`,
  );
  const written: string[] = [];
  try {
    let next: Promise<DecodedImage> | undefined = readImage(plan[0]!.file);
    for (let i = 0; i < plan.length; i++) {
      const p = plan[i]!;
      const img = await next!;
      next = i + 1 < plan.length ? readImage(plan[i + 1]!.file) : undefined;
      next?.catch(() => undefined);
      const t0 = performance.now();
      const tile = options.tile ?? (img.width * img.height > AUTO_TILE_PIXELS ? 512 : 0);
      const r = enhanceOne(model, img, !!options.maps, tile);
      const bitDepth =
        options.bitDepth === 'auto' || options.bitDepth === undefined
          ? format === 'png'
            ? img.bitDepth
            : 8
          : options.bitDepth;
      await writeImage(p.out, r.enhanced, { bitDepth });
      written.push(p.out);
      if (r.maps) {
        const { width, height } = img;
        await writeImage(p.maps[0]!, heatmap(r.maps.gamma, width, height, 'GAMMA'));
        await writeImage(p.maps[1]!, heatmap(r.maps.colorStrength, width, height, 'COLOR CORRECTION'));
        await writeImage(p.maps[2]!, heatmap(r.maps.saturation, width, height, 'SATURATION'));
        written.push(...p.maps);
      }
      reporter.info(
        `  [${i + 1}/${plan.length}] ${p.file} (${img.width}x${img.height}${tile > 0 && (img.width > tile || img.height > tile) ? `, ${tile}px tiles` : ''}) -> ${p.out} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      );
    }
  } finally {
    model.dispose();
  }
  return { written };
}
