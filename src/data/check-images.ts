import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { InputError, type PairSource } from './index';
import { firstLine } from './errors';

/** Width and height from a file's header (BMP: its info header; others: sharp), without decoding the pixels. */
async function headerSize(path: string): Promise<{ width: number; height: number }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? 'file not found' : firstLine(e));
  }
  if (bytes.length === 0) throw new Error('file is empty');
  if (bytes.length >= 26 && bytes[0] === 0x42 && bytes[1] === 0x4d) {
    return { width: bytes.readInt32LE(18), height: Math.abs(bytes.readInt32LE(22)) };
  }
  let meta;
  try {
    meta = await sharp(bytes).metadata();
  } catch (e) {
    throw new Error(`cannot decode image (${firstLine(e)})`);
  }
  if (!meta.width || !meta.height) throw new Error('cannot decode image (no size in its header)');
  return { width: meta.width, height: meta.height };
}

/** Images to check: a source's first `count` items (all by default), each at least `minSize` on each side. */
export interface ImageCheck {
  source: PairSource;
  minSize: number;
  count?: number;
  /** What the images are, for the message ('training', 'validation'). */
  role: string;
}

const filesOf = (source: PairSource, count = Infinity) =>
  source.kind === 'pairs'
    ? source.pairs.slice(0, count).flatMap((p) => [p.input, p.target])
    : source.photos.slice(0, count);

/**
 * Check every training and validation image before step 1 (readable, not empty, a decodable header, big enough), so
 * a bad file stops the run before anything is written or trained rather than hours in. Throws one line listing
 * every bad file.
 */
export async function checkRunImages(checks: ImageCheck[], concurrency = 8): Promise<void> {
  const files = checks.flatMap((c) => filesOf(c.source, c.count).map((path) => ({ path, check: c })));
  const bad: { path: string; problem: string; role: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const { path, check } = files[next++]!;
      try {
        const { width, height } = await headerSize(path);
        if (width < check.minSize || height < check.minSize)
          bad.push({
            path,
            role: check.role,
            problem: `image ${width}x${height} is smaller than ${check.minSize}x${check.minSize} (${check.role})`,
          });
      } catch (e) {
        bad.push({ path, role: check.role, problem: firstLine(e) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  if (!bad.length) return;
  if (bad.length === 1) throw new InputError(bad[0]!.path, bad[0]!.problem);
  bad.sort((a, b) => (a.path < b.path ? -1 : 1));
  const roles = [...new Set(bad.map((b) => b.role))].sort().join(' and ');
  const listed = bad.slice(0, 10).map((b) => `${b.path}: ${b.problem}`);
  const more = bad.length > 10 ? `; and ${bad.length - 10} more` : '';
  throw new InputError(`${bad.length} ${roles} images`, `cannot be used: ${listed.join('; ')}${more}`);
}
