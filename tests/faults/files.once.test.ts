import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run';
import { decodeImage, encodeImage, listImages, readImage, writeImage } from '../../src/data/index';
import { describeFsError } from '../../src/data/fs-errors';
import { MASRNet } from '../../src/models/index';
import { tempDir } from '../data/helpers';
import { TINY_MODEL, collectingReporter, photo, writeTinyConfig } from '../cli/helpers';

// Issue 13: decode limits, file system messages that said the wrong thing, and enhance over a folder with a bad image.
const tmp = tempDir('masr-faults-files-');
let ckpt = '';
let config = '';

beforeAll(async () => {
  config = writeTinyConfig(tmp.dir);
  const model = MASRNet.create('lolv1', TINY_MODEL as never);
  ckpt = join(tmp.dir, 'ckpt');
  await model.save(`file://${ckpt}`);
  model.dispose();
});
afterAll(tmp.cleanup);

async function enhance(...args: string[]) {
  const reporter = collectingReporter();
  const code = await runCli(['enhance', ...args, '--checkpoint', ckpt, '--config', config, '--backend', 'wasm'], {
    reporter,
  });
  return { code, lines: reporter.lines, last: reporter.lines.at(-1) ?? '' };
}

describe('files and folders (issue 13)', () => {
  it('an image above the pixel limit is refused from its header, naming the limit (option and environment)', async () => {
    // A 4000x4000 PNG of one colour is a few KB: the limit must trip before the 16 M pixels are decoded.
    const big = await sharp({ create: { width: 4000, height: 4000, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    await expect(decodeImage(big, 'big.png', { maxPixels: 1_000_000 })).rejects.toThrow(
      /^big\.png: 4000x4000 = 16000000 pixels is above the limit of 1000000 \(raise it with MASR_MAX_IMAGE_PIXELS\)$/,
    );
    const bmp = await encodeImage(photo(40, 30, 1), { format: 'bmp' });
    await expect(decodeImage(bmp, 'small.bmp', { maxPixels: 1000 })).rejects.toThrow(/40x30 = 1200 pixels/);
    process.env.MASR_MAX_IMAGE_PIXELS = '1000';
    try {
      await expect(decodeImage(bmp, 'small.bmp')).rejects.toThrow(/above the limit of 1000/);
      process.env.MASR_MAX_IMAGE_PIXELS = 'lots';
      await expect(decodeImage(bmp, 'small.bmp')).rejects.toThrow(/MASR_MAX_IMAGE_PIXELS must be a positive whole/);
    } finally {
      delete process.env.MASR_MAX_IMAGE_PIXELS;
    }
    expect((await decodeImage(bmp, 'small.bmp')).width).toBe(40);
  });

  it('a symlink loop is reported as ELOOP, not "not found"', async () => {
    const loop = join(tmp.dir, 'loop.png');
    symlinkSync(loop, loop);
    await expect(readImage(loop)).rejects.toThrow(/loop\.png: symlink loop \(ELOOP/);
    const dirLoop = join(tmp.dir, 'loopdir');
    symlinkSync(dirLoop, dirLoop);
    await expect(listImages(dirLoop)).rejects.toThrow(/loopdir: cannot read folder: symlink loop \(ELOOP/);
    const r = await enhance(loop, '--out', join(tmp.dir, 'loop-out'));
    expect(r.code).not.toBe(0);
    expect(r.last).toMatch(/loop\.png: symlink loop \(ELOOP/);
    expect(r.last).not.toMatch(/not found/);
  });

  it('a read-only file system or a denied write is said as such, not as ENOENT', () => {
    const err = (code: string, syscall: string) => Object.assign(new Error(`${code}: ${syscall}`), { code, syscall });
    expect(describeFsError(err('EROFS', 'mkdir'), '/x/y')).toBe('read-only file system (EROFS)');
    expect(describeFsError(err('EACCES', 'open'), '/x/y')).toBe('permission denied (EACCES)');
    expect(describeFsError(err('ELOOP', 'stat'), '/x/y')).toMatch(/^symlink loop/);
  });

  it('an output folder that cannot be created fails once, naming it and why', async () => {
    const img = join(tmp.dir, 'single.png');
    await writeImage(img, photo(16, 16, 2));
    writeFileSync(join(tmp.dir, 'a-file'), 'x');
    const out = join(tmp.dir, 'a-file', 'out');
    const r = await enhance(img, '--out', out);
    expect(r.code).not.toBe(0);
    expect(r.last).toMatch(/a-file\/out: cannot create the output folder: a part of the path is a file/);
  });

  it('enhance over a folder with one bad image enhances the rest, names the failure and exits non-zero', async () => {
    const dir = join(tmp.dir, 'mixed');
    mkdirSync(dir);
    await writeImage(join(dir, '1.png'), photo(16, 16, 3));
    writeFileSync(join(dir, '2.png'), new Uint8Array(0));
    await writeImage(join(dir, '3.png'), photo(24, 16, 4));
    const out = join(tmp.dir, 'mixed-out');
    const r = await enhance(dir, '--out', out);
    expect(r.code).not.toBe(0);
    expect(r.last).toMatch(/error: \S*mixed\/2\.png: file is empty \(1 of 3 images failed, the others were enhanced\)$/);
    expect((await readImage(join(out, '1.png'))).width).toBe(16);
    expect((await readImage(join(out, '3.png'))).width).toBe(24);
  });

  it('--tile 1 is refused, naming the minimum tile', async () => {
    const img = join(tmp.dir, 'tile.png');
    await writeImage(img, photo(16, 16, 5));
    const r = await enhance(img, '--out', join(tmp.dir, 'tile-out'), '--tile', '1');
    expect(r.code).toBe(2);
    expect(r.last).toMatch(/--tile must be a whole number of pixels, at least 16, got 1 \(0 = whole image\)/);
  });

  it('a tiled enhance reports progress per tile', async () => {
    const img = join(tmp.dir, 'tiles.png');
    await writeImage(img, photo(100, 70, 6));
    const r = await enhance(img, '--out', join(tmp.dir, 'tiles-out'), '--tile', '64');
    expect(r.code).toBe(0);
    const tiles = r.lines.filter((l) => /: tile \d+\/\d+$/.test(l)).map((l) => l.split(': tile ')[1]);
    expect(tiles).toEqual(['1/4', '2/4', '3/4', '4/4']);
  });
});
