import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EispGenerator,
  IspDecoder,
  KVFeatureGenerator,
  MapGenerator,
  MasrBlock,
  NeighbourSearcher,
  PatchEmbedding,
  QKIspGenerator,
  windowPartition,
} from '../../../src/layers/exports-blocks';
import { buildNested } from '../../../src/layers/basic/common';
import { hasFixtures } from '../../helpers/fixtures';
import { maxAbsDiff } from '../../helpers/gradcheck';
import { activation, loadReferenceInto, recordedRouting } from './helpers';

const owned: tf.TensorContainer[] = [];
const keep = <T extends tf.TensorContainer>(t: T): T => (owned.push(t), t);
afterEach(() => {
  tf.dispose(owned.splice(0));
});

// Each block alone, fed the reference's recorded input, must reproduce the reference's recorded output.
describe.skipIf(!hasFixtures)(`blocks against the reference activations (${tf.getBackend()})`, () => {
  it('PatchEmbedding + windowPartition -> features_windows', () => {
    const layer = new PatchEmbedding({ patchSize: 4 });
    layer.build([null, null, null, 3]);
    loadReferenceInto(layer.referenceWeights(), 'feature_extractor');
    const windows = keep(windowPartition(layer.apply(keep(activation('input', true))) as tf.Tensor4D, 2));
    expect(maxAbsDiff(windows, keep(activation('features_windows')))).toBeLessThan(2e-5);
  });

  it('EispGenerator, QKIspGenerator and KVFeatureGenerator -> e_isp, q_isp, k_isp, k/v_features', () => {
    const features = keep(activation('features_windows'));
    const emb = new EispGenerator({});
    const qk = new QKIspGenerator({});
    const kv = new KVFeatureGenerator({});
    emb.build([null, null, 4, 128]);
    qk.build([null, null, 128]);
    kv.build([null, null, 4, 128]);
    loadReferenceInto(emb.referenceWeights(), 'emb_gen');
    loadReferenceInto(qk.referenceWeights(), 'qk_gen');
    loadReferenceInto(kv.referenceWeights(), 'kv_gen');
    const eIsp = keep(emb.apply(features) as tf.Tensor);
    expect(maxAbsDiff(eIsp, keep(activation('e_isp')))).toBeLessThan(1e-5);
    const [q, k] = keep(qk.apply(keep(activation('e_isp'))) as tf.Tensor[]);
    expect(maxAbsDiff(q!, keep(activation('q_isp')))).toBeLessThan(1e-5);
    expect(maxAbsDiff(k!, keep(activation('k_isp')))).toBeLessThan(1e-5);
    const [kf, vf] = keep(kv.apply(features) as tf.Tensor[]);
    expect(maxAbsDiff(kf!, keep(activation('k_features')))).toBeLessThan(1e-5);
    expect(maxAbsDiff(vf!, keep(activation('v_features')))).toBeLessThan(1e-5);
  });

  it('MasrBlock (multi_attention_2 + moe_2, recorded routing replayed) -> attn_output_2, moe_output_2', () => {
    const block = new MasrBlock({});
    const x = keep(activation('moe_output_1'));
    tf.dispose(block.apply(x) as tf.Tensor);
    const g = block.referenceWeightGroups();
    loadReferenceInto(g.attention, 'multi_attention_2');
    loadReferenceInto(g.attentionNorm, 'attn2_norm');
    loadReferenceInto(g.moe, 'moe_2');
    loadReferenceInto(g.moeNorm, 'moe_2_norm');
    block.attention.setRoutingOverride(keep(recordedRouting('multi_attention_2')));
    const stages: Record<string, tf.Tensor> = {};
    const out = keep(block.forward(x, null, false, (name, t) => (stages[name] = keep(tf.keep(tf.clone(t))))));
    expect(maxAbsDiff(stages['attention']!, keep(activation('attn_output_2')))).toBeLessThan(1e-4);
    expect(maxAbsDiff(out, keep(activation('moe_output_2')))).toBeLessThan(1e-4);
    block.dispose();
  });

  it('NeighbourSearcher -> neighbor_features (exact)', () => {
    const m2 = keep(activation('moe_output_2'));
    const grid = keep(tf.reshape(m2, [1, 8, 12, 3, 128]));
    const out = keep(new NeighbourSearcher({}).apply(grid) as tf.Tensor);
    expect(maxAbsDiff(out, keep(activation('neighbor_features')))).toBe(0);
  });

  it('IspDecoder (isp_2) and the colour MapGenerator -> isp_final_2_raw and every smoothing stage', () => {
    const a4 = keep(activation('attn_output_4'));
    const slot1 = keep(tf.reshape(tf.slice(a4, [0, 0, 1, 0], [1, 96, 1, 128]), [96, 128]));
    const decoder = new IspDecoder({ hiddenSizes: [256, 384, 512, 576], outputDim: 576 });
    decoder.build([null, 128]);
    loadReferenceInto(decoder.referenceWeights(), 'isp_2');
    const raw = keep(decoder.apply(slot1) as tf.Tensor);
    expect(maxAbsDiff(raw, keep(activation('isp_final_2_raw')))).toBeLessThan(1e-5);

    const gen = new MapGenerator({ windowPixels: 8, channels: 9, paramSmoothing: true });
    buildNested(gen, [null, null, null, 576]);
    const g = gen.referenceWeightGroups();
    loadReferenceInto(g.ffn, 'isp_final_2_mlp');
    loadReferenceInto(g.paramSmoother, 'param_smoother');
    loadReferenceInto(g.boundarySmoother, 'boundary_smoother');
    loadReferenceInto(g.antiCheckerboard, 'anti_checkerboard_color');
    const params = keep(tf.reshape(activation('isp_final_2_raw'), [1, 8, 12, 576])) as tf.Tensor4D;
    const stages: Record<string, tf.Tensor> = {};
    const map = keep(gen.generate(params, false, (name, t) => (stages[name] = keep(tf.keep(tf.clone(t))))));
    const nchw = (t: tf.Tensor) => keep(tf.transpose(t, [0, 3, 1, 2]));
    expect(maxAbsDiff(stages['mix']!, keep(activation('color_map_mix')))).toBeLessThan(1e-6);
    expect(maxAbsDiff(stages['ffn']!, keep(activation('mod.isp_final_2_mlp.call0')))).toBeLessThan(1e-6);
    expect(
      maxAbsDiff(nchw(stages['param_smoother.call0']!), keep(activation('mod.param_smoother.call0'))),
    ).toBeLessThan(1e-6);
    expect(
      maxAbsDiff(nchw(stages['param_smoother.call1']!), keep(activation('mod.param_smoother.call1'))),
    ).toBeLessThan(1e-6);
    expect(
      maxAbsDiff(nchw(stages['boundary_smoother.call0']!), keep(activation('mod.boundary_smoother.call0'))),
    ).toBeLessThan(1e-6);
    expect(
      maxAbsDiff(stages['anti_checkerboard.call0']!, keep(activation('mod.anti_checkerboard_color.call0'))),
    ).toBeLessThan(1e-6);
    expect(maxAbsDiff(map, keep(activation('color_params_map')))).toBeLessThan(1e-6);
    gen.dispose();
  });
});
