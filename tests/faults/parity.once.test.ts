import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors';
import { MASRNet } from '../../src/models/index';
import { runCliWasm } from '../cli/helpers';
import { tempDir } from '../data/helpers';
import { randomTensor } from '../helpers/gradcheck';
import { recordActivations } from '../model/helpers';

// Issue 13 item 10: parity must not pass on an activations file that holds nothing to compare.

describe('masr-net parity requires the stages that define parity', () => {
  const tmp = tempDir('masr-faults-parity-');
  afterAll(tmp.cleanup);

  it('an activations file with no stages to compare fails (exit 1), naming the missing stages', async () => {
    const model = MASRNet.create('lolv2');
    const input = randomTensor([1, 16, 24, 3], 3, 0, 1) as tf.Tensor4D;
    const acts = readSafetensors(recordActivations(model, input)).tensors;
    input.dispose();
    const weights = join(tmp.dir, 'weights.safetensors');
    writeFileSync(weights, model.toSafetensors());
    model.dispose();
    // Only what the tool needs to run: the input, the window grid and the routing to replay.
    const kept = [...acts].filter(
      ([k]) => k === 'input' || k === 'features_windows' || /^gate\.multi_attention_\d\.idx$/.test(k),
    );
    const activations = join(tmp.dir, 'activations.safetensors');
    writeFileSync(activations, writeSafetensors(kept));

    const r = await runCliWasm(['parity', weights, activations]);
    expect(r.lines.join('\n')).not.toContain('PARITY OK');
    expect(r.code).toBe(1);
    expect(r.last).toBe(
      `warning: error: runParity: the activations ${activations} lack stages that parity needs: moe_output_1, attn_output_1, attn_output_2, attn_output_3, attn_output_4, gamma_map, color_params_map, saturation_map, after_gamma, after_color, enhanced`,
    );
  });
});
