import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countFlops, MASRNet, presetConfig, type MasrBlockConfig, type MASRNetConfig } from '../../src/models/index';
import { maxAbsDiff, randomTensor } from '../helpers/gradcheck';

/** Issue 14 §2 / 15: the block stack comes from config.blocks; the presets keep the reference's four blocks. */

const narrow = { numExperts: 3, k: 2, headDim: 16, dropout: 0 };
const self = (moe: boolean): MasrBlockConfig => ({
  kind: 'self',
  attention: { ...narrow },
  moe: moe ? { numExperts: 2, k: 1, hiddenSizes: [32] } : null,
  residualOffset: 0,
});
const neighbours: MasrBlockConfig = { ...self(true), kind: 'neighbours' };

/** The tiny preset with `blocks` replaced: block 1 (the encoder) kept, then `rest`. */
function stack(rest: MasrBlockConfig[]): MASRNet {
  const encoder = presetConfig('tiny').blocks[0]!;
  return MASRNet.create('tiny', { blocks: [encoder, ...rest], sampleSecondExpert: 'never' });
}

/** An in-memory IO handler (save then load). */
function memoryHandler(): tf.io.IOHandler {
  let saved: tf.io.ModelArtifacts | undefined;
  return {
    save: async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
    load: async () => saved!,
  };
}

const weightCount = (m: MASRNet) => m.network.referenceWeights().length;

describe(`configurable depth (${tf.getBackend()})`, () => {
  it('the presets build the reference stack: ispGuided, self, neighbours, self without MoE (offset 1e-6)', () => {
    for (const p of ['lolv1', 'lsrw', 'lolv2'] as const) {
      const blocks = presetConfig(p).blocks;
      expect(blocks.map((b) => b.kind)).toEqual(['ispGuided', 'self', 'neighbours', 'self']);
      expect(blocks.map((b) => b.moe?.numExperts ?? null)).toEqual([6, 3, 3, null]);
      expect(blocks.map((b) => b.residualOffset)).toEqual([0, 0, 0, 1e-6]);
    }
    const m = MASRNet.create('lolv1');
    expect(m.network.blocks.map((b) => b.name)).toEqual(['masr_block_2', 'masr_block_3', 'masr_block_4']);
    expect(Object.keys(m.network.routingLayers())).toEqual([
      'multi_attention_1',
      'moe_1',
      'multi_attention_2',
      'moe_2',
      'multi_attention_3',
      'moe_3',
      'multi_attention_4',
    ]);
    m.dispose();
  });

  it('the tuple form (attention: 4 stages, moe: 3) of saved configs is read onto the stack', () => {
    const saved = JSON.parse(readFileSync('training/lowlight-v1/last/model.json', 'utf8')).modelTopology.config;
    expect(saved.blocks).toBeUndefined();
    expect(saved.attention).toHaveLength(4);
    const m = MASRNet.fromConfig(saved);
    expect(m.config.blocks).toEqual(presetConfig('lolv1').blocks);
    expect('attention' in m.config).toBe(false);
    expect(m.countParams().total).toBe(4_935_121);
    m.dispose();
    // Partial tuple overrides (as recipes and older tests write them) replace the stages in block order.
    const moe = [
      { numExperts: 4, k: 3, hiddenSizes: [32] },
      { numExperts: 3, k: 2, hiddenSizes: [16] },
      { numExperts: 3, k: 1, hiddenSizes: [16, 8] },
    ];
    const c = MASRNet.create('lolv1', { moe }).config;
    expect(c.blocks.map((b) => b.moe)).toEqual([...moe, null]);
    expect(() => MASRNet.create('lolv1', { moe: moe.slice(0, 2) })).toThrow(
      /moe \(the tuple form of the block stack\) must list 3 stages, one per block with a feed-forward, got 2/,
    );
    expect(() => MASRNet.create('lolv1', { attention: [], blocks: [] })).toThrow(/either 'blocks' or the tuple form/);
  });

  it('validation names the bad block', () => {
    const enc = presetConfig('tiny').blocks[0]!;
    expect(() => MASRNet.create('tiny', { blocks: [] })).toThrow(/blocks must list at least one block/);
    expect(() => MASRNet.create('tiny', { blocks: [self(true)] })).toThrow(
      /blocks\[0\]\.kind: the first block, and only the first, must be 'ispGuided'/,
    );
    expect(() => MASRNet.create('tiny', { blocks: [enc, enc] })).toThrow(/blocks\[1\]\.kind/);
    expect(() => MASRNet.create('tiny', { blocks: [enc, { ...self(true), kind: 'global' as never }] })).toThrow(
      /blocks\[1\]\.kind must be 'ispGuided', 'self' or 'neighbours', got 'global'/,
    );
    expect(() => MASRNet.create('tiny', { blocks: [enc, { ...self(true), attention: { ...narrow, k: 4 } }] })).toThrow(
      /blocks\[1\]\.attention\.k 4 exceeds numExperts 3/,
    );
    expect(() => MASRNet.create('tiny', { blocks: [{ ...enc, moe: null }] })).toThrow(/blocks\[0\]\.moe\.k \(none\)/);
  });

  it('the tiny preset: two blocks, narrow; its parameter and FLOP counts', () => {
    const m = MASRNet.create('tiny');
    expect(m.config.blocks.map((b) => b.kind)).toEqual(['ispGuided', 'neighbours']);
    expect(m.network.blocks).toHaveLength(1);
    const params = m.countParams();
    const flops = m.flops(400, 600);
    console.log(`tiny: ${JSON.stringify(params)} parameters, ${(flops / 1e9).toFixed(3)} GFLOPs at 400x600`);
    expect(params).toEqual({ trainable: 96_887, unused: 127, total: 97_014 });
    expect(flops / 1e9).toBeCloseTo(6.67, 2);
    expect(m.config.mapGenerator.paramSmootherPasses).toBe(1);
    m.dispose();
  });

  for (const [name, rest] of [
    ['2-block', [self(true)]],
    ['6-block', [self(true), neighbours, self(true), neighbours, self(false)]],
  ] as [string, MasrBlockConfig[]][]) {
    it(`a ${name} model builds, runs, trains a step, round-trips save/load and reference keys`, async () => {
      const m = stack(rest);
      const n = rest.length + 1;
      expect(m.network.blocks).toHaveLength(n - 1);
      const routing = Object.keys(m.network.routingLayers());
      expect(routing.filter((k) => k.startsWith('multi_attention_'))).toHaveLength(n);
      expect(routing).toContain(`multi_attention_${n}`);
      const keys = m.network.referenceWeights().map((w) => w.key);
      for (let i = 2; i <= n; i++) {
        expect(
          keys.some((k) => k.startsWith(`multi_attention_${i}.`)),
          `block ${i}`,
        ).toBe(true);
        expect(keys.some((k) => k.startsWith(`moe_${i}.`))).toBe(rest[i - 2]!.moe !== null);
      }

      const x = randomTensor([2, 16, 24, 3], 11, 0, 1) as tf.Tensor4D;
      const y = m.enhance(x);
      expect(y.shape).toEqual([2, 16, 24, 3]);
      const r = m.enhanceWithMaps(x);
      expect(r.raw.color.shape).toEqual([2, 16, 24, 9]);
      tf.dispose(r as unknown as tf.TensorContainer);

      const before = tf.memory().numTensors;
      const opt = tf.train.adam(1e-3);
      const step = m.trainStep(opt, x, tf.clipByValue(tf.add(x, 0.1), 0, 1) as tf.Tensor4D);
      expect(Number.isFinite(step.loss)).toBe(true);
      const y2 = m.enhance(x);
      expect(maxAbsDiff(y, y2)).toBeGreaterThan(0); // the step changed the weights
      tf.dispose(y2);

      const io = memoryHandler();
      await m.save(io);
      const back = await MASRNet.load(io);
      expect(back.config).toEqual(m.config);
      const y3 = back.enhance(x);
      const y4 = m.enhance(x);
      expect(maxAbsDiff(y3, y4)).toBe(0);
      const viaRef = MASRNet.fromConfig(m.config);
      viaRef.loadSafetensors(m.toSafetensors());
      const y5 = viaRef.enhance(x);
      expect(maxAbsDiff(y5, y4)).toBe(0);
      expect(weightCount(back)).toBe(weightCount(m));
      tf.dispose([x, y, y3, y4, y5]);
      opt.dispose();
      back.dispose();
      viaRef.dispose();
      m.dispose();
      expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 64); // routing records kept by the layers
    });
  }

  it('parameters and FLOPs follow depth: each block adds its own count', () => {
    const two = stack([self(true)]);
    const three = stack([self(true), neighbours]);
    const block3 = three.network.blocks[1]!;
    const own = block3.weights.reduce((acc, w) => acc + w.shape.reduce((a: number, b) => a * b!, 1), 0);
    expect(three.countParams().total - two.countParams().total).toBe(own);
    const f2 = countFlops(two.config, 64, 64);
    const f3 = countFlops(three.config, 64, 64);
    expect(f3.modules.multi_attention_3).toBeGreaterThan(0);
    expect(f3.modules.moe_3).toBeGreaterThan(0);
    expect(f2.modules.multi_attention_3).toBeUndefined();
    expect(f3.total - f2.total).toBe(f3.modules.multi_attention_3! + f3.modules.moe_3!);
    // Same cost as the reference's neighbours block at the reference widths.
    const ref = countFlops(presetConfig('lolv1'), 64, 64).modules;
    const wide: MASRNetConfig = presetConfig('lolv1');
    wide.blocks = wide.blocks.slice(0, 3);
    expect(countFlops(wide, 64, 64).modules.multi_attention_3).toBe(ref.multi_attention_3);
    two.dispose();
    three.dispose();
  });
});
