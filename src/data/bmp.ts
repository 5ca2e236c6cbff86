/**
 * A small BMP codec: libvips (and so sharp) cannot read BMP, and benchmark sets such as LIME ship as BMP.
 * Reads uncompressed 1/4/8-bit palette, 16-bit (5-5-5 or bit fields), 24-bit and 32-bit files, bottom-up or
 * top-down. RLE-compressed and JPEG/PNG-in-BMP files are rejected with a clear message.
 */

export interface BmpPixels {
  width: number;
  height: number;
  /** Interleaved 8-bit RGB, row-major, top row first. */
  rgb: Uint8Array;
}

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

/** True when the bytes start with the BMP signature `BM`. */
export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

/** Decode a BMP file to 8-bit RGB (alpha, if any, is dropped). Throws a one-line message on anything it cannot read. */
export function decodeBmp(bytes: Uint8Array): BmpPixels {
  if (!isBmp(bytes)) throw new Error('not a BMP file (no BM signature)');
  if (bytes.length < 26) throw new Error('BMP file is truncated (header incomplete)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  let width: number;
  let rawHeight: number;
  let bpp: number;
  let compression = BI_RGB;
  let paletteCount = 0;
  if (headerSize === 12) {
    width = view.getUint16(18, true);
    rawHeight = view.getInt16(20, true);
    bpp = view.getUint16(24, true);
  } else if (headerSize >= 40) {
    if (bytes.length < 14 + 40) throw new Error('BMP file is truncated (info header incomplete)');
    width = view.getInt32(18, true);
    rawHeight = view.getInt32(22, true);
    bpp = view.getUint16(28, true);
    compression = view.getUint32(30, true);
    paletteCount = view.getUint32(46, true);
  } else {
    throw new Error(`unsupported BMP header size ${headerSize}`);
  }
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0) throw new Error(`BMP has invalid size ${width}x${height}`);
  if (width * height > 1 << 28) throw new Error(`BMP size ${width}x${height} is implausibly large`);
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    throw new Error(`compressed BMP (compression type ${compression}) is not supported; convert it to PNG`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw new Error(`unsupported BMP bit depth ${bpp}`);

  // Masks for 16/32-bit pixels: explicit bit fields, or the defaults (5-5-5 and 8-8-8).
  let masks: [number, number, number] | null = null;
  if (bpp === 16 || bpp === 32) {
    if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
      const at = headerSize >= 52 ? 14 + 40 : 14 + headerSize;
      if (bytes.length < at + 12) throw new Error('BMP file is truncated (bit-field masks missing)');
      masks = [view.getUint32(at, true), view.getUint32(at + 4, true), view.getUint32(at + 8, true)];
    } else {
      masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f] : [0xff0000, 0x00ff00, 0x0000ff];
    }
  }

  let palette: Uint8Array | null = null;
  if (bpp <= 8) {
    const entry = headerSize === 12 ? 3 : 4;
    const start = 14 + headerSize;
    // No explicit count means "all 2^bpp entries", but some writers store fewer: trust the pixel offset then.
    const count = paletteCount || Math.min(1 << bpp, Math.floor((dataOffset - start) / entry));
    if (start + count * entry > bytes.length) throw new Error('BMP file is truncated (palette incomplete)');
    palette = new Uint8Array(256 * 3);
    for (let i = 0; i < count && i < 256; i++) {
      palette[i * 3] = bytes[start + i * entry + 2]!;
      palette[i * 3 + 1] = bytes[start + i * entry + 1]!;
      palette[i * 3 + 2] = bytes[start + i * entry]!;
    }
  }

  const rowBytes = Math.floor((bpp * width + 31) / 32) * 4;
  if (dataOffset + rowBytes * height > bytes.length) {
    throw new Error(`BMP file is truncated (expected ${rowBytes * height} bytes of pixels at offset ${dataOffset})`);
  }
  const rgb = new Uint8Array(width * height * 3);
  const scales = masks?.map(maskScale) ?? null;
  for (let y = 0; y < height; y++) {
    const srcRow = dataOffset + (topDown ? y : height - 1 - y) * rowBytes;
    let o = y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      if (bpp === 24) {
        const p = srcRow + x * 3;
        rgb[o] = bytes[p + 2]!;
        rgb[o + 1] = bytes[p + 1]!;
        rgb[o + 2] = bytes[p]!;
      } else if (bpp === 32 || bpp === 16) {
        const v = bpp === 32 ? view.getUint32(srcRow + x * 4, true) : view.getUint16(srcRow + x * 2, true);
        for (let c = 0; c < 3; c++) rgb[o + c] = scales![c]!(v);
      } else {
        const bitPos = x * bpp;
        const byte = bytes[srcRow + (bitPos >> 3)]!;
        const idx = (byte >> (8 - bpp - (bitPos & 7))) & ((1 << bpp) - 1);
        rgb[o] = palette![idx * 3]!;
        rgb[o + 1] = palette![idx * 3 + 1]!;
        rgb[o + 2] = palette![idx * 3 + 2]!;
      }
    }
  }
  return { width, height, rgb };
}

/** A function that extracts one masked channel and scales it to 0..255. */
function maskScale(mask: number): (v: number) => number {
  if (mask === 0) return () => 0;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const max = mask >>> shift;
  return (v) => Math.round((((v & mask) >>> shift) * 255) / max);
}

/** Encode 8-bit RGB as an uncompressed 24-bit bottom-up BMP (what most tools write). */
export function encodeBmp(pixels: BmpPixels): Uint8Array {
  const { width, height, rgb } = pixels;
  if (rgb.length !== width * height * 3)
    throw new Error(`encodeBmp: expected ${width * height * 3} bytes, got ${rgb.length}`);
  const rowBytes = Math.floor((24 * width + 31) / 32) * 4;
  const size = 54 + rowBytes * height;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  view.setUint32(2, size, true);
  view.setUint32(10, 54, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, 24, true);
  view.setUint32(34, rowBytes * height, true);
  view.setInt32(38, 2835, true);
  view.setInt32(42, 2835, true);
  for (let y = 0; y < height; y++) {
    const dst = 54 + (height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      out[dst + x * 3] = rgb[s + 2]!;
      out[dst + x * 3 + 1] = rgb[s + 1]!;
      out[dst + x * 3 + 2] = rgb[s]!;
    }
  }
  return out;
}
