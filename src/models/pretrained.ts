import type { MASRNetOverrides, MASRNetPreset } from './config';
import { nodeBuiltin } from '../node-builtins';
import { SHIPPED } from './pretrained-registry';

/** A set of trained weights shipped in the package's `weights/` folder. */
export interface PretrainedEntry {
  name: string;
  /** The architecture: a preset (plus overrides) the weights load into. */
  preset: MASRNetPreset;
  overrides?: MASRNetOverrides;
  /** File name in the package's `weights/` folder: a reference-keyed safetensors state_dict. */
  file: string;
  /** sha256 of the file, checked on every load. */
  sha256: string;
  bytes: number;
  description: string;
}

/** The shipped weights (written by scripts/ship-weights.ts). docs/model-card.md says how each was trained. */
export const PRETRAINED: Readonly<Record<string, PretrainedEntry>> = SHIPPED;

/** The names `MASRNet.pretrained()` accepts. */
export function pretrainedNames(): string[] {
  return Object.keys(PRETRAINED);
}

/** The entry of a name; unknown names list the available ones. */
export function pretrainedEntry(name: string): PretrainedEntry {
  const entry = PRETRAINED[name];
  if (!entry) {
    const known = pretrainedNames();
    throw new Error(
      `MASRNet.pretrained: no weights named '${name}'; available: ${known.length ? known.join(', ') : '(none shipped in this build)'}`,
    );
  }
  return entry;
}

/** Where to get the bytes of pretrained weights. */
export interface PretrainedSource {
  /** The file's bytes (e.g. from your own fetch or a cache). */
  bytes?: Uint8Array | ArrayBuffer;
  /** A URL to fetch them from (relative URLs resolve against the page). Default in browsers: next to the package. */
  url?: string | URL;
  /** Skip the sha256 check (only for weights you changed on purpose). Default false. */
  skipChecksum?: boolean;
}

/** sha256 of bytes as hex, with WebCrypto (browsers, Node >= 19) or node:crypto. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  let subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!subtle) subtle = (await nodeBuiltin<{ webcrypto: Crypto }>('crypto')).webcrypto.subtle;
  const digest = await subtle.digest('SHA-256', new Uint8Array(bytes));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

const isNode = () => typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

/** The bytes of an entry: given bytes, a URL, the package's file (Node), or the file next to the package (browsers). */
export async function pretrainedBytes(entry: PretrainedEntry, source: PretrainedSource = {}): Promise<Uint8Array> {
  let bytes: Uint8Array;
  let origin: string;
  if (source.bytes) {
    bytes = source.bytes instanceof Uint8Array ? source.bytes : new Uint8Array(source.bytes);
    origin = 'the given bytes';
  } else if (source.url !== undefined || !isNode()) {
    const url = source.url ?? new URL(`../weights/${entry.file}`, import.meta.url);
    const resolved = typeof location !== 'undefined' && typeof url === 'string' ? new URL(url, location.href) : url;
    origin = String(resolved);
    const res = await fetch(resolved);
    if (!res.ok) throw new Error(`MASRNet.pretrained('${entry.name}'): fetching ${origin} gave HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } else {
    ({ bytes, origin } = await readPackageFile(entry.file));
  }
  if (!source.skipChecksum) {
    const hash = await sha256Hex(bytes);
    if (hash !== entry.sha256)
      throw new Error(
        `MASRNet.pretrained('${entry.name}'): ${origin} has sha256 ${hash}, expected ${entry.sha256} (corrupt or different file)`,
      );
  }
  return bytes;
}

/** Node: read `weights/<file>` from the package (dist/ and src/models/ both sit below its root). */
async function readPackageFile(file: string): Promise<{ bytes: Uint8Array; origin: string }> {
  const fs = await nodeBuiltin<typeof import('node:fs/promises')>('fs/promises');
  const url = await nodeBuiltin<typeof import('node:url')>('url');
  const tried: string[] = [];
  for (const up of ['../weights/', '../../weights/']) {
    const path = url.fileURLToPath(new URL(`${up}${file}`, import.meta.url));
    tried.push(path);
    try {
      return { bytes: new Uint8Array(await fs.readFile(path)), origin: path };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  throw new Error(`MASRNet.pretrained: the weights file is missing from the package (looked at ${tried.join(', ')})`);
}
