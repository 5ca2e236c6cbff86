import type * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../data/errors';
import { isNode, nodeBuiltin } from '../node-builtins';

type Fs = typeof import('node:fs/promises');
type Path = typeof import('node:path');

/** Node's fs and path, loaded only here, so browser bundles of the main entry never see them. */
async function nodeModules(): Promise<{ fs: Fs; path: Path }> {
  if (!isNode)
    throw new Error(
      "'file://' model URLs only work in Node; in the browser use tf.io handlers (indexeddb://, downloads://, http(s)://)",
    );
  const [fs, path] = await Promise.all([nodeBuiltin<Fs>('fs/promises'), nodeBuiltin<Path>('path')]);
  return { fs, path };
}

function directoryOf(url: string): string {
  if (!url.startsWith('file://'))
    throw new Error(`fileSystemHandler: expected a 'file://<directory>' URL, got '${url}'`);
  const dir = decodeURIComponent(url.slice('file://'.length));
  if (!dir) throw new Error(`fileSystemHandler: '${url}' names no directory`);
  return dir.endsWith('/model.json') ? dir.slice(0, -'/model.json'.length) : dir;
}

function joinBuffers(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return out;
}

/**
 * A tfjs IOHandler for a directory in Node, without tfjs-node: `model.json` (topology + weights manifest) and
 * `weights.bin`, the layout tfjs-node's `file://` handler uses. Files are written to temporary names and renamed, so
 * an interrupted save never leaves a half-written model.
 */
export function fileSystemHandler(url: string): tf.io.IOHandler {
  return directoryHandler(directoryOf(url));
}

/**
 * {@link fileSystemHandler} for a directory path as it is: no URL decoding, so names with `%` (`runs/t%41`,
 * `train 100%`) stay what they are.
 */
export function directoryHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const { fs, path } = await nodeModules();
      await fs.mkdir(dir, { recursive: true });
      const weights = joinBuffers(artifacts.weightData);
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      const modelPath = path.join(dir, 'model.json');
      const binPath = path.join(dir, 'weights.bin');
      const tag = `.tmp-${process.pid}-${Date.now()}`;
      await fs.writeFile(binPath + tag, weights);
      await fs.writeFile(modelPath + tag, JSON.stringify(json));
      await fs.rename(binPath + tag, binPath);
      await fs.rename(modelPath + tag, modelPath);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology ?? null).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const { fs, path } = await nodeModules();
      const modelPath = path.join(dir, 'model.json');
      let json: {
        modelTopology?: object;
        format?: string;
        generatedBy?: string;
        convertedBy?: string | null;
        userDefinedMetadata?: Record<string, unknown>;
        weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
      };
      try {
        json = JSON.parse(await fs.readFile(modelPath, 'utf8'));
      } catch (e) {
        throw new Error(`cannot read ${modelPath}: ${(e as Error).message}`);
      }
      if (!Array.isArray(json.weightsManifest)) throw new Error(`${modelPath} has no weightsManifest`);
      const specs: tf.io.WeightsManifestEntry[] = [];
      const chunks: Uint8Array[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        const files = group.paths.map((p) => path.join(dir, p));
        let found = 0;
        for (const f of files) {
          const bytes = new Uint8Array(await fs.readFile(f));
          chunks.push(bytes);
          found += bytes.byteLength;
        }
        // A short weights file (an interrupted copy) is the weights file's fault, not model.json's.
        const expected = weightBytes(group.weights);
        if (expected !== null && found !== expected)
          throw new InputError(
            files.join(', '),
            `expected ${expected} bytes (the weights model.json lists), found ${found}${found < expected ? ' (truncated?)' : ''}`,
          );
      }
      const data = joinBuffers(
        chunks.map((c) => c.buffer.slice(c.byteOffset, c.byteOffset + c.byteLength) as ArrayBuffer),
      );
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
        userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
        weightSpecs: specs,
        weightData: data.buffer as ArrayBuffer,
      };
    },
  };
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** The bytes a weights manifest group needs, or null when it holds strings (their length is in the data). */
export function weightBytes(specs: tf.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const s of specs) {
    const width = DTYPE_BYTES[s.quantization?.dtype ?? s.dtype];
    if (width === undefined) return null;
    total += s.shape.reduce((a, b) => a * b, 1) * width;
  }
  return total;
}
