import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors';

// Hostile safetensors files (issue 13, item 9): each is rejected with one line naming the file and the key.

const FILE = 'hostile.safetensors';

/** A file from a raw header text (or bytes) and `dataBytes` bytes of data. */
function raw(header: string | Uint8Array, dataBytes: number, headerLen?: bigint): Uint8Array {
  const h = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + h.byteLength + dataBytes);
  new DataView(out.buffer).setBigUint64(0, headerLen ?? BigInt(h.byteLength), true);
  out.set(h, 8);
  return out;
}

const f32 = (shape: unknown, offsets: unknown) => ({ dtype: 'F32', shape, data_offsets: offsets });
const json = (header: unknown, dataBytes: number) => raw(JSON.stringify(header), dataBytes);

/** Reading must throw a single line that starts with the file name and matches `pattern`. */
function rejects(bytes: Uint8Array, pattern: RegExp): void {
  let message = '';
  try {
    readSafetensors(bytes, FILE);
  } catch (e) {
    expect(e).not.toBeInstanceOf(TypeError);
    message = (e as Error).message;
  }
  expect(message).toMatch(new RegExp(`^safetensors ${FILE}: `));
  expect(message).toMatch(pattern);
  expect(message).not.toContain('\n');
}

describe('hostile safetensors files are rejected, naming the file and the key', () => {
  it('a well-formed file still reads (the cases below differ from it in one thing)', () => {
    const file = readSafetensors(json({ a: f32([2], [0, 8]), b: f32([1], [8, 12]) }, 12), FILE);
    expect([...file.tensors.keys()]).toEqual(['a', 'b']);
  });

  it('overlapping data offsets', () => {
    rejects(json({ a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, 12), /tensors 'a' \[0, 8\] and 'b' \[4, 12\] overlap/);
  });

  it('duplicate header keys', () => {
    const header = `{"a":${JSON.stringify(f32([2], [0, 8]))},"a":${JSON.stringify(f32([2], [8, 16]))}}`;
    rejects(raw(header, 16), /header key 'a' appears more than once/);
  });

  it('a null header', () => {
    rejects(raw('null', 0), /header must be a JSON object .*got null/);
  });

  it('a header that is an array', () => {
    rejects(raw('[1,2]', 0), /header must be a JSON object .*got an array/);
  });

  it('an entry without shape', () => {
    rejects(json({ w: { dtype: 'F32', data_offsets: [0, 4] } }, 4), /tensor 'w' has no shape; expected an array/);
  });

  it('an entry without data_offsets', () => {
    rejects(json({ w: { dtype: 'F32', shape: [1] } }, 4), /tensor 'w' has no data_offsets; expected \[begin, end\]/);
  });

  it('an entry that is not an object', () => {
    rejects(json({ w: 3 }, 0), /tensor 'w' must be an object/);
  });

  it('offsets outside the buffer', () => {
    rejects(
      json({ w: f32([4], [0, 16]) }, 8),
      /tensor 'w' has data_offsets \[0, 16\] past the end of the data \(8 bytes\)/,
    );
  });

  it('offsets that do not match shape x dtype size', () => {
    rejects(json({ w: f32([3], [0, 8]) }, 8), /tensor 'w' \[3\] F32 needs 12 bytes, but data_offsets \[0, 8\] hold 8/);
  });

  it('offsets with begin after end, or negative', () => {
    rejects(json({ w: f32([0], [8, 0]) }, 8), /tensor 'w' has data_offsets .*0 <= begin <= end/);
    rejects(json({ w: f32([1], [-4, 0]) }, 8), /tensor 'w' has data_offsets .*0 <= begin <= end/);
  });

  it('an unknown dtype', () => {
    rejects(json({ w: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, 1), /tensor 'w' has unsupported dtype "F8"/);
  });

  it('a header length larger than the file', () => {
    rejects(raw('{}', 0, 1000n), /header length 1000 exceeds the 2 bytes after the length field/);
  });

  it('a file shorter than the header length field', () => {
    rejects(new Uint8Array(5), /file is 5 bytes, shorter than its 8-byte header length/);
  });

  it('a header that is not UTF-8', () => {
    rejects(raw(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), 0), /header is not valid UTF-8/);
  });

  it('a header that is not valid JSON', () => {
    rejects(raw('{"w": {"dtype": ', 0), /header is not valid JSON/);
  });

  it('a negative shape dimension', () => {
    rejects(
      json({ w: f32([-1, 2], [0, 8]) }, 8),
      /tensor 'w' has shape .*\[-1,2\]; expected an array of non-negative integers/,
    );
  });

  it('a non-integer shape dimension', () => {
    rejects(
      json({ w: f32([1.5], [0, 8]) }, 8),
      /tensor 'w' has shape .*\[1.5\]; expected an array of non-negative integers/,
    );
  });

  it('__metadata__ that is not an object of strings', () => {
    rejects(json({ __metadata__: { step: 3 } }, 0), /__metadata__ must be an object of strings/);
  });

  it('keys that only look alike are not duplicates, and nested keys do not count', () => {
    const bytes = writeSafetensors([
      ['a', { dtype: 'F32', shape: [1], bytes: new Uint8Array(4) }],
      ['a\\"', { dtype: 'F32', shape: [1], bytes: new Uint8Array(4) }],
    ]);
    expect([...readSafetensors(bytes).tensors.keys()]).toEqual(['a', 'a\\"']);
  });
});
