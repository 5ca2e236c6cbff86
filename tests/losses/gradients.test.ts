import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  charbonnierLoss,
  labColorLoss,
  masrCompositeLoss,
  psnrLoss,
  ssimLoss,
  VggPerceptualLoss,
} from '../../src/losses';
import { randomTensor } from '../helpers/gradcheck';
import { checkScalarGradient } from './numeric-gradient';

// Numeric-gradient checks on tiny inputs; every test file runs on cpu and on wasm.
// pred in [0.1, 0.9]; target = pred + d with 0.03 <= |d| <= 0.15, so SSIM stays inside (0, 1) and no clamp or
// |.| kink (nor Charbonnier's 1e-3-wide bend at d = 0) is crossed by the finite-difference steps.
const shape = [1, 16, 16, 3];
const pred = randomTensor(shape, 11, 0.1, 0.9);
const target = tf.tidy(() => {
  const u = randomTensor(shape, 12, -0.12, 0.12);
  return tf.clipByValue(tf.add(pred, tf.add(u, tf.mul(tf.sign(u), 0.03))), 0.02, 0.98);
});
afterAll(() => tf.dispose([pred, target]));

function report(name: string, r: { relativeError: number; maxAbsError: number; gradScale: number }): void {
  console.log(
    `[${tf.getBackend()}] ${name}: max |err| ${r.maxAbsError.toExponential(2)} vs max |grad| ${r.gradScale.toExponential(2)} (rel ${r.relativeError.toExponential(2)})`,
  );
}

describe('loss gradients match central differences', () => {
  const cases: Array<[string, (p: tf.Tensor, t: tf.Tensor) => tf.Scalar, number]> = [
    ['charbonnierLoss', charbonnierLoss, 1e-2],
    ['psnrLoss', psnrLoss, 1e-2],
    ['ssimLoss', ssimLoss, 1e-2],
    ['labColorLoss', labColorLoss, 1e-3],
  ];
  for (const [name, fn, eps] of cases) {
    it(`${name} w.r.t. pred and target`, () => {
      for (const which of [0, 1]) {
        const r = checkScalarGradient(fn, [pred, target], which, { eps });
        report(`${name} d/d${which ? 'target' : 'pred'}`, r);
        expect(r.nonZero).toBeGreaterThan(20);
        expect(r.relativeError).toBeLessThan(2e-2);
      }
    });
  }

  it('labColorLoss on dark pixels (the linear sRGB and 7.787 t + 16/116 branches)', () => {
    const dp = randomTensor(shape, 31, 0.005, 0.035);
    const dt = randomTensor(shape, 32, 0.005, 0.035);
    for (const which of [0, 1]) {
      const r = checkScalarGradient(labColorLoss, [dp, dt], which, { eps: 2e-4 });
      report(`labColorLoss (dark) d/d${which ? 'target' : 'pred'}`, r);
      expect(r.nonZero).toBeGreaterThan(20);
      expect(r.relativeError).toBeLessThan(2e-2);
    }
    tf.dispose([dp, dt]);
  });

  it('VggPerceptualLoss (random weights, 1x8x8x3) w.r.t. pred', () => {
    const vgg = VggPerceptualLoss.randomForTesting(3);
    const p = randomTensor([1, 8, 8, 3], 21, 0.1, 0.9);
    const t = randomTensor([1, 8, 8, 3], 22, 0.1, 0.9);
    const r = checkScalarGradient((a, b) => vgg.compute(a, b), [p, t], 0, { eps: 1e-3, probes: 16 });
    report('VggPerceptualLoss d/dpred', r);
    expect(r.nonZero).toBeGreaterThan(10);
    expect(r.relativeError).toBeLessThan(2e-2);
    tf.dispose([p, t]);
    vgg.dispose();
  });

  it('masrCompositeLoss total w.r.t. pred and aux (with a random VGG)', () => {
    const vgg = VggPerceptualLoss.randomForTesting(4);
    const aux = tf.scalar(0.37);
    const total = (p: tf.Tensor, a: tf.Tensor) =>
      masrCompositeLoss(p, target, a as tf.Scalar, { perceptual: vgg }).total;
    const r = checkScalarGradient(total, [pred, aux], 0, { eps: 3e-3, probes: 12 });
    report('masrCompositeLoss d/dpred', r);
    expect(r.relativeError).toBeLessThan(2e-2);
    const da = tf.tidy(
      () =>
        tf
          .grad((a: tf.Tensor) => total(pred, a))(aux)
          .dataSync()[0]!,
    );
    expect(da).toBeCloseTo(0.1067, 6);
    tf.dispose(aux);
    vgg.dispose();
  });
});
