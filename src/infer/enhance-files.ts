import { existsSync, lstatSync, realpathSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describeFsError } from '../data/fs-errors';
import { firstLine } from '../data/errors';
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
import { clipImage } from '../viz/draw';
import { heatmap } from '../viz/heatmap';
import { checkTileSize, tiledApply } from '../models/tiles';
import { autoExposeImage } from '../isp/auto-exposure';
import { loadModel, readModelConfigFile } from './model-source';
import type { Reporter } from '../reporter';
import { UsageError } from '../data/errors';

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
   * Enhance in overlapping tiles of this size (pixels, at least 16) to bound memory; 0 = whole image. Default: whole
   * image up to the model's maxPixels (1.5 megapixels), 512-pixel tiles (32 overlap) above.
   */
  tile?: number;
}

const TILE_OVERLAP = 32;

const EXT = { png: '.png', jpeg: '.jpg', tiff: '.tif' } as const;

const canonical = (p: string) => (existsSync(p) ? realpathSync(p) : resolve(p));

/** The model's output (clipped) and, with maps, the gamma / colour-strength / saturation maps, as flat arrays. */
function runModel(model: MASRNet, img: RgbImage, withMaps: boolean, exposed = false): Float32Array[] {
  const x = imageToTensor(img);
  const options = { autoExposure: !exposed };
  try {
    if (!withMaps) {
      const y = model.enhance(x, options);
      const data = Float32Array.from(y.dataSync() as Float32Array);
      y.dispose();
      return [data];
    }
    const r = model.enhanceWithMaps(x, options);
    const read = (t: tf.Tensor) => Float32Array.from(t.dataSync() as Float32Array);
    const out = [
      read(r.enhanced),
      read(r.display.gammaExponent),
      read(r.display.colorStrength),
      read(r.display.saturationFactor),
    ];
    tf.dispose(r as unknown as tf.TensorContainer);
    return out;
  } finally {
    x.dispose();
  }
}

interface Enhanced {
  enhanced: RgbImage;
  maps?: { gamma: Float32Array; colorStrength: Float32Array; saturation: Float32Array };
}

/**
 * Enhance one image, whole or in tiles (`MASRNet.enhanceTiled`; with maps, the maps are tiled here too);
 * `onTile(done, total)` after each tile.
 */
function enhanceOne(
  model: MASRNet,
  img: RgbImage,
  withMaps: boolean,
  tile: number,
  onTile: (done: number, total: number) => void,
): Enhanced {
  const tiled = tile > 0 && (img.width > tile || img.height > tile);
  const overlap = Math.min(TILE_OVERLAP, Math.floor(tile / 4));
  let outs: Float32Array[];
  if (!tiled) outs = runModel(model, img, withMaps);
  else if (!withMaps) outs = [enhanceTiled(model, img, tile, overlap, onTile)];
  else {
    // The white point of the whole photo (config.autoExposure), not of each tile.
    const ae = model.config.autoExposure;
    const exposed = ae ? autoExposeImage(img, ae).image : img;
    outs = tiledApply(exposed, tile, overlap, [3, 1, 1, 1], (t) => runModel(model, t, true, !!ae), onTile);
  }
  const enhanced = clipImage({ width: img.width, height: img.height, data: outs[0]! });
  return withMaps
    ? { enhanced, maps: { gamma: outs[1]!, colorStrength: outs[2]!, saturation: outs[3]! } }
    : { enhanced };
}

function enhanceTiled(
  model: MASRNet,
  img: RgbImage,
  tile: number,
  overlap: number,
  onTile: (done: number, total: number) => void,
): Float32Array {
  const x = imageToTensor(img);
  try {
    const y = model.enhanceTiled(x, { tile, overlap, onTile });
    const data = Float32Array.from(y.dataSync() as Float32Array);
    y.dispose();
    return data;
  } finally {
    x.dispose();
  }
}

/** Enhance one decoded image and write its outputs; returns the files written. */
async function enhanceFile(
  model: MASRNet,
  img: DecodedImage,
  p: { file: string; out: string; maps: string[] },
  options: EnhanceOptions,
  format: keyof typeof EXT,
  label: string,
  reporter: Reporter,
): Promise<string[]> {
  const t0 = performance.now();
  const tile = options.tile ?? (img.width * img.height > model.maxPixels ? 512 : 0);
  const tiled = tile > 0 && (img.width > tile || img.height > tile);
  const r = enhanceOne(model, img, !!options.maps, tile, (done, total) =>
    reporter.info(`${label}: tile ${done}/${total}`),
  );
  const bitDepth =
    options.bitDepth === 'auto' || options.bitDepth === undefined
      ? format === 'png'
        ? img.bitDepth
        : 8
      : options.bitDepth;
  const files = [p.out];
  await writeOutput(p.out, r.enhanced, bitDepth);
  if (r.maps) {
    const { width, height } = img;
    await writeOutput(p.maps[0]!, heatmap(r.maps.gamma, width, height, 'GAMMA'));
    await writeOutput(p.maps[1]!, heatmap(r.maps.colorStrength, width, height, 'COLOR CORRECTION'));
    await writeOutput(p.maps[2]!, heatmap(r.maps.saturation, width, height, 'SATURATION'));
    files.push(...p.maps);
  }
  reporter.info(
    `${label} (${img.width}x${img.height}${tiled ? `, ${tile}px tiles` : ''}) -> ${p.out} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  return files;
}

/** writeImage with file system errors said plainly (read-only, permission, no space) and naming the file. */
async function writeOutput(path: string, img: RgbImage, bitDepth?: 8 | 16): Promise<void> {
  try {
    await writeImage(path, img, bitDepth === undefined ? {} : { bitDepth });
  } catch (e) {
    throw new InputError(path, `cannot write: ${describeFsError(e, path)}`);
  }
}

/** The input must exist; a symlink loop or an unreadable path is said as such, not as "not found". */
function checkInputExists(input: string): void {
  try {
    statSync(input);
  } catch (e) {
    let linked = false;
    try {
      linked = lstatSync(input).isSymbolicLink();
    } catch {
      // Not even a link: truly missing.
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !linked) throw new InputError(input, 'file or folder not found');
    throw new InputError(
      input,
      code === 'ENOENT' ? 'broken symbolic link (its target does not exist)' : describeFsError(e, input),
    );
  }
}

/**
 * Enhance one image or every image of a folder. Output names are decided and checked before anything is written:
 * an output that would overwrite an input, or two inputs mapping to one output, is an error. Files are written
 * atomically. An image that cannot be read or enhanced is reported and skipped; the others are still enhanced, then
 * the run throws listing the failures. The tfjs backend must already be selected.
 */
export async function runEnhance(options: EnhanceOptions, reporter: Reporter): Promise<{ written: string[] }> {
  checkInputExists(options.input);
  if (options.tile !== undefined && options.tile !== 0) {
    try {
      checkTileSize(options.tile, '--tile');
    } catch (e) {
      throw new UsageError(`${firstLine(e)} (0 = whole image)`);
    }
  }
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
  // Checked once, before any image (not once per image); after the model loaded, so a bad checkpoint creates nothing.
  await mkdir(options.out, { recursive: true }).catch((e: unknown) => {
    model.dispose();
    throw new InputError(options.out, `cannot create the output folder: ${describeFsError(e, options.out)}`);
  });
  reporter.info(
    `enhance: ${inputs.length} image${inputs.length > 1 ? 's' : ''} from ${options.input} with ${source} -> ${options.out}`,
  );
  const written: string[] = [];
  const failed: string[] = [];
  try {
    let next: Promise<DecodedImage> | undefined = readImage(plan[0]!.file);
    for (let i = 0; i < plan.length; i++) {
      const p = plan[i]!;
      const current = next!;
      next = i + 1 < plan.length ? readImage(plan[i + 1]!.file) : undefined;
      next?.catch(() => undefined);
      const label = `  [${i + 1}/${plan.length}] ${p.file}`;
      // One bad image must not cost the others: it is reported, the rest are enhanced, and the run fails at the end.
      try {
        written.push(...(await enhanceFile(model, await current, p, options, format, label, reporter)));
      } catch (e) {
        const problem = e instanceof InputError ? e.message : `${p.file}: ${firstLine(e)}`;
        reporter.warn(`  failed: ${problem}`);
        failed.push(problem);
      }
    }
  } finally {
    model.dispose();
  }
  if (failed.length > 0) {
    // The failing files first, so a single failure still reads `<file>: <problem>`.
    const tally =
      plan.length > 1 ? ` (${failed.length} of ${plan.length} images failed, the others were enhanced)` : '';
    throw new Error(failed.join('; ') + tally);
  }
  return { written };
}
