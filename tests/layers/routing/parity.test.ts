import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MixtureOfAttention,
  MixtureOfExperts,
  loadReferenceWeights,
  referenceTensors,
  type RoutingLayer,
} from '../../../src/layers/exports-routing';
import { entryToInt32 } from '../../../src/io/safetensors';
import { fixtureTensor, hasFixtures, loadFixture } from '../../helpers/fixtures';
import { maxAbsDiff } from '../../helpers/gradcheck';
import { buildWith } from './helpers';

// Layer parity with the reference (masr_v1_seed0 fixtures): reference weights, recorded layer inputs, recorded MoA
// routing replayed (the reference samples slot 1 even in eval), outputs before LayerNorm/residual.

const MOE = [
  { layer: 'moe_1', input: 'attn_output_1', numExperts: 6, k: 3, mode: 'slots', hiddenSizes: [256, 512] },
  { layer: 'moe_2', input: 'attn_output_2', numExperts: 3, k: 2, mode: 'sum', hiddenSizes: [256, 512] },
  { layer: 'moe_3', input: 'attn_output_3', numExperts: 3, k: 2, mode: 'sum', hiddenSizes: [256, 512, 256] },
] as const;

const MOA = [
  { layer: 'multi_attention_1', inputs: ['q_isp', 'k_features', 'v_features', 'k_isp'], routing: 'attentionGate' },
  { layer: 'multi_attention_2', inputs: ['moe_output_1'] },
  { layer: 'multi_attention_3', inputs: ['moe_output_2', 'neighbor_features'], positionBias: 'reference' },
  { layer: 'multi_attention_4', inputs: ['moe_output_3'] },
] as const;

function recordedIndices(key: string): number[][] {
  const e = loadFixture('activations').tensors.get(key)!;
  const flat = Array.from(entryToInt32(e));
  return Array.from({ length: e.shape[0]! }, (_, i) => flat.slice(i * e.shape[1]!, (i + 1) * e.shape[1]!));
}

function scalar(key: string): number {
  const t = fixtureTensor(loadFixture('activations'), key);
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

describe.skipIf(!hasFixtures)(`reference parity of the routing layers (${tf.getBackend()})`, () => {
  let weights: Map<string, tf.Tensor>;
  beforeAll(() => {
    weights = referenceTensors(loadFixture('weights'));
  });
  afterAll(() => tf.dispose([...weights.values()]));

  function run(layer: RoutingLayer, prefix: string, inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    tf.dispose(layer.apply(inputs) as tf.Tensor); // build
    const { unused } = loadReferenceWeights(layer, prefix, weights);
    expect(unused).toEqual([]);
    return layer.apply(inputs) as tf.Tensor;
  }

  for (const c of MOE) {
    it(`${c.layer}: output, routing and aux match the reference`, () => {
      const act = loadFixture('activations');
      const x = fixtureTensor(act, c.input);
      const layer = new MixtureOfExperts({
        numExperts: c.numExperts,
        k: c.k,
        mode: c.mode,
        hiddenSizes: [...c.hiddenSizes],
        referenceCompat: true, // the reference's never-used weights, so that every checkpoint key is used
      });
      const y = run(layer, c.layer, x);
      const ref = fixtureTensor(act, `mod.${c.layer}.raw_out`);
      const outErr = maxAbsDiff(y, ref);
      const auxErr = Math.abs(layer.lastAux!.total.dataSync()[0]! - scalar(`aux.${c.layer}`));
      console.log(
        `${tf.getBackend()} ${c.layer}: max |out - ref| = ${outErr.toExponential(2)}, |aux - ref| = ${auxErr.toExponential(2)}`,
      );
      expect(y.shape).toEqual(ref.shape);
      expect(outErr).toBeLessThan(1e-4);
      expect(auxErr).toBeLessThan(1e-5);
      const ours = layer.lastRouting!.indices.arraySync() as number[][];
      const recorded = recordedIndices(`gate.${c.layer}.idx`);
      // Same expert set per token; moe_1's slots in exactly the reference's (ascending) slot order.
      expect(ours.map((r) => [...r].sort())).toEqual(recorded.map((r) => [...r].sort()));
      if (c.layer === 'moe_1') expect(ours).toEqual(recordedIndices('gate.moe_1.slot_expert'));
      // Gates compared per (token, expert): the recorded ones are in top-k order.
      const refGates = fixtureTensor(act, `gate.${c.layer}.gates`);
      const rg = refGates.arraySync() as number[][];
      const og = layer.lastRouting!.gates.arraySync() as number[][];
      let gateErr = 0;
      recorded.forEach((ids, t) =>
        ids.forEach((e, s) => (gateErr = Math.max(gateErr, Math.abs(rg[t]![s]! - og[t]![ours[t]!.indexOf(e)]!)))),
      );
      expect(gateErr).toBeLessThan(1e-5);
      refGates.dispose();
      tf.dispose([x, y, ref]);
      layer.dispose();
    });
  }

  for (const c of MOA) {
    it(`${c.layer}: output, routing and aux match the reference (recorded sampled slot replayed)`, () => {
      const act = loadFixture('activations');
      const xs = c.inputs.map((k) => fixtureTensor(act, k));
      const inputs = xs.length === 1 ? xs[0]! : xs;
      const layer = new MixtureOfAttention({
        numExperts: 3,
        k: 2,
        headDim: 64,
        routing: 'routing' in c ? c.routing : 'router',
        positionBias: 'positionBias' in c ? c.positionBias : 'none',
        referenceCompat: true,
      });
      tf.dispose(run(layer, c.layer, inputs));
      const recorded = recordedIndices(`gate.${c.layer}.idx`);
      // Inference is deterministic top-k: slot 0 (the argmax) is the reference's, slot 1 was sampled there.
      expect((layer.lastRouting!.indices.arraySync() as number[][]).map((r) => r[0])).toEqual(
        recorded.map((r) => r[0]),
      );
      const idx = tf.tensor2d(recorded, undefined, 'int32');
      layer.setRoutingOverride(idx);
      const y = layer.apply(inputs) as tf.Tensor;
      const ref = fixtureTensor(act, `mod.${c.layer}.raw_out`);
      const gates = fixtureTensor(act, `gate.${c.layer}.gates`);
      const outErr = maxAbsDiff(y, ref);
      const auxErr = Math.abs(layer.lastAux!.total.dataSync()[0]! - scalar(`aux.${c.layer}`));
      console.log(
        `${tf.getBackend()} ${c.layer}: max |out - ref| = ${outErr.toExponential(2)}, |aux - ref| = ${auxErr.toExponential(2)}`,
      );
      expect(outErr).toBeLessThan(1e-4);
      expect(auxErr).toBeLessThan(1e-5);
      expect(layer.lastRouting!.indices.arraySync()).toEqual(recorded);
      expect(maxAbsDiff(layer.lastRouting!.gates, gates)).toBeLessThan(1e-5);
      tf.dispose([xs, idx, y, ref, gates]);
      layer.dispose();
    });
  }

  it('loadReferenceWeights transposes Linear weights and reports missing keys and bad shapes', () => {
    const q = tf.zeros([1, 2, 3, 128]);
    const layer = new MixtureOfAttention({ numExperts: 3, k: 2, headDim: 64 });
    tf.dispose(layer.apply(q) as tf.Tensor);
    // Without referenceCompat (the default) the reference's never-used router weight is left over, and reported.
    const { unused } = loadReferenceWeights(layer, 'multi_attention_2', weights);
    expect(unused).toEqual(['multi_attention_2.q_proj.moe.w_atten_gate']);
    const kp = layer.weights.find((w) => w.originalName.endsWith('/k_proj.weight'))!.read();
    expect(maxAbsDiff(kp, tf.transpose(weights.get('multi_attention_2.k_proj.weight')!))).toBe(0);
    const partial = new Map([...weights].filter(([k]) => k !== 'multi_attention_2.v_proj.bias'));
    expect(() => loadReferenceWeights(layer, 'multi_attention_2', partial)).toThrow(
      /missing 'multi_attention_2.v_proj.bias' \[64\]/,
    );
    expect(() => loadReferenceWeights(layer, 'moe_1', weights)).toThrow(/missing 'moe_1.k_proj.weight'/);
    const wrong = new MixtureOfExperts({ numExperts: 3, k: 2 });
    buildWith(wrong, [2, 128]);
    expect(() => loadReferenceWeights(wrong, 'moe_1', weights)).toThrow(
      /'moe_1.w_gate' has shape \[128,6\], expected \[128,3\]/,
    );
    q.dispose();
    layer.dispose();
    wrong.dispose();
  });
});
