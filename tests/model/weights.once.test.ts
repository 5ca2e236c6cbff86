import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors, type SafetensorsEntry } from '../../src/io/safetensors';
import { MASRNet } from '../../src/models/index';
import { FIXTURES, hasFixtures } from '../helpers/fixtures';

const UNUSED = [
  'color_transform.det_stats',
  'color_transform.matrix_stats',
  'moe_1.w_atten_gate',
  'moe_2.w_atten_gate',
  'moe_3.w_atten_gate',
  'multi_attention_1.q_proj.moe.w_atten_gate',
  'multi_attention_1.q_proj.moe.w_gate',
  'multi_attention_2.q_proj.moe.w_atten_gate',
  'multi_attention_3.q_proj.moe.w_atten_gate',
  'multi_attention_4.q_proj.moe.w_atten_gate',
];

function edit(bytes: Uint8Array, f: (m: Map<string, SafetensorsEntry>) => void): Uint8Array {
  const tensors = readSafetensors(bytes).tensors;
  f(tensors);
  return writeSafetensors(tensors);
}

describe.skipIf(!hasFixtures)('MASRNet safetensors import/export (reference state_dict)', () => {
  const bytes = hasFixtures
    ? new Uint8Array(readFileSync(join(FIXTURES, 'masr_v1_seed0_weights.safetensors')))
    : new Uint8Array();

  it('import then export reproduces every tensor of the reference file bit for bit (177 keys, buffers included)', () => {
    const model = MASRNet.create('lolv1');
    const { unused } = model.loadSafetensors(bytes);
    expect(unused).toEqual(UNUSED);
    const original = readSafetensors(bytes).tensors;
    const exported = readSafetensors(model.toSafetensors()).tensors;
    expect([...exported.keys()].sort()).toEqual([...original.keys()].sort());
    expect(exported.size).toBe(177);
    for (const [key, e] of original) {
      const x = exported.get(key)!;
      expect(x.dtype, key).toBe(e.dtype);
      expect(x.shape, key).toEqual(e.shape);
      expect(Buffer.compare(Buffer.from(x.bytes), Buffer.from(e.bytes)), key).toBe(0);
    }
    // Export then import into a fresh model is the identity too.
    const again = MASRNet.create('lolv1');
    again.loadSafetensors(model.toSafetensors());
    expect(Buffer.compare(Buffer.from(again.toSafetensors()), Buffer.from(model.toSafetensors()))).toBe(0);
    model.dispose();
    again.dispose();
  });

  it('lists every unknown, missing and mis-shaped key in one error, and writes nothing', () => {
    const model = MASRNet.create('lolv1');
    const before = model.toSafetensors();
    const bad = edit(bytes, (m) => {
      m.set('moe_9.w_gate', m.get('moe_1.w_gate')!);
      m.delete('qk_gen.norm.bias');
      m.delete('attn4_norm.weight');
      const w = m.get('isp_1.decoder.output.weight')!;
      m.set('isp_1.decoder.output.weight', { ...w, shape: [32, 64] });
    });
    let message = '';
    try {
      model.loadSafetensors(bad);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/unknown keys \(1\): moe_9\.w_gate/);
    expect(message).toMatch(/missing keys \(2\): .*qk_gen\.norm\.bias/);
    expect(message).toMatch(/attn4_norm\.weight/);
    expect(message).toMatch(/mis-shaped keys \(1\): isp_1\.decoder\.output\.weight \[32,64\] \(expected \[64,32\]\)/);
    expect(Buffer.compare(Buffer.from(model.toSafetensors()), Buffer.from(before))).toBe(0);
    // A lolv2 model rejects lolv1 weights, naming the patch-embedding kernel.
    const v2 = MASRNet.create('lolv2');
    expect(() => v2.loadSafetensors(bytes)).toThrow(
      /feature_extractor\.patch_embed\.weight \[128,48,4,4\] \(expected \[128,48,2,2\]\)/,
    );
    // A checkpoint from the reference's train.py also holds its frozen VGG: accepted and reported, not an error.
    const withVgg = edit(bytes, (m) => m.set('perceptual_loss.vgg_layers.0.bias', m.get('attn_norm.bias')!));
    expect(model.loadSafetensors(withVgg).unused).toContain('perceptual_loss.vgg_layers.0.bias');
    // NaN weights are refused.
    const nan = edit(bytes, (m) => {
      const e = m.get('attn_norm.bias')!;
      const v = new Float32Array(e.bytes.slice().buffer);
      v[3] = NaN;
      m.set('attn_norm.bias', { ...e, bytes: new Uint8Array(v.buffer) });
    });
    expect(() => model.loadSafetensors(nan)).toThrow(/'attn_norm\.bias' contains NaN/);
    model.dispose();
    v2.dispose();
  });

  it('the imported weights are used: the same model enhances differently before and after', () => {
    const model = MASRNet.create('lolv1');
    const x = tf.fill([1, 8, 8, 3], 0.3) as tf.Tensor4D;
    const a = model.enhance(x);
    model.loadSafetensors(bytes);
    const b = model.enhance(x);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeGreaterThan(1e-4);
    tf.dispose([x, a, b]);
    model.dispose();
  });
});
