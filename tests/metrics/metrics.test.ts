import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { evaluatePair, gtMeanAlign, psnrMetric, ssimMetric, toRgb255, type RgbPixels } from '../../src/metrics';
import { randomArray } from '../helpers/gradcheck';

const H = 16;
const W = 20;
const img = (data: Float32Array | Uint8Array, h = H, w = W): RgbPixels => ({ data, height: h, width: w });
const noise = randomArray(H * W * 3, 3, 0.05, 0.95);
const other = randomArray(H * W * 3, 4, 0.05, 0.95);

describe('identical images', () => {
  it('PSNR is +Infinity (or the cap) and SSIM is exactly 1', () => {
    expect(psnrMetric(img(noise), img(noise))).toBe(Infinity);
    expect(psnrMetric(img(noise), img(noise), { maxDb: 100 })).toBe(100);
    expect(ssimMetric(img(noise), img(noise))).toBe(1);
    expect(evaluatePair(img(noise), img(noise))).toEqual({
      psnr: Infinity,
      ssim: 1,
      psnrGtMean: Infinity,
      ssimGtMean: 1,
      ssimUniform7: 1,
    });
  });
});

describe('values', () => {
  it('PSNR of constant 0.5 vs 0.6 is 20 dB (data range 255 on [0, 255] = data range 1 on [0, 1])', () => {
    const a = new Float32Array(H * W * 3).fill(0.5);
    const b = new Float32Array(H * W * 3).fill(0.6);
    expect(psnrMetric(img(a), img(b))).toBeCloseTo(20, 5);
    expect(psnrMetric(img(new Uint8Array(H * W * 3).fill(100)), img(new Uint8Array(H * W * 3).fill(110)))).toBeCloseTo(
      20 * Math.log10(25.5),
      10,
    );
  });

  it('SSIM of two flat images is (2ab + C1) / (a² + b² + C1), C1 = (0.01·255)²', () => {
    const a = new Uint8Array(H * W * 3).fill(60);
    const b = new Uint8Array(H * W * 3).fill(90);
    const c1 = (0.01 * 255) ** 2;
    expect(ssimMetric(img(a), img(b))).toBeCloseTo((2 * 60 * 90 + c1) / (60 ** 2 + 90 ** 2 + c1), 12);
  });

  it('GT-mean alignment undoes a global brightness scale, and clips', () => {
    const half = noise.map((v) => v * 0.5);
    expect(psnrMetric(img(half), img(noise))).toBeLessThan(15);
    expect(psnrMetric(img(half), img(noise), { gtMean: true })).toBe(Infinity);
    expect(ssimMetric(img(half), img(noise), { gtMean: true })).toBe(1);
    const aligned = gtMeanAlign(toRgb255(img(noise), 'x'), toRgb255(img(noise.map((v) => v * 0.2)), 'y'));
    expect(Math.max(...aligned.data)).toBeLessThanOrEqual(255);
    expect(Math.min(...aligned.data)).toBeGreaterThanOrEqual(0);
  });

  it(`tensors [H, W, 3] and [1, H, W, 3] give the RgbPixels numbers (${tf.getBackend()})`, () => {
    const t3 = tf.tensor3d(noise, [H, W, 3]);
    const o4 = tf.tensor4d(other, [1, H, W, 3]);
    const ref = evaluatePair(img(noise), img(other));
    expect(psnrMetric(t3, o4)).toBe(ref.psnr);
    expect(ssimMetric(t3, o4)).toBe(ref.ssim);
    expect(ssimMetric(t3, o4, { gtMean: true })).toBe(ref.ssimGtMean);
    expect(ref.ssim).toBeGreaterThan(-1);
    expect(ref.ssim).toBeLessThan(0.2);
    tf.dispose([t3, o4]);
  });
});

describe('errors', () => {
  it('names shape problems', () => {
    const t = tf.zeros([2, H, W, 3]);
    const four = tf.zeros([H, W, 4]);
    expect(() => psnrMetric(t, t)).toThrow(/expected a tensor \[H, W, 3\] or \[1, H, W, 3\], got \[2,16,20,3\]/);
    expect(() => ssimMetric(four, four)).toThrow(/got \[16,20,4\]/);
    expect(() => psnrMetric(img(noise), img(noise.subarray(3 * W), H - 1))).toThrow(
      /pred is 16x20 but target is 15x20/,
    );
    expect(() => psnrMetric(img(noise, H, W + 1), img(noise))).toThrow(
      /data has 960 values, expected height\*width\*3 = 1008/,
    );
    const small = new Float32Array(10 * 30 * 3);
    expect(() => ssimMetric(img(small, 10, 30), img(small, 10, 30))).toThrow(/at least 11x11, got 10x30/);
    tf.dispose([t, four]);
  });

  it('rejects out-of-range and NaN values (clip: true clips the former)', () => {
    const over = noise.slice();
    over[7] = 1.5;
    expect(() => psnrMetric(img(over), img(noise))).toThrow(/value 1\.5 at index 7 is outside \[0, 1\].*clip: true/);
    expect(() => psnrMetric(img(over), img(noise))).toThrow(RangeError);
    const clipped = over.slice();
    clipped[7] = 1;
    expect(psnrMetric(img(over), img(noise), { clip: true })).toBe(psnrMetric(img(clipped), img(noise)));
    const nan = noise.slice();
    nan[3] = NaN;
    expect(() => ssimMetric(img(noise), img(nan), { clip: true })).toThrow(/target: contains NaN \(at index 3\)/);
  });
});
