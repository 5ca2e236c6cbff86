import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MASRNet, PRETRAINED, pretrainedNames } from '../../src/models/index';
import { sha256Hex } from '../../src/models/pretrained';
import { packagePath } from '../../src/package-files';
import { goldenOutput } from './golden';

const golden = JSON.parse(readFileSync('tests/fixtures/pretrained-golden.json', 'utf8')) as Record<
  string,
  { sha256: string; blockMeans: number[] }
>;

describe('MASRNet.pretrained', () => {
  it('ships lowlight-v1, recorded with its checksum and a golden output', () => {
    expect(pretrainedNames()).toContain('lowlight-v1');
    for (const name of pretrainedNames()) expect(golden[name]?.sha256, name).toBe(PRETRAINED[name]!.sha256);
  });

  for (const name of pretrainedNames()) {
    it(`'${name}': the bundled file matches its sha256, every weight is finite, the golden output holds`, async () => {
      const bytes = readFileSync(packagePath('weights', PRETRAINED[name]!.file));
      expect(bytes.byteLength).toBe(PRETRAINED[name]!.bytes);
      expect(await sha256Hex(bytes)).toBe(PRETRAINED[name]!.sha256);
      const before = tf.memory().numTensors;
      const model = await MASRNet.pretrained(name);
      for (const v of model.trainableVariables) {
        expect(tf.tidy(() => tf.all(tf.isFinite(v)).dataSync()[0]), v.name).toBe(1);
      }
      const out = await goldenOutput(model);
      const want = golden[name]!.blockMeans;
      expect(out.length).toBe(want.length);
      let worst = 0;
      for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i]! - want[i]!));
      // Recorded on cpu; wasm differs by float32 summation order only.
      expect(worst).toBeLessThan(2e-3);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('refuses corrupt bytes by checksum, and loads the same bytes when given directly', async () => {
    const entry = PRETRAINED['lowlight-v1']!;
    const bytes = new Uint8Array(readFileSync(packagePath('weights', entry.file)));
    const model = await MASRNet.pretrained('lowlight-v1', { bytes });
    model.dispose();
    const bad = bytes.slice();
    bad[bad.length - 1] ^= 1;
    await expect(MASRNet.pretrained('lowlight-v1', { bytes: bad })).rejects.toThrow(/sha256 [0-9a-f]{64}, expected/);
  });

  it('names the available weights for an unknown name', async () => {
    await expect(MASRNet.pretrained('nope')).rejects.toThrow(/no weights named 'nope'; available: .*lowlight-v1/);
  });
});
