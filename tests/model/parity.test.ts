import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/io/safetensors';
import { formatParityTable, MASRNet, runParity } from '../../src/models/index';
import { FIXTURES, hasFixtures } from '../helpers/fixtures';
import { randomTensor } from '../helpers/gradcheck';
import { recordActivations, tamper } from './helpers';

const readTensors = (f: Uint8Array) => readSafetensors(f).tensors;

describe.skipIf(!hasFixtures)(`runParity on the reference fixture masr_v1_seed0 (${tf.getBackend()})`, () => {
  it('matches every stage (tokens <= 1e-4, image <= 1e-5), every routing decision, the aux losses and loss terms', () => {
    const weights = readFileSync(join(FIXTURES, 'masr_v1_seed0_weights.safetensors'));
    const acts = readFileSync(join(FIXTURES, 'masr_v1_seed0_activations.safetensors'));
    const before = tf.memory().numTensors;
    const report = runParity(weights, acts);
    expect(tf.memory().numTensors).toBe(before);
    console.log(formatParityTable(report));
    expect([report.patchSize, report.windowSize, report.batch, report.height, report.width]).toEqual([4, 2, 1, 64, 96]);
    expect(report.skipped).toEqual([]);
    expect(report.stages.length).toBeGreaterThan(55);
    for (const s of report.stages) {
      if (s.kind === 'image') expect(s.tolerance).toBe(1e-5);
      if (s.kind === 'tokens' || s.kind === 'aux') expect(s.tolerance).toBeLessThanOrEqual(1e-4);
      expect(s.maxAbsError, s.name).toBeLessThanOrEqual(s.tolerance);
    }
    expect(report.routing.length).toBe(12);
    for (const r of report.routing) expect(r.mismatches, `${r.layer} ${r.check}`).toBe(0);
    expect(report.ok).toBe(true);
  });
});

describe(`runParity as a tool: infers preset, batch and size; fails on any mismatch (${tf.getBackend()})`, () => {
  // A lolv2 (ps 2, ws 4) model, batch 2, 16x24, recorded with the reference's sampled second expert.
  const model = MASRNet.create('lolv2', { sampleSecondExpert: 'always' });
  const input = randomTensor([2, 16, 24, 3], 7, 0, 1) as tf.Tensor4D;
  const weights = model.toSafetensors();
  const acts = recordActivations(model, input);
  input.dispose();
  model.dispose();

  it('passes on a fixture recorded from the same weights, reading ps/ws/batch/size from the files', () => {
    const report = runParity(weights, acts);
    expect([report.patchSize, report.windowSize, report.batch, report.height, report.width]).toEqual([2, 4, 2, 16, 24]);
    expect(report.stages.find((s) => s.name === 'features_windows')!.shape).toEqual([2, 6, 16, 128]);
    expect(report.ok).toBe(true);
  });

  it('flags a perturbed stage', () => {
    const bad = tamper(acts, 'mod.param_smoother.call1', (v) => (v[5] += 3e-4), readTensors);
    const report = runParity(weights, bad);
    expect(report.ok).toBe(false);
    expect(report.stages.filter((s) => !s.ok).map((s) => s.name)).toEqual(['mod.param_smoother.call1']);
    expect(formatParityTable(report)).toMatch(/mod\.param_smoother\.call1 .* FAIL/);
  });

  it('flags a routing index that differs from this port', () => {
    // Slot 0 of a MoA is the router's argmax: a recorded slot 0 it would not choose is a routing mismatch.
    const bad = tamper(acts, 'gate.multi_attention_3.idx', (v) => ([v[0], v[1]] = [v[1]!, v[0]!]), readTensors);
    const report = runParity(weights, bad);
    expect(report.ok).toBe(false);
    const ma3 = report.routing.find((r) => r.layer === 'multi_attention_3' && r.check.startsWith('slot 0'))!;
    expect(ma3.mismatches).toBe(1);
    const moe = tamper(
      acts,
      'gate.moe_2.idx',
      (v) => (v[0] = (v[0]! + 1) % 3 === v[1] ? (v[0]! + 2) % 3 : (v[0]! + 1) % 3),
      readTensors,
    );
    expect(runParity(weights, moe).routing.find((r) => r.layer === 'moe_2')!.mismatches).toBe(1);
  });
});
