import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { applyIsp } from '../../src/isp/index';
import { countFlops, MASRNet, presetConfig } from '../../src/models/index';
import { maxAbsDiff, randomTensor } from '../helpers/gradcheck';

describe(`MASRNet model (${tf.getBackend()})`, () => {
  it('parameter counts equal the reference (474 unused router weights kept non-trainable)', () => {
    const v1 = MASRNet.create('lolv1');
    const v2 = MASRNet.create('lolv2');
    expect(v1.countParams()).toEqual({ trainable: 4_934_647, unused: 474, total: 4_935_121 });
    expect(v2.countParams()).toEqual({ trainable: 4_860_919, unused: 474, total: 4_861_393 });
    expect(MASRNet.create('lsrw').countParams().total).toBe(4_935_121);
    // trainableVariables holds exactly the trainable parameters.
    expect(v1.trainableVariables.reduce((n, v) => n + v.size, 0)).toBe(4_934_647);
    v1.dispose();
    v2.dispose();
  });

  it('FLOPs match the reference anchors within 1% (64.3 / 17.6 G for lolv1, 79.1 / 21.6 G for lolv2)', () => {
    const anchors: [Parameters<typeof presetConfig>[0], number, number, number][] = [
      ['lolv1', 400, 600, 64.3e9],
      ['lolv1', 256, 256, 17.6e9],
      ['lolv2', 400, 600, 79.1e9],
      ['lolv2', 256, 256, 21.6e9],
    ];
    for (const [preset, h, w, ref] of anchors) {
      const got = countFlops(presetConfig(preset), h, w).total;
      expect(Math.abs(got - ref) / ref, `${preset} ${h}x${w}: ${got}`).toBeLessThan(0.01);
    }
    const m = countFlops(presetConfig('lolv1'), 400, 600).modules;
    expect(m.moe_3! / 1e9).toBeCloseTo(15.5, 1);
    expect(m.moe_2! / 1e9).toBeCloseTo(11.1, 1);
    expect(m.isp_2! / 1e9).toBeCloseTo(7.2, 1);
    expect(m.param_smoother! / 1e9).toBeCloseTo(5.9, 1);
    expect(m.moe_1! / 1e9).toBeCloseTo(5.5, 1);
    expect(m.feature_extractor! / 1e9).toBeCloseTo(4.1, 1);
  });

  it('config: presets, deep overrides, validation errors, JSON round trip', () => {
    const m = MASRNet.create('lolv1', {
      moe: [
        { numExperts: 4, k: 3, hiddenSizes: [32] },
        { numExperts: 3, k: 2, hiddenSizes: [16] },
        { numExperts: 3, k: 1, hiddenSizes: [16, 8] },
      ],
      eispGenerator: { hiddenDim: 64 },
      lossWeights: { lab: 0 },
    });
    expect(m.config.eispGenerator).toEqual({ hiddenDim: 64, dropout: 0.05 });
    expect(m.config.lossWeights.lab).toBe(0);
    expect(m.config.lossWeights.charbonnier).toBe(1.523);
    const json = JSON.parse(JSON.stringify(m.config));
    const copy = MASRNet.fromConfig(json);
    expect(copy.config).toEqual(m.config);
    expect(copy.countParams()).toEqual(m.countParams());
    expect(() => MASRNet.create('lolv3' as never)).toThrow(/unknown preset 'lolv3'/);
    expect(() => MASRNet.create('lolv1', { patchSize: 0 })).toThrow(/patchSize must be a positive integer/);
    expect(() => MASRNet.create('lolv1', { qkGenerator: { numHeads: 2 } })).toThrow(/numHeads must be 3/);
    expect(() => MASRNet.create('lolv1', { widht: 3 } as never)).toThrow(/unknown field 'widht'/);
    m.dispose();
    copy.dispose();
  });

  it('any size: odd sizes are reflect-padded to the window grid and cropped back', () => {
    const m = MASRNet.create('lolv1');
    const x = randomTensor([1, 20, 28, 3], 3, 0, 1) as tf.Tensor4D;
    const y = m.enhance(x);
    expect(y.shape).toEqual([1, 20, 28, 3]);
    // Same as enhancing the PyTorch-reflect-padded 24x32 image and cropping.
    const padded = tf.mirrorPad(
      x,
      [
        [0, 0],
        [0, 4],
        [0, 4],
        [0, 0],
      ],
      'reflect',
    );
    const full = m.enhance(padded);
    const crop = tf.slice(full, [0, 0, 0, 0], [1, 20, 28, 3]);
    expect(maxAbsDiff(y, crop)).toBeLessThan(1e-6);
    const v = y.dataSync();
    expect(Math.min(...v)).toBeGreaterThan(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    // Smaller than one window, and a single row.
    const tiny = m.enhance(randomTensor([2, 5, 1, 3], 4, 0, 1) as tf.Tensor4D);
    expect(tiny.shape).toEqual([2, 5, 1, 3]);
    expect(() => m.enhance(tf.zeros([1, 8, 8, 4]) as tf.Tensor4D)).toThrow(/\[B, H, W, 3\]/);
    tf.dispose([x, y, padded, full, crop, tiny]);
    m.dispose();
  });

  it('enhanceWithMaps: raw and display ISP maps at the input size, consistent with enhance; numTensors unchanged', () => {
    const m = MASRNet.create('lolv2');
    const x = randomTensor([1, 12, 16, 3], 5, 0, 1) as tf.Tensor4D;
    const r = m.enhanceWithMaps(x);
    expect(r.enhanced.shape).toEqual([1, 12, 16, 3]);
    expect(r.raw.gamma.shape).toEqual([1, 12, 16, 1]);
    expect(r.raw.color.shape).toEqual([1, 12, 16, 9]);
    expect(r.raw.saturation.shape).toEqual([1, 12, 16, 1]);
    expect(Object.keys(r.display).sort()).toEqual([
      'colorMatrix',
      'colorStrength',
      'gammaExponent',
      'saturationFactor',
    ]);
    expect(r.display.gammaExponent.shape).toEqual([1, 12, 16, 1]);
    expect(r.display.colorMatrix.shape).toEqual([1, 12, 16, 9]);
    expect(r.display.colorStrength.shape).toEqual([1, 12, 16, 1]);
    expect(r.display.saturationFactor.shape).toEqual([1, 12, 16, 1]);
    const s = r.display.saturationFactor.dataSync();
    expect(Math.min(...s)).toBeGreaterThan(1.1);
    expect(Math.max(...s)).toBeLessThan(1.9);
    // The display maps are derived from the raw ones.
    expect(maxAbsDiff(r.display.gammaExponent, tf.add(r.raw.gamma, 1))).toBe(0);
    const y = m.enhance(x);
    expect(maxAbsDiff(y, r.enhanced)).toBe(0);
    tf.dispose([y, r as unknown as tf.TensorContainer]);
    tf.dispose(m.enhance(x)); // warm the kept routing records
    const before = tf.memory().numTensors;
    tf.dispose(m.enhance(x));
    const again = m.enhanceWithMaps(x);
    tf.dispose(again as unknown as tf.TensorContainer);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    m.dispose();
  });

  it('enhanceWithMaps -> applyIsp(input, raw) reproduces the output; edited raw maps apply (issue 15)', () => {
    const m = MASRNet.create('tiny');
    const x = randomTensor([1, 13, 18, 3], 6, 0, 1) as tf.Tensor4D; // not a window multiple: padded and cropped
    const r = m.enhanceWithMaps(x);
    const options = { color: { residualScale: m.config.colorResidualScale } };
    const again = applyIsp(x, r.raw, options);
    expect(maxAbsDiff(again, r.enhanced)).toBeLessThan(1e-6);
    // A brighter edit: a negative gamma increment (exponent < 1) raises every pixel.
    const brighter = tf.tidy(() => applyIsp(x, { ...r.raw, gamma: tf.sub(r.raw.gamma, 0.5) as tf.Tensor4D }, options));
    const mean = (t: tf.Tensor) => tf.tidy(() => tf.mean(t).dataSync()[0]!);
    expect(mean(brighter)).toBeGreaterThan(mean(r.enhanced) + 0.01);
    expect(() => applyIsp(x, { gamma: r.raw.gamma } as never)).toThrow(
      /maps\.color is missing; expected a \[B, H, W, 9\]/,
    );
    tf.dispose([again, brighter, x, r as unknown as tf.TensorContainer]);
    m.dispose();
  });
});

describe('config.auxWeights (issue 14: it reached only multi_attention_1 and moe_1)', () => {
  it('an override reaches all seven routing layers, and their aux totals use it', () => {
    const weights = { cv: 0.5, switch: 0.25, z: 0.125 };
    const m = MASRNet.create('lolv1', { auxWeights: weights });
    const layers = m.network.routingLayers();
    expect(Object.keys(layers)).toHaveLength(7);
    for (const [name, layer] of Object.entries(layers)) expect(layer.auxWeights, name).toEqual(weights);
    const x = tf.randomUniform([1, 16, 16, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const out = m.network.forward(x, { training: false });
    for (const [name, layer] of Object.entries(layers)) {
      const a = layer.lastAux!;
      const expected = 0.5 * a.cv.dataSync()[0]! + 0.25 * a.switch.dataSync()[0]! + 0.125 * a.z.dataSync()[0]!;
      expect(a.total.dataSync()[0], name).toBeCloseTo(expected, 6);
    }
    tf.dispose([x, out.enhanced, out.aux, ...Object.values(out.maps ?? {})]);
    // The presets keep the reference weights everywhere.
    for (const layer of Object.values(MASRNet.create('lolv1').network.routingLayers()))
      expect(layer.auxWeights).toEqual({ cv: 0.05, switch: 0.01, z: 0.001 });
    m.dispose();
  });
});
