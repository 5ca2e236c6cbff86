import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  InputError,
  decodeBmp,
  decodeImage,
  encodeBmp,
  encodeImage,
  readImage,
  writeFileAtomic,
  writeImage,
} from '../../src/data/index';
import { SHARED } from '../helpers/fixtures';
import { patternImage, tempDir } from './helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('image decode/encode', () => {
  it('round-trips 8-bit PNG exactly', async () => {
    const img = patternImage(9, 5, 3);
    const back = await decodeImage(await encodeImage(img));
    expect([back.width, back.height, back.bitDepth, back.format]).toEqual([9, 5, 8, 'png']);
    expect(Array.from(back.data)).toEqual(Array.from(img.data));
  });

  it('keeps 16-bit PNG precision', async () => {
    const img = { width: 3, height: 2, data: Float32Array.from({ length: 18 }, (_, i) => (i * 3001) / 65535) };
    const bytes = await encodeImage(img, { bitDepth: 16 });
    expect((await sharp(bytes).metadata()).depth).toBe('ushort');
    const back = await decodeImage(bytes);
    expect(back.bitDepth).toBe(16);
    // 3001/65535 steps are far finer than 8 bits: any 8-bit path would break this.
    for (let i = 0; i < 18; i++) expect(back.data[i]).toBeCloseTo((i * 3001) / 65535, 7);
  });

  it('drops alpha and expands greyscale', async () => {
    const rgba = await sharp(Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]), {
      raw: { width: 2, height: 1, channels: 4 },
    })
      .png()
      .toBuffer();
    const a = await decodeImage(rgba);
    expect(Array.from(a.data).map((v) => Math.round(v * 255))).toEqual([10, 20, 30, 40, 50, 60]);
    const grey = await sharp(Buffer.from([0, 128, 255]), { raw: { width: 3, height: 1, channels: 1 } })
      .png()
      .toBuffer();
    const g = await decodeImage(grey);
    expect(Array.from(g.data).map((v) => Math.round(v * 255))).toEqual([0, 0, 0, 128, 128, 128, 255, 255, 255]);
    const grey16 = await sharp(new Uint16Array([0, 30000, 65535]), { raw: { width: 3, height: 1, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    const g16 = await decodeImage(grey16);
    expect(g16.bitDepth).toBe(16);
    expect(g16.data[3]).toBeCloseTo(30000 / 65535, 7);
    expect(g16.data[5]).toBeCloseTo(30000 / 65535, 7);
  });

  it('reads JPEG and TIFF', async () => {
    const img = patternImage(16, 8);
    const jpg = await decodeImage(await encodeImage(img, { format: 'jpeg', quality: 100 }));
    expect(jpg.format).toBe('jpeg');
    const maxErr = jpg.data.reduce((m, v, i) => Math.max(m, Math.abs(v - img.data[i]!)), 0);
    expect(maxErr).toBeLessThan(0.05);
    const tif = await decodeImage(await encodeImage(img, { format: 'tiff' }));
    expect(tif.format).toBe('tiff');
    expect(Array.from(tif.data)).toEqual(Array.from(img.data));
  });

  it('decodes BMP: 24-bit with row padding, bottom-up and top-down', async () => {
    const img = patternImage(3, 2, 5); // width 3: 9 bytes per row, padded to 12
    const bmp = await encodeImage(img, { format: 'bmp' });
    const back = await decodeImage(bmp);
    expect(back.format).toBe('bmp');
    expect(Array.from(back.data)).toEqual(Array.from(img.data));
    // Top-down: negative height, rows stored first-to-last.
    const td = new Uint8Array(bmp);
    const view = new DataView(td.buffer);
    view.setInt32(22, -2, true);
    const rowBytes = 12;
    const rows = [td.slice(54, 54 + rowBytes), td.slice(54 + rowBytes, 54 + 2 * rowBytes)];
    td.set(rows[1]!, 54);
    td.set(rows[0]!, 54 + rowBytes);
    expect(Array.from(decodeBmp(td).rgb)).toEqual(Array.from(decodeBmp(bmp).rgb));
  });

  it('decodes palette, 16-bit and 32-bit BMPs (hand-built headers)', () => {
    const header = (w: number, h: number, bpp: number, compression: number, extra: number[], pixels: number[]) => {
      const size = 54 + extra.length + pixels.length;
      const b = new Uint8Array(size);
      const v = new DataView(b.buffer);
      b[0] = 0x42;
      b[1] = 0x4d;
      v.setUint32(2, size, true);
      v.setUint32(10, 54 + extra.length, true);
      v.setUint32(14, 40, true);
      v.setInt32(18, w, true);
      v.setInt32(22, h, true);
      v.setUint16(26, 1, true);
      v.setUint16(28, bpp, true);
      v.setUint32(30, compression, true);
      b.set(extra, 54);
      b.set(pixels, 54 + extra.length);
      return b;
    };
    // 1-bit, 2x1, palette black/white (BGRA entries); pixels "10" in the top bits.
    const oneBit = header(2, 1, 1, 0, [0, 0, 0, 0, 255, 255, 255, 0], [0b10000000, 0, 0, 0]);
    expect(Array.from(decodeBmp(oneBit).rgb)).toEqual([255, 255, 255, 0, 0, 0]);
    // 8-bit palette, 1x2 bottom-up: first stored row is the bottom one.
    const pal = [0, 0, 255, 0, 0, 255, 0, 0]; // index 0 = red, 1 = green
    const eight = header(1, 2, 8, 0, pal, [1, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(decodeBmp(eight).rgb)).toEqual([255, 0, 0, 0, 255, 0]);
    // 16-bit 5-5-5: pure red (0x7c00) and pure blue (0x001f).
    const sixteen = header(2, 1, 16, 0, [], [0x00, 0x7c, 0x1f, 0x00]);
    expect(Array.from(decodeBmp(sixteen).rgb)).toEqual([255, 0, 0, 0, 0, 255]);
    // 32-bit BI_BITFIELDS with masks R=0x000000ff, G=0x0000ff00, B=0x00ff0000 (RGBA order in memory).
    const masks = [0xff, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0xff, 0];
    const thirtyTwo = header(1, 1, 32, 3, masks, [10, 20, 30, 99]);
    expect(Array.from(decodeBmp(thirtyTwo).rgb)).toEqual([10, 20, 30]);
    // RLE is refused with a clear message.
    expect(() => decodeBmp(header(1, 1, 8, 1, pal, [0, 0, 0, 0]))).toThrow(/compressed BMP/);
  });

  it.skipIf(!existsSync(join(SHARED, 'data/lowlight/LIME/1.bmp')))('reads a real LIME BMP', async () => {
    const img = await readImage(join(SHARED, 'data/lowlight/LIME/1.bmp'));
    expect([img.width, img.height]).toEqual([720, 680]);
    const mean = img.data.reduce((a, v) => a + v, 0) / img.data.length;
    expect(mean).toBeGreaterThan(0.02); // a dark photo, not black and not garbage
    expect(mean).toBeLessThan(0.35);
  });
});

describe('image errors name the file', () => {
  it('missing, empty, folder, corrupt, truncated BMP', async () => {
    const missing = join(tmp.dir, 'nope.png');
    await expect(readImage(missing)).rejects.toThrow(`${missing}: file not found`);
    const empty = join(tmp.dir, 'empty.png');
    writeFileSync(empty, '');
    await expect(readImage(empty)).rejects.toThrow(`${empty}: file is empty`);
    await expect(readImage(tmp.dir)).rejects.toThrow(/is a folder/);
    const good = await encodeImage(patternImage(32, 32));
    const corrupt = join(tmp.dir, 'corrupt.png');
    writeFileSync(corrupt, good.subarray(0, good.length / 2));
    const err = await readImage(corrupt).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(new RegExp(`^${corrupt}: cannot decode image`));
    expect(err.message).not.toContain('\n');
    const bmp = encodeBmp({ width: 4, height: 4, rgb: new Uint8Array(48) });
    await expect(decodeImage(bmp.subarray(0, 60), 'cut.bmp')).rejects.toThrow(
      /^cut.bmp: cannot decode image \(BMP file is truncated/,
    );
  });
});

describe('atomic writes', () => {
  it('writes via a temporary file and leaves nothing behind', async () => {
    const dir = join(tmp.dir, 'atomic');
    await writeImage(join(dir, 'a.png'), patternImage(4, 4));
    await writeFileAtomic(join(dir, 'b.txt'), 'hello');
    expect(readdirSync(dir).sort()).toEqual(['a.png', 'b.txt']);
    // A failing encode (unknown extension) creates no file at all.
    await expect(writeImage(join(dir, 'c.xyz'), patternImage(4, 4))).rejects.toThrow(/cannot tell the image format/);
    // A failing write (target is a folder) removes its temporary file.
    await expect(writeFileAtomic(dir, 'x')).rejects.toThrow();
    expect(readdirSync(dir).sort()).toEqual(['a.png', 'b.txt']);
  });
});
