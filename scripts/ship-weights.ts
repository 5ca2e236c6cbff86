/**
 * Ship a trained checkpoint as package weights: load it, export the reference-keyed state_dict, store it as safetensors
 * (float32; --float16 halves the file but moved lowlight-v1's outputs by up to 11/255, see docs/model-card.md) in weights/<name>.safetensors, and record its sha256 in src/models/pretrained-registry.ts.
 *
 *   npx tsx scripts/ship-weights.ts <checkpoint-dir> <name> "<description>" [--float16]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../src/backend';
import { loadModel } from '../src/infer/model-source';
import { safetensorsToFloat16 } from '../src/io/float16';
import { SHIPPED } from '../src/models/pretrained-registry';
import { presetConfig, type MASRNetOverrides, type MASRNetPreset } from '../src/models/config';
import type { PretrainedEntry } from '../src/models/pretrained';

const [checkpoint, name, description, flag] = process.argv.slice(2);
if (!checkpoint || !name || !description) {
  console.error('usage: npx tsx scripts/ship-weights.ts <checkpoint-dir> <name> "<description>" [--float16]');
  process.exit(2);
}
await selectBackend('cpu');
const { model, source } = await loadModel(checkpoint);
const f32 = model.toSafetensors();
const bytes = flag === '--float16' ? safetensorsToFloat16(f32) : f32;
const file = `${name}.safetensors`;
mkdirSync('weights', { recursive: true });
writeFileSync(join('weights', file), bytes);
const preset = (model.config.preset ?? 'lolv1') as MASRNetPreset;
// The fields where the checkpoint's config differs from its preset's are recorded as overrides (e.g. a denoiser of
// another size), so MASRNet.pretrained builds the same architecture.
const defaults = presetConfig(preset) as unknown as Record<string, unknown>;
const overrides = Object.fromEntries(
  Object.entries(model.config).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(defaults[k] ?? null)),
) as MASRNetOverrides;
const entry: PretrainedEntry = {
  name,
  preset,
  ...(Object.keys(overrides).length ? { overrides } : {}),
  file,
  sha256: createHash('sha256').update(bytes).digest('hex'),
  bytes: bytes.byteLength,
  description,
};
const all = { ...SHIPPED, [name]: entry };
const registry = 'src/models/pretrained-registry.ts';
const head = readFileSync(registry, 'utf8').split('export const SHIPPED')[0];
writeFileSync(
  registry,
  `${head}export const SHIPPED: Record<string, PretrainedEntry> = ${JSON.stringify(all, null, 2)};\n`,
);
console.log(
  `${source} -> weights/${file} (${(bytes.byteLength / 1e6).toFixed(1)} MB, sha256 ${entry.sha256}); ${registry} updated`,
);
model.dispose();
