import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  charbonnierLoss,
  DEFAULT_LOSS_WEIGHTS,
  labColorLoss,
  masrCompositeLoss,
  psnrLoss,
  psnrValue,
  ssimLoss,
} from '../../src/losses';
import { fixtureTensor, hasFixtures, loadFixture } from '../helpers/fixtures';

// The reference's loss terms for its own output `enhanced` and the fixed `loss_target` (reference-semantics §12).
describe.skipIf(!hasFixtures)('loss parity with the PyTorch fixture', () => {
  const acts = hasFixtures ? loadFixture('activations') : null;
  const nhwc = (key: string) => tf.tidy(() => tf.transpose(fixtureTensor(acts!, key), [0, 2, 3, 1]) as tf.Tensor4D);
  const ref = (key: string): number => {
    const t = fixtureTensor(acts!, key);
    const v = t.dataSync()[0]!;
    t.dispose();
    return v;
  };
  const pred = hasFixtures ? nhwc('enhanced') : tf.zeros([1, 1, 1, 3]);
  const target = hasFixtures ? nhwc('loss_target') : tf.zeros([1, 1, 1, 3]);
  afterAll(() => tf.dispose([pred, target]));

  const cases: Array<[string, string, (p: tf.Tensor, t: tf.Tensor) => tf.Scalar]> = [
    ['charbonnier', 'loss.reconstruction', charbonnierLoss],
    ['psnr loss', 'loss.psnr', psnrLoss],
    ['psnr value', 'loss.psnr_value', psnrValue],
    ['ssim loss', 'loss.ssim', ssimLoss],
    ['lab colour', 'loss.lab_color', labColorLoss],
  ];
  for (const [name, key, fn] of cases) {
    it(`${name} matches ${key} to 1e-5`, () => {
      const v = fn(pred, target);
      const err = Math.abs(v.dataSync()[0]! - ref(key));
      v.dispose();
      console.log(`[${tf.getBackend()}] ${key}: ref ${ref(key)}, |err| ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-5);
    });
  }

  it('composite without VGG matches loss.total_without_perceptual to 1e-5', () => {
    const aux = tf.scalar(ref('loss.auxiliary'));
    const before = tf.memory().numTensors;
    const { total, terms } = masrCompositeLoss(pred, target, aux);
    const got = total.dataSync()[0]!;
    const err = Math.abs(got - ref('loss.total_without_perceptual'));
    console.log(
      `[${tf.getBackend()}] loss.total_without_perceptual: ref ${ref('loss.total_without_perceptual')}, |err| ${err.toExponential(2)}`,
    );
    expect(err).toBeLessThan(1e-5);
    expect(terms.perceptual.dataSync()[0]).toBe(0);
    expect(Math.abs(terms.aux.dataSync()[0]! - ref('loss.auxiliary'))).toBe(0);
    // The recomputed total from the fixture's own terms, to show the weights are the reference's.
    const w = DEFAULT_LOSS_WEIGHTS;
    const fromRefTerms =
      w.charbonnier * ref('loss.reconstruction') +
      w.aux * ref('loss.auxiliary') +
      w.psnr * ref('loss.psnr') +
      w.ssim * ref('loss.ssim') +
      w.lab * ref('loss.lab_color');
    expect(Math.abs(fromRefTerms - ref('loss.total_without_perceptual'))).toBeLessThan(1e-6);
    tf.dispose([total, ...Object.values(terms)]);
    expect(tf.memory().numTensors).toBe(before);
    aux.dispose();
  });
});
