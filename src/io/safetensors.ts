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

/**
 * Parse a safetensors file. Nothing in the file is trusted: the header must be a JSON object (UTF-8, no duplicate
 * keys) whose entries each have a known dtype, a shape of non-negative integers and `data_offsets` that lie inside the
 * data, match shape x dtype size and overlap no other tensor. Any violation throws one line naming the file (`name`,
 * when given) and the key; nothing is returned half-read.
 */
export function readSafetensors(data: Uint8Array | ArrayBuffer, name?: string): SafetensorsFile {
  const fail = (problem: string) => new Error(`safetensors${name ? ` ${name}` : ''}: ${problem}`);
  const buf = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (buf.byteLength < 8) throw fail(`file is ${buf.byteLength} bytes, shorter than its 8-byte header length`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(buf.byteLength - 8))
    throw fail(`header length ${headerLen} exceeds the ${buf.byteLength - 8} bytes after the length field`);
  const base = 8 + Number(headerLen);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, base));
  } catch {
    throw fail('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw fail(`header must be a JSON object {name: {dtype, shape, data_offsets}}, got ${describe(header)}`);
  // JSON.parse keeps the last of repeated keys: a second tensor under the same name would be dropped unseen.
  const seen = new Set<string>();
  for (const key of topLevelKeys(text)) {
    if (seen.has(key)) throw fail(`header key '${key}' appears more than once`);
    seen.add(key);
  }
  const dataLen = buf.byteLength - base;
  const tensors = new Map<string, SafetensorsEntry>();
  const spans: { key: string; begin: number; end: number }[] = [];
  let metadata: Record<string, string> = {};
  for (const [key, raw] of Object.entries(header)) {
    if (key === '__metadata__') {
      metadata = checkMetadata(raw, fail);
      continue;
    }
    const bad = (problem: string) => fail(`tensor '${key}' ${problem}`);
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw bad(`must be an object {dtype, shape, data_offsets}, got ${describe(raw)}`);
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = info.dtype as SafetensorsDtype;
    if (typeof dtype !== 'string' || !Object.hasOwn(BYTES, dtype))
      throw bad(`has unsupported dtype ${describe(info.dtype)} (expected one of ${Object.keys(BYTES).join(', ')})`);
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every(isCount))
      throw bad(`${field('shape', shape)}; expected an array of non-negative integers`);
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1])
      throw bad(`${field('data_offsets', offsets)}; expected [begin, end] integers with 0 <= begin <= end`);
    const [begin, end] = offsets as [number, number];
    if (end > dataLen) throw bad(`has data_offsets [${begin}, ${end}] past the end of the data (${dataLen} bytes)`);
    const size = (shape as number[]).reduce((a, b) => a * b, 1) * BYTES[dtype];
    if (end - begin !== size)
      throw bad(
        `[${String(shape)}] ${dtype} needs ${size} bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}`,
      );
    if (end > begin) spans.push({ key, begin, end });
    tensors.set(key, { dtype, shape: shape as number[], bytes: buf.subarray(base + begin, base + end) });
  }
  // Two tensors sharing bytes load silently but are not what was saved.
  spans.sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < spans.length; i++) {
    const [a, b] = [spans[i - 1]!, spans[i]!];
    if (b.begin < a.end)
      throw fail(`tensors '${a.key}' [${a.begin}, ${a.end}] and '${b.key}' [${b.begin}, ${b.end}] overlap in the data`);
  }
  return { tensors, metadata };
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

const field = (name: string, v: unknown) => (v === undefined ? `has no ${name}` : `has ${name} ${describe(v)}`);

/** A short, one-line description of a JSON value for error messages. */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return v.length <= 8 ? `an array ${JSON.stringify(v).slice(0, 60)}` : 'an array';
  if (v === null || typeof v !== 'object') return JSON.stringify(v).slice(0, 60);
  return 'an object';
}

function checkMetadata(raw: unknown, fail: (problem: string) => Error): Record<string, string> {
  const ok =
    raw !== null &&
    typeof raw === 'object' &&
    !Array.isArray(raw) &&
    Object.values(raw as object).every((v) => typeof v === 'string');
  if (!ok) throw fail(`__metadata__ must be an object of strings, got ${describe(raw)}`);
  return raw as Record<string, string>;
}

/** The keys of the top-level object of a valid JSON text, in order, repeats included. */
function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(json.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = depth === 1 && c === '{';
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',') {
      expectKey = depth === 1;
    }
  }
  return keys;
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
