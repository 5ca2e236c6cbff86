import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { InputError } from './errors';
import { describeFsError } from './fs-errors';
import { isImagePath } from './image';

/** Sort names the way people expect: `2.png` before `10.png`. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' }) || (a < b ? -1 : a > b ? 1 : 0);
}

/** True if the path exists and is a folder. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The image files directly inside a folder (by extension, hidden files skipped), in natural order.
 * Throws an {@link InputError} for a missing folder, a file given as folder, or (unless `allowEmpty`) no images.
 */
export async function listImages(dir: string, options: { allowEmpty?: boolean } = {}): Promise<string[]> {
  let entries: string[];
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new InputError(dir, 'is a file, expected a folder of images');
    entries = await readdir(dir);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      dir,
      code === 'ENOENT' ? 'folder not found' : `cannot read folder: ${describeFsError(e, dir)}`,
    );
  }
  const files = entries.filter((f) => !f.startsWith('.') && isImagePath(f)).sort(naturalCompare);
  if (files.length === 0 && !options.allowEmpty) {
    throw new InputError(dir, 'folder contains no images (.png, .jpg, .jpeg, .bmp, .tif, .tiff)');
  }
  return files.map((f) => join(dir, f));
}

/**
 * The image files in a folder and all its subfolders (hidden ones skipped), in natural order of their relative paths.
 * Throws like {@link listImages}; empty means no image anywhere below.
 */
export async function listImagesDeep(dir: string): Promise<string[]> {
  const own = await listImages(dir, { allowEmpty: true });
  const subs = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(naturalCompare);
  const nested: string[] = [];
  for (const s of subs) nested.push(...(await listImagesDeep(join(dir, s)).catch(() => [])));
  const all = [...own, ...nested];
  if (all.length === 0)
    throw new InputError(dir, 'folder (and its subfolders) contains no images (.png, .jpg, .jpeg, .bmp, .tif, .tiff)');
  return all;
}

/** A subfolder of `dir` whose name matches one of `names` case-insensitively, or undefined. */
export async function findSubfolder(dir: string, names: readonly string[]): Promise<string | undefined> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return undefined;
  }
  const wanted = names.map((n) => n.toLowerCase());
  for (const name of wanted) {
    const hit = entries.find((e) => e.toLowerCase() === name);
    if (hit && (await isDirectory(join(dir, hit)))) return join(dir, hit);
  }
  return undefined;
}

/** One training/evaluation pair: a low-light input and its reference. */
export interface ImagePair {
  /** A short name for logs and output files (the input's file name without extension). */
  name: string;
  input: string;
  target: string;
}

/** The result of matching two folders by file name. */
export interface PairingReport {
  pairs: ImagePair[];
  /** Input files with no reference. */
  unmatchedInputs: string[];
  /** Reference files with no input. */
  unmatchedTargets: string[];
}

const stem = (p: string): string => basename(p, extname(p));

/**
 * The name with the words datasets use to tell the two sides apart removed, e.g. LOL-v2's `low00001` / `normal00001`
 * both become `00001`.
 */
export function pairKey(name: string): string {
  return stem(name)
    .toLowerCase()
    .replace(/low|normal|high|dark|bright|input|target|gt|ref/g, '')
    .replace(/[^a-z0-9]/g, '');
}

/**
 * Match the images of two folders by name: first identical names (ignoring extension and case), then names equal
 * after {@link pairKey} when that is unambiguous. Unmatched files on either side are reported, not dropped silently.
 */
export function matchByName(inputs: string[], targets: string[]): PairingReport {
  const pairs: ImagePair[] = [];
  const freeTargets = new Map<string, string>();
  for (const t of targets) freeTargets.set(stem(t).toLowerCase(), t);
  const leftover: string[] = [];
  for (const i of inputs) {
    const key = stem(i).toLowerCase();
    const t = freeTargets.get(key);
    if (t !== undefined) {
      pairs.push({ name: stem(i), input: i, target: t });
      freeTargets.delete(key);
    } else leftover.push(i);
  }
  const unmatchedInputs: string[] = [];
  const byKey = new Map<string, string[]>();
  for (const t of freeTargets.values()) byKey.set(pairKey(t), [...(byKey.get(pairKey(t)) ?? []), t]);
  const inputKeyCount = new Map<string, number>();
  for (const i of leftover) inputKeyCount.set(pairKey(i), (inputKeyCount.get(pairKey(i)) ?? 0) + 1);
  for (const i of leftover) {
    const key = pairKey(i);
    const candidates = byKey.get(key);
    if (key !== '' && candidates?.length === 1 && inputKeyCount.get(key) === 1) {
      pairs.push({ name: stem(i), input: i, target: candidates[0]! });
      byKey.delete(key);
    } else unmatchedInputs.push(i);
  }
  const unmatchedTargets = [...byKey.values()].flat();
  pairs.sort((a, b) => naturalCompare(a.input, b.input));
  unmatchedTargets.sort(naturalCompare);
  return { pairs, unmatchedInputs, unmatchedTargets };
}

/** List two folders and match their images by name. Throws if nothing matches. */
export async function pairFolders(inputDir: string, targetDir: string): Promise<PairingReport> {
  const [inputs, targets] = await Promise.all([listImages(inputDir), listImages(targetDir)]);
  const report = matchByName(inputs, targets);
  if (report.pairs.length === 0) {
    throw new InputError(inputDir, `no file name matches one in ${targetDir} (pairs are matched by name)`);
  }
  return report;
}

/** A human-readable summary of a pairing (the unmatched files named, a few at most). */
export function describePairing(report: PairingReport, max = 5): string {
  const parts = [`${report.pairs.length} pairs`];
  const list = (files: string[]) =>
    files
      .slice(0, max)
      .map((f) => basename(f))
      .join(', ') + (files.length > max ? `, ... (+${files.length - max})` : '');
  if (report.unmatchedInputs.length)
    parts.push(`${report.unmatchedInputs.length} inputs without reference: ${list(report.unmatchedInputs)}`);
  if (report.unmatchedTargets.length)
    parts.push(`${report.unmatchedTargets.length} references without input: ${list(report.unmatchedTargets)}`);
  return parts.join('; ');
}
