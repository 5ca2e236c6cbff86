import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  charbonnierLoss,
  DEFAULT_LOSS_WEIGHTS,
  labColorLoss,
  masrCompositeLoss,
  psnrLoss,
  psnrValue,
  rgbToLabAB,
  ssimLoss,
  VggPerceptualLoss,
} from '../../src/losses';
import { randomTensor, tensorLeak } from '../helpers/gradcheck';

const value = (t: tf.Tensor): number => {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
};
const a = randomTensor([2, 12, 12, 3], 1, 0, 1);
const b = randomTensor([2, 12, 12, 3], 2, 0, 1);
afterAll(() => tf.dispose([a, b]));

describe('losses on identical images', () => {
  it('give their minima, with finite (zero) gradients', () => {
    expect(value(charbonnierLoss(a, a))).toBeCloseTo(1e-3, 9);
    expect(value(psnrValue(a, a))).toBe(Infinity);
    expect(value(psnrLoss(a, a))).toBe(0);
    expect(value(ssimLoss(a, a))).toBeLessThan(1e-6);
    expect(value(labColorLoss(a, a))).toBe(0);
    // The reference would produce NaN here (clamped log of 1/0); the floored MSE keeps the gradient at 0.
    const g = tf.grad((p: tf.Tensor) => psnrLoss(p, a))(a);
    expect(tf.any(tf.isNaN(g)).dataSync()[0]).toBe(0);
    expect(tf.max(tf.abs(g)).dataSync()[0]).toBe(0);
    g.dispose();
  });
});

describe('loss values', () => {
  it('psnrValue is 10 log10(1 / MSE) over the whole batch and psnrLoss = (50 - psnr) / 50', () => {
    const p = tf.fill([2, 8, 8, 3], 0.5);
    const t = tf.concat([tf.fill([1, 8, 8, 3], 0.6), tf.fill([1, 8, 8, 3], 0.3)]);
    const mse = (0.1 ** 2 + 0.2 ** 2) / 2;
    const psnr = 10 * Math.log10(1 / mse);
    expect(value(psnrValue(p, t))).toBeCloseTo(psnr, 4);
    expect(value(psnrLoss(p, t))).toBeCloseTo((50 - psnr) / 50, 6);
    tf.dispose([p, t]);
  });

  it('charbonnier is mean(sqrt(d^2 + eps^2)) with a configurable eps', () => {
    const p = tf.fill([1, 4, 4, 3], 0.2);
    const t = tf.fill([1, 4, 4, 3], 0.5);
    expect(value(charbonnierLoss(p, t))).toBeCloseTo(Math.sqrt(0.09 + 1e-6), 6);
    expect(value(charbonnierLoss(p, t, 0.4))).toBeCloseTo(0.5, 6);
    tf.dispose([p, t]);
  });

  it('rgbToLabAB gives the textbook a*, b* of the sRGB primaries (clamped to ±128)', () => {
    const rgb = tf.tensor4d([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1], [1, 2, 2, 3]);
    const ab = rgbToLabAB(rgb).dataSync();
    // CIE Lab (D65) of sRGB red, green, blue, white; green's a* = -86.18 and blue's b* = -107.86 stay inside ±128.
    const expected = [80.11, 67.22, -86.18, 83.18, 79.19, -107.86, 0, 0];
    expected.forEach((e, i) => expect(Math.abs(ab[i]! - e)).toBeLessThan(0.05));
    rgb.dispose();
  });

  it('NaN inputs give 0 for the guarded terms, like the reference', () => {
    const nan = tf.tidy(() => tf.where(tf.greater(a, 0.5), tf.fill(a.shape, NaN), a));
    expect(value(psnrLoss(nan, b))).toBe(0);
    expect(value(ssimLoss(nan, b))).toBe(0);
    expect(value(labColorLoss(nan, b))).toBe(0);
    expect(Number.isNaN(value(charbonnierLoss(nan, b)))).toBe(true); // the reference does not guard Charbonnier
    // Infinite values are not NaN: LAB clamps them and scores the result; PSNR's infinite MSE clamps to 0 dB (loss 1).
    const inf = tf.tidy(() => tf.where(tf.greater(a, 0.5), tf.fill(a.shape, Infinity), a));
    expect(value(labColorLoss(inf, b))).toBeCloseTo(value(labColorLoss(tf.clipByValue(inf, 0, 1), b)), 4);
    expect(value(psnrLoss(inf, b))).toBe(1);
    tf.dispose([nan, inf]);
  });

  it('LAB clamps inputs to [0, 1] (out-of-range predictions cost like their clamped values)', () => {
    const over = tf.tidy(() => tf.add(a, tf.mul(tf.greater(a, 0.9), 5)));
    expect(value(labColorLoss(over, b))).toBeCloseTo(value(labColorLoss(tf.clipByValue(over, 0, 1), b)), 4);
    over.dispose();
  });
});

describe('loss argument errors', () => {
  const losses: Array<[string, (p: tf.Tensor, t: tf.Tensor) => tf.Scalar]> = [
    ['charbonnierLoss', charbonnierLoss],
    ['psnrLoss', psnrLoss],
    ['psnrValue', psnrValue],
    ['ssimLoss', ssimLoss],
    ['labColorLoss', labColorLoss],
  ];
  for (const [name, fn] of losses) {
    it(`${name} names mismatched or non-NHWC shapes`, () => {
      const c = tf.zeros([2, 12, 10, 3]);
      const r3 = tf.zeros([12, 12, 3]);
      expect(() => fn(a, c)).toThrow(new RegExp(`${name}: pred \\[2,12,12,3\\] and target \\[2,12,10,3\\]`));
      expect(() => fn(r3, r3)).toThrow(/NHWC tensor \[B, H, W, C\], got shape \[12,12,3\]/);
      tf.dispose([c, r3]);
    });
  }
  it('labColorLoss and the composite need 3 channels; SSIM needs H, W > 5', () => {
    const four = tf.zeros([1, 12, 12, 4]);
    const small = tf.zeros([1, 5, 12, 3]);
    expect(() => labColorLoss(four, four)).toThrow(/3 \(RGB\) channels/);
    expect(() => masrCompositeLoss(four, four, 0)).toThrow(/3 \(RGB\) channels/);
    expect(() => ssimLoss(small, small)).toThrow(/too small for a 11-tap.*must be > 5/);
    expect(() => charbonnierLoss(a, b, 0)).toThrow(/eps must be > 0/);
    tf.dispose([four, small]);
  });
});

describe('masrCompositeLoss', () => {
  it('total = Σ weight · term, perceptual included only with a VGG; overrides apply', () => {
    const vgg = VggPerceptualLoss.randomForTesting(5);
    const aux = tf.scalar(0.25);
    const w = { ...DEFAULT_LOSS_WEIGHTS, ssim: 0.5, perceptual: 2 };
    const r = masrCompositeLoss(a, b, aux, { weights: { ssim: 0.5, perceptual: 2 }, perceptual: vgg });
    const t = Object.fromEntries(Object.entries(r.terms).map(([k, v]) => [k, v.dataSync()[0]!])) as Record<
      keyof typeof w,
      number
    >;
    expect(t.perceptual).toBeGreaterThan(0);
    expect(t.aux).toBeCloseTo(0.25, 7);
    expect(t.charbonnier).toBeCloseTo(value(charbonnierLoss(a, b)), 7);
    const expected = (Object.keys(w) as (keyof typeof w)[]).reduce((s, k) => s + w[k] * t[k], 0);
    expect(r.total.dataSync()[0]).toBeCloseTo(expected, 5);

    const noVgg = masrCompositeLoss(a, b, aux, { weights: { perceptual: 2 } });
    expect(noVgg.terms.perceptual.dataSync()[0]).toBe(0);
    expect(noVgg.total.dataSync()[0]).toBeCloseTo(expected - w.perceptual * t.perceptual - (0.5 - 0.15) * t.ssim, 5);
    expect(() => masrCompositeLoss(a, b, aux, { weights: { lab: NaN } })).toThrow(
      /weight 'lab' must be a finite number/,
    );
    expect(() => masrCompositeLoss(a, b, tf.zeros([2]) as unknown as tf.Scalar)).toThrow(/aux must be a scalar/);
    tf.dispose([r.total, ...Object.values(r.terms), noVgg.total, ...Object.values(noVgg.terms), aux]);
    vgg.dispose();
  });

  it('trains through optimizer.minimize without leaking tensors', () => {
    const vgg = VggPerceptualLoss.randomForTesting(6);
    const x = tf.variable(randomTensor([1, 8, 8, 3], 9, 0.2, 0.8));
    const target = randomTensor([1, 8, 8, 3], 10, 0.2, 0.8);
    const opt = tf.train.adam(0.02);
    const step = () => value(opt.minimize(() => masrCompositeLoss(x, target, 0.1, { perceptual: vgg }).total, true)!);
    const first = step();
    expect(tensorLeak(() => void step())).toBe(0);
    step();
    expect(step()).toBeLessThan(first);
    tf.dispose([x, target]);
    opt.dispose();
    vgg.dispose();
  });

  it('does not leak (value and gradient)', () => {
    const leak = tensorLeak(() => {
      const r = masrCompositeLoss(a, b, 0.1);
      tf.dispose([r.total, ...Object.values(r.terms)]);
      tf.dispose(tf.grad((p: tf.Tensor) => masrCompositeLoss(p, b, 0.1).total)(a));
    });
    expect(leak).toBe(0);
  });
});
