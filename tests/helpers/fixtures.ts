import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { entryToFloat32, readSafetensors, type SafetensorsFile } from '../../src/io/safetensors';

const here = dirname(fileURLToPath(import.meta.url));
/** The shared folder beside the checkout (present on developer machines and CI). */
export const SHARED = join(here, '..', '..', '..', 'shared');
export const FIXTURES = join(SHARED, 'fixtures');
export const hasFixtures = existsSync(join(FIXTURES, 'masr_v1_seed0_weights.safetensors'));

const cache = new Map<string, SafetensorsFile>();
export function loadFixture(name: 'weights' | 'activations'): SafetensorsFile {
  const path = join(FIXTURES, `masr_v1_seed0_${name}.safetensors`);
  let f = cache.get(path);
  if (!f) {
    f = readSafetensors(readFileSync(path));
    cache.set(path, f);
  }
  return f;
}

/** A fixture tensor as float32 (integers converted). */
export function fixtureTensor(file: SafetensorsFile, key: string): tf.Tensor {
  const e = file.tensors.get(key);
  if (!e) throw new Error(`fixture has no tensor '${key}'`);
  return tf.tensor(entryToFloat32(e), e.shape, 'float32');
}
