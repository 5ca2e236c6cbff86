/**
 * A small dependency-free safetensors reader/writer (https://huggingface.co/docs/safetensors): an 8-byte little-endian
 * header length, a JSON header `{name: {dtype, shape, data_offsets: [begin, end]}}` (offsets relative to the end of
 * the header, optional `__metadata__` of strings), then raw little-endian data.
 */

export type SafetensorsDtype = 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** The raw bytes of the tensor (a view into the file's buffer when read). */
  bytes: Uint8Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

const BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  I64: 8,
  F32: 4,
  I32: 4,
  F16: 2,
  BF16: 2,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Parse a safetensors file. Throws on a truncated file, bad offsets or unknown dtypes, naming the tensor. */
export function readSafetensors(data: Uint8Array | ArrayBuffer): SafetensorsFile {
  const buf = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (buf.byteLength < 8) throw new Error('safetensors: file is shorter than its 8-byte header length');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (8 + headerLen > buf.byteLength) throw new Error(`safetensors: header length ${headerLen} exceeds the file size`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + headerLen))) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`safetensors: header is not valid JSON (${(e as Error).message})`);
  }
  const base = 8 + headerLen;
  const tensors = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = raw as Record<string, string>;
      continue;
    }
    const info = raw as { dtype: SafetensorsDtype; shape: number[]; data_offsets: [number, number] };
    const width = BYTES[info.dtype];
    if (width === undefined) throw new Error(`safetensors: tensor '${name}' has unsupported dtype ${info.dtype}`);
    const [begin, end] = info.data_offsets;
    const count = info.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * width || base + end > buf.byteLength || begin < 0) {
      throw new Error(
        `safetensors: tensor '${name}' [${info.shape}] ${info.dtype} has bad data offsets [${begin}, ${end}]`,
      );
    }
    tensors.set(name, { dtype: info.dtype, shape: info.shape, bytes: buf.subarray(base + begin, base + end) });
  }
  return { tensors, metadata };
}

/** Serialise tensors (in insertion order) into a safetensors file. Data is 8-byte aligned as the format recommends. */
export function writeSafetensors(
  tensors: Map<string, SafetensorsEntry> | Array<[string, SafetensorsEntry]>,
  metadata?: Record<string, string>,
): Uint8Array {
  const entries = Array.isArray(tensors) ? tensors : [...tensors.entries()];
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (t.bytes.byteLength !== count * BYTES[t.dtype]) {
      throw new Error(
        `safetensors: tensor '${name}' has ${t.bytes.byteLength} bytes, expected ${count * BYTES[t.dtype]}`,
      );
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned.
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).byteLength) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.byteLength;
  for (const [, t] of entries) {
    out.set(t.bytes, pos);
    pos += t.bytes.byteLength;
  }
  return out;
}

/** Decode an entry's bytes to a Float32Array (F32, F64, F16, BF16 and integer types are converted). */
export function entryToFloat32(e: SafetensorsEntry): Float32Array {
  const n = e.bytes.byteLength / BYTES[e.dtype];
  const view = new DataView(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    switch (e.dtype) {
      case 'F32':
        out[i] = view.getFloat32(i * 4, true);
        break;
      case 'F64':
        out[i] = view.getFloat64(i * 8, true);
        break;
      case 'F16':
        out[i] = halfToFloat(view.getUint16(i * 2, true));
        break;
      case 'BF16':
        out[i] = new Float32Array(new Uint32Array([view.getUint16(i * 2, true) << 16]).buffer)[0]!;
        break;
      case 'I64':
        out[i] = Number(view.getBigInt64(i * 8, true));
        break;
      case 'I32':
        out[i] = view.getInt32(i * 4, true);
        break;
      case 'I16':
        out[i] = view.getInt16(i * 2, true);
        break;
      case 'I8':
        out[i] = view.getInt8(i);
        break;
      case 'U8':
      case 'BOOL':
        out[i] = view.getUint8(i);
        break;
    }
  }
  return out;
}

/** Decode an integer entry to an Int32Array (I64 values must fit in 32 bits). */
export function entryToInt32(e: SafetensorsEntry): Int32Array {
  return Int32Array.from(entryToFloat32(e));
}

/** An F32 entry from float data. */
export function float32Entry(data: Float32Array, shape: number[]): SafetensorsEntry {
  const copy = new Float32Array(data);
  return { dtype: 'F32', shape, bytes: new Uint8Array(copy.buffer) };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
