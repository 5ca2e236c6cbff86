import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from './atomic';
import { decodeBmp, encodeBmp, isBmp } from './bmp';
import { InputError, firstLine } from './errors';
import { describeFsError } from './fs-errors';

/**
 * Default largest image decoded, in pixels (2^26, ~67 MP: 805 MB as float32 RGB). A 746 KB 16000x16000 PNG took 85 s
 * and 3.9 GB to decode. Override per call (`maxPixels`) or for the process with MASR_MAX_IMAGE_PIXELS.
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 2 ** 26;

/** The decode limit: `given`, else MASR_MAX_IMAGE_PIXELS, else the default. Throws on a malformed value. */
export function maxImagePixels(given?: number): number {
  const env = typeof process !== 'undefined' ? process.env.MASR_MAX_IMAGE_PIXELS : undefined;
  const value = given ?? (env !== undefined && env !== '' ? Number(env) : DEFAULT_MAX_IMAGE_PIXELS);
  if (!Number.isInteger(value) || value < 1) {
    const source = given !== undefined ? 'maxPixels' : 'MASR_MAX_IMAGE_PIXELS';
    throw new Error(`${source} must be a positive whole number of pixels, got ${given ?? env}`);
  }
  return value;
}

/** Refuse an image whose header declares more than `limit` pixels, before any pixel is decoded. */
function checkPixels(name: string, width: number, height: number, limit: number): void {
  if (width * height > limit) {
    throw new InputError(
      name,
      `${width}x${height} = ${width * height} pixels is above the limit of ${limit} (raise it with MASR_MAX_IMAGE_PIXELS)`,
    );
  }
}

export interface DecodeOptions {
  /** Largest width x height decoded; default MASR_MAX_IMAGE_PIXELS or DEFAULT_MAX_IMAGE_PIXELS. */
  maxPixels?: number;
}

/** An RGB image as masr-net uses it: interleaved HWC float32 in [0,1]. */
export interface RgbImage {
  width: number;
  height: number;
  /** `height * width * 3` values, row-major, RGB. */
  data: Float32Array;
}

/** A decoded image file: the pixels plus what the file held. */
export interface DecodedImage extends RgbImage {
  /** Bits per channel in the file (16-bit PNG/TIFF keep their precision in `data`). */
  bitDepth: 8 | 16;
  /** The container format as detected from the bytes (`png`, `jpeg`, `tiff`, `bmp`, ...). */
  format: string;
}

/** File extensions the dataset loaders pick up (case-insensitive). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff'];

/** True when the path has one of {@link IMAGE_EXTENSIONS}. */
export function isImagePath(path: string): boolean {
  return IMAGE_EXTENSIONS.includes(extname(path).toLowerCase());
}

/** Check an image's fields agree; throws naming the mismatch. */
export function assertRgbImage(img: RgbImage, what = 'image'): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
    throw new Error(`${what}: invalid size ${img.width}x${img.height}`);
  }
  if (img.data.length !== img.width * img.height * 3) {
    throw new Error(
      `${what}: expected ${img.width * img.height * 3} values for ${img.width}x${img.height}x3, got ${img.data.length}`,
    );
  }
}

/**
 * Decode PNG, JPEG, TIFF, WebP (via sharp) or BMP (built-in) bytes to RGB in [0,1]. Alpha is dropped, greyscale is
 * expanded to three channels, 16-bit files keep 16-bit precision, EXIF orientation is applied.
 * `name` only labels errors.
 */
export async function decodeImage(
  bytes: Uint8Array,
  name = '<buffer>',
  options: DecodeOptions = {},
): Promise<DecodedImage> {
  if (bytes.length === 0) throw new InputError(name, 'file is empty');
  const limit = maxImagePixels(options.maxPixels);
  if (isBmp(bytes) && bytes.length >= 26) {
    // BITMAPINFOHEADER: int32 width at 18, int32 height at 22 (negative for top-down rows).
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    checkPixels(name, Math.abs(view.getInt32(18, true)), Math.abs(view.getInt32(22, true)), limit);
  }
  if (isBmp(bytes)) {
    let px;
    try {
      px = decodeBmp(bytes);
    } catch (e) {
      throw new InputError(name, `cannot decode image (${firstLine(e)})`);
    }
    const data = new Float32Array(px.rgb.length);
    for (let i = 0; i < data.length; i++) data[i] = px.rgb[i]! / 255;
    return { width: px.width, height: px.height, data, bitDepth: 8, format: 'bmp' };
  }
  try {
    const input = sharp(bytes, { failOn: 'warning', limitInputPixels: Math.max(limit, 1 << 28) });
    const meta = await input.metadata();
    checkPixels(name, meta.width ?? 0, meta.height ?? 0, limit);
    const wide = meta.depth === 'ushort' || meta.depth === 'uint' || meta.depth === 'float' || meta.depth === 'double';
    const pipeline = input
      .rotate()
      .removeAlpha()
      .toColourspace(wide ? 'rgb16' : 'srgb');
    const { data, info } = await (wide ? pipeline.raw({ depth: 'ushort' }) : pipeline.raw()).toBuffer({
      resolveWithObject: true,
    });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    const n = info.width * info.height * 3;
    const out = new Float32Array(n);
    if (wide) {
      const u16 = new Uint16Array(data.buffer, data.byteOffset, n);
      for (let i = 0; i < n; i++) out[i] = u16[i]! / 65535;
    } else {
      for (let i = 0; i < n; i++) out[i] = data[i]! / 255;
    }
    return {
      width: info.width,
      height: info.height,
      data: out,
      bitDepth: wide ? 16 : 8,
      format: meta.format ?? 'unknown',
    };
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(name, `cannot decode image (${firstLine(e)})`);
  }
}

/** Read and decode an image file. Errors name the file: missing, unreadable, a symlink loop, empty, corrupt, too large. */
export async function readImage(path: string, options: DecodeOptions = {}): Promise<DecodedImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EISDIR'
          ? 'is a folder, expected an image file'
          : describeFsError(e, path);
    throw new InputError(path, problem);
  }
  return decodeImage(bytes, path, options);
}

export type ImageFormat = 'png' | 'jpeg' | 'tiff' | 'bmp';

export interface EncodeOptions {
  /** Output format. Default `png`. */
  format?: ImageFormat;
  /** Bits per channel: 8 (default) or 16 (PNG only). */
  bitDepth?: 8 | 16;
  /** JPEG quality 1..100. Default 95. */
  quality?: number;
}

/** The format implied by a file extension (`.png`, `.jpg`/`.jpeg`, `.tif`/`.tiff`, `.bmp`). */
export function formatForPath(path: string): ImageFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  if (ext === '.tif' || ext === '.tiff') return 'tiff';
  if (ext === '.bmp') return 'bmp';
  throw new Error(`cannot tell the image format of '${path}': use .png, .jpg, .tif or .bmp`);
}

/** Quantise [0,1] floats to 8 bits (clipping out-of-range values; NaN becomes 0). */
export function toUint8(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    out[i] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
  }
  return out;
}

/** Encode an RGB image to file bytes. */
export async function encodeImage(img: RgbImage, options: EncodeOptions = {}): Promise<Uint8Array> {
  assertRgbImage(img);
  const format = options.format ?? 'png';
  const bitDepth = options.bitDepth ?? 8;
  if (bitDepth === 16 && format !== 'png') throw new Error(`16-bit output is only supported for PNG, not ${format}`);
  if (format === 'bmp') return encodeBmp({ width: img.width, height: img.height, rgb: toUint8(img.data) });
  const raw = { width: img.width, height: img.height, channels: 3 as const };
  let s: sharp.Sharp;
  if (bitDepth === 16) {
    const u16 = new Uint16Array(img.data.length);
    for (let i = 0; i < u16.length; i++) {
      const v = img.data[i]!;
      u16[i] = v > 0 ? (v < 1 ? Math.round(v * 65535) : 65535) : 0;
    }
    s = sharp(u16, { raw }).toColourspace('rgb16');
  } else {
    s = sharp(toUint8(img.data), { raw });
  }
  if (format === 'png') s = s.png({ compressionLevel: 6 });
  else if (format === 'jpeg') s = s.jpeg({ quality: options.quality ?? 95, chromaSubsampling: '4:4:4' });
  else s = s.tiff({ compression: 'lzw' });
  return new Uint8Array(await s.toBuffer());
}

/** Encode and write an image atomically (temporary file, then rename); the format follows the extension. */
export async function writeImage(
  path: string,
  img: RgbImage,
  options: Omit<EncodeOptions, 'format'> = {},
): Promise<void> {
  const bytes = await encodeImage(img, { ...options, format: formatForPath(path) });
  await writeFileAtomic(path, bytes);
}
