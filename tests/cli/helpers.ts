import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeImage, type RgbImage } from '../../src/data/index';
import { memoryReporter } from '../../src/reporter';
import { runCli } from '../../src/cli/run';

/**
 * A tiny MASR-Net (a few thousand parameters) so CLI tests train in seconds. Every dropout is 0 and the second MoA
 * expert is never sampled, so training is deterministic and resume can be checked bit for bit.
 */
export const TINY_MODEL = {
  embedDim: 16,
  stemChannels: 8,
  eispGenerator: { hiddenDim: 16, dropout: 0 },
  qkGenerator: { dropout: 0 },
  kvGenerator: { dropout: 0 },
  attention: [0, 1, 2, 3].map(() => ({ numExperts: 3, k: 2, headDim: 8, dropout: 0 })),
  moe: [
    { numExperts: 3, k: 3, hiddenSizes: [16] },
    { numExperts: 2, k: 1, hiddenSizes: [16] },
    { numExperts: 2, k: 1, hiddenSizes: [16] },
  ],
  decoders: {
    gamma: { hiddenSizes: [8], dropout: 0 },
    color: { hiddenSizes: [16], dropout: 0 },
    saturation: { hiddenSizes: [8], dropout: 0 },
  },
  mapGenerator: { ffnDropout: 0 },
  sampleSecondExpert: 'never',
};

/**
 * The tiny model with the reference's training randomness on: every dropout at its default and the second MoA expert
 * sampled in training. Runs must still repeat from --seed and resume exactly.
 */
export const TINY_MODEL_STOCHASTIC = {
  ...TINY_MODEL,
  eispGenerator: { hiddenDim: 16, dropout: 0.05 },
  qkGenerator: { dropout: 0.05 },
  kvGenerator: { dropout: 0.05 },
  attention: [0, 1, 2, 3].map(() => ({ numExperts: 3, k: 2, headDim: 8, dropout: 0.05 })),
  decoders: {
    gamma: { hiddenSizes: [8], dropout: 0.05 },
    color: { hiddenSizes: [16], dropout: 0.05 },
    saturation: { hiddenSizes: [8], dropout: 0.05 },
  },
  mapGenerator: { ffnDropout: 0.1 },
  sampleSecondExpert: 'train',
};

/** Write a tiny model config as a `--config` file. */
export function writeTinyConfig(dir: string, model: object = TINY_MODEL, name = 'tiny.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ model }, null, 2));
  return path;
}

/** A smooth, colourful test photo (so synthetic darkening and enhancement have something to work on). */
export function photo(width: number, height: number, salt: number): RgbImage {
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = 0.5 + 0.4 * Math.sin((x + salt) / 5);
      data[o + 1] = 0.5 + 0.4 * Math.cos((y + 2 * salt) / 7);
      data[o + 2] = 0.5 + 0.3 * Math.sin((x + y + salt) / 9);
    }
  }
  return { width, height, data };
}

/** Darken a photo simply (for paired-data tests; the loaders do not care how the pair was made). */
export function darken(img: RgbImage): RgbImage {
  return { ...img, data: img.data.map((v) => Math.round(255 * v * v * 0.3) / 255) };
}

/** `n` photos of `size` in `dir`. */
export async function writePhotos(dir: string, n: number, width = 32, height = 32): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) await writeImage(join(dir, `p${i}.png`), photo(width, height, i * 13));
}

/** A low/high pair folder layout under `root/<lowName>` and `root/<highName>`. */
export async function writePairs(
  root: string,
  names: string[],
  lowName = 'low',
  highName = 'high',
  width = 32,
  height = 32,
): Promise<void> {
  mkdirSync(join(root, lowName), { recursive: true });
  mkdirSync(join(root, highName), { recursive: true });
  for (const [i, n] of names.entries()) {
    const img = photo(width, height, i * 7 + 3);
    await writeImage(join(root, lowName, n), darken(img));
    await writeImage(join(root, highName, n), img);
  }
}

/** A reporter collecting every line, including all progress lines. */
export function collectingReporter() {
  const r = memoryReporter();
  return { ...r, progress: (l: string) => r.lines.push(l) };
}

/** Runs the CLI on the wasm backend, collecting its output: exit code, every line and the last one. */
export async function runCliWasm(args: string[]): Promise<{ code: number; lines: string[]; last: string }> {
  const reporter = collectingReporter();
  const code = await runCli([...args, '--backend', 'wasm'], { reporter });
  return { code, lines: reporter.lines, last: reporter.lines.at(-1) ?? '' };
}
