import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { MASRNet } from '../../src/models/index';
import { maxAbsDiff, randomTensor } from '../helpers/gradcheck';

const dir = mkdtempSync(join(tmpdir(), 'masr-save-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function perturbedModel(): MASRNet {
  const m = MASRNet.create('lolv2', { decoders: { gamma: { hiddenSizes: [16], dropout: 0 } } });
  // Distinct buffers, so their round trip is visible.
  const weights = m.network.referenceWeights();
  weights.slice(0, 5).forEach((w, i) => w.variable.write(tf.tidy(() => tf.add(w.variable.read(), 0.01 * (i + 1)))));
  return m;
}

describe('MASRNet save/load in the tfjs format', () => {
  const x = randomTensor([1, 16, 8, 3], 2, 0, 1) as tf.Tensor4D;

  it('file://dir in Node (no tfjs-node): model.json + weights.bin, identical outputs and config', async () => {
    const model = perturbedModel();
    const url = `file://${join(dir, 'a')}`;
    await model.save(url);
    expect(readdirSync(join(dir, 'a')).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(readFileSync(join(dir, 'a', 'model.json'), 'utf8'));
    expect(json.format).toBe('masr-net');
    expect(json.modelTopology.config).toEqual(model.config);
    expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toContain(
      'patch_neighbor_searcher.neighbor_indices',
    );
    const loaded = await MASRNet.load(url);
    expect(loaded.config).toEqual(model.config);
    const [a, b] = [model.enhance(x), loaded.enhance(x)];
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(Buffer.compare(Buffer.from(model.toSafetensors()), Buffer.from(loaded.toSafetensors()))).toBe(0);
    tf.dispose([a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('tf.io memory handlers (withSaveHandler / fromMemory) as in the browser', async () => {
    const model = perturbedModel();
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await MASRNet.load(tf.io.fromMemory(saved!));
    const [a, b] = [model.enhance(x), loaded.enhance(x)];
    expect(maxAbsDiff(a, b)).toBe(0);
    tf.dispose([a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('clear errors: missing directory, foreign model, weights that do not match the config', async () => {
    await expect(MASRNet.load(`file://${join(dir, 'nope')}`)).rejects.toThrow(/cannot read .*model\.json/);
    const model = MASRNet.create('lolv1');
    await model.save(`file://${join(dir, 'b')}`);
    const path = join(dir, 'b', 'model.json');
    const json = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...json, format: 'layers-model' }));
    await expect(MASRNet.load(`file://${join(dir, 'b')}`)).rejects.toThrow(/not a masr-net model/);
    json.modelTopology.config.patchSize = 2;
    json.modelTopology.config.windowSize = 4;
    writeFileSync(path, JSON.stringify(json));
    const before = tf.memory().numTensors;
    await expect(MASRNet.load(`file://${join(dir, 'b')}`)).rejects.toThrow(
      /mis-shaped weights: feature_extractor\.patch_embed\.weight/,
    );
    expect(tf.memory().numTensors).toBe(before);
    await expect(model.save('nohandler://x')).rejects.toThrow(/no tfjs IO handler/);
    model.dispose();
  });
});
