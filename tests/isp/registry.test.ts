import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ISP_OPS, ispDisplayMaps, ispOpsInApplyOrder } from '../../src/isp/index';
import { countFlops, MASRNet, presetConfig } from '../../src/models/index';
import { randomTensor } from '../helpers/gradcheck';

describe(`the ISP op registry drives the network (${tf.getBackend()})`, () => {
  it('ops in slot order gamma, colour, saturation; applied colour, gamma, saturation (the reference order)', () => {
    expect(ISP_OPS.map((op) => op.name)).toEqual(['gamma', 'color', 'saturation']);
    expect(ispOpsInApplyOrder().map((op) => op.name)).toEqual(['color', 'gamma', 'saturation']);
    expect(presetConfig('lolv1').qkGenerator.numHeads).toBe(ISP_OPS.length);
  });

  it('each op has its decoder, map generator, FLOP entry and reference keys, sized by its channels', () => {
    const m = MASRNet.create('tiny');
    const win = m.config.patchSize * m.config.windowSize;
    const keys = m.network.referenceWeights().map((w) => w.key);
    const flops = countFlops(m.config, 64, 64).modules;
    for (const op of ISP_OPS) {
      const dec = m.network.decoders[op.name]!;
      expect(dec.name).toBe(`isp_${op.reference.index}`);
      expect(dec.outputDim, op.name).toBe(win * win * op.channels);
      expect(m.network.mapGenerators[op.name]!.channels).toBe(op.channels);
      expect(m.network.mapGenerators[op.name]!.paramSmoothing).toBe(op.paramSmoothing);
      expect(flops[`isp_${op.reference.index}`]).toBeGreaterThan(0);
      expect(keys.some((k) => k.startsWith(`isp_final_${op.reference.index}_mlp.`))).toBe(true);
      expect(keys.some((k) => k.startsWith(`anti_checkerboard_${op.name}.`))).toBe(true);
    }
    m.dispose();
  });

  it('display maps come from the ops and name what they show', () => {
    const raw = {
      gamma: randomTensor([1, 2, 2, 1], 1, -0.5, 0.5) as tf.Tensor4D,
      color: randomTensor([1, 2, 2, 9], 2, -1, 1) as tf.Tensor4D,
      saturation: randomTensor([1, 2, 2, 1], 3, -2, 2) as tf.Tensor4D,
    };
    const before = tf.memory().numTensors;
    const d = ispDisplayMaps(raw);
    expect(Object.keys(d).sort()).toEqual(['colorMatrix', 'colorStrength', 'gammaExponent', 'saturationFactor']);
    for (const op of ISP_OPS) expect(Object.keys(d)).toContain(op.heatmap.display);
    const g = d.gammaExponent.dataSync();
    raw.gamma.dataSync().forEach((v, i) => expect(g[i]).toBeCloseTo(v + 1, 6));
    tf.dispose(d as unknown as tf.TensorContainer);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => ispDisplayMaps({ gamma: raw.gamma } as never)).toThrow(/ispDisplayMaps: maps\.color is missing/);
    tf.dispose(Object.values(raw));
  });
});
