import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { VggPerceptualLoss } from '../../src/losses/index';
import { MASRNet } from '../../src/models/index';
import { randomTensor } from '../helpers/gradcheck';

describe(`MASRNet training (${tf.getBackend()})`, () => {
  it('one computeLoss step sends a non-zero gradient to every trainable weight, and an optimizer step changes the loss', () => {
    const model = MASRNet.create('lolv1');
    const x = randomTensor([1, 16, 16, 3], 1, 0.05, 0.6) as tf.Tensor4D;
    const y = randomTensor([1, 16, 16, 3], 2, 0.2, 0.9) as tf.Tensor4D;
    const vgg = new VggPerceptualLoss({ randomForTesting: { seed: 3 } });
    const vars = model.trainableVariables;
    const { value, grads } = tf.variableGrads(() => model.computeLoss(x, y, { perceptual: vgg }).total, vars);
    expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
    const zero = vars.filter((v) => !(tf.max(tf.abs(grads[v.name]!)).dataSync()[0]! > 0)).map((v) => v.name);
    expect(zero).toEqual([]);
    // The reference's unused router weights are not trainable, so no optimiser touches them.
    const unused = model.network
      .referenceWeights()
      .filter((w) => !w.variable.trainable)
      .map((w) => w.key);
    expect(unused.sort()).toEqual(
      [
        'moe_1.w_atten_gate',
        'moe_2.w_atten_gate',
        'moe_3.w_atten_gate',
        'multi_attention_1.q_proj.moe.w_atten_gate',
        'multi_attention_1.q_proj.moe.w_gate',
        'multi_attention_2.q_proj.moe.w_atten_gate',
        'multi_attention_3.q_proj.moe.w_atten_gate',
        'multi_attention_4.q_proj.moe.w_atten_gate',
      ].sort(),
    );
    tf.dispose([value, ...Object.values(grads)]);

    const terms = model.computeLoss(x, y, { training: false });
    expect(Object.keys(terms.terms).sort()).toEqual(['aux', 'charbonnier', 'lab', 'perceptual', 'psnr', 'ssim']);
    const opt = tf.train.adam(1e-3);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++)
      tf.dispose(opt.minimize(() => model.computeLoss(x, y, { training: false }).total, true, vars) as tf.Scalar);
    const after = model.computeLoss(x, y, { training: false });
    expect(after.total.dataSync()[0]).not.toBe(terms.total.dataSync()[0]);
    tf.dispose([terms.total, after.total, ...Object.values(terms.terms), ...Object.values(after.terms)]);
    // Adam's moment slots are created on the first step only; nothing else accumulates.
    const steady = tf.memory().numTensors;
    tf.dispose(opt.minimize(() => model.computeLoss(x, y, { training: false }).total, true, vars) as tf.Scalar);
    expect(tf.memory().numTensors).toBe(steady);
    expect(steady).toBeGreaterThanOrEqual(before);
    opt.dispose();
    tf.dispose([x, y]);
    vgg.dispose?.();
    model.dispose();
  });
});
