import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  applyColorMatrix,
  applyGamma,
  applyIsp,
  applySaturation,
  colorCorrectionStrength,
  colorMatrixFromParams,
  saturationFactor,
} from '../../src/isp/index';
import { fixtureTensor, hasFixtures, loadFixture } from '../helpers/fixtures';
import { gradCheck, maxAbsDiff, randomTensor, tensorLeak } from '../helpers/gradcheck';

const px = (v: number[], c = 3) => tf.tensor4d(v, [1, 1, v.length / c, c]);

/** kornia 0.8 rgb_to_hsv / hsv_to_rgb for one pixel, in plain JS (hue in radians). */
function hsvBoost(rgb: number[], factor: number): number[] {
  const [r, g, b] = rgb as [number, number, number];
  const v = Math.max(r, g, b);
  const mn = Math.min(r, g, b);
  const delta = v - mn;
  const s = delta / (v + 1e-8);
  const d = delta === 0 ? 1 : delta;
  let h6: number;
  if (r === v) h6 = (v - b - (v - g)) / d;
  else if (g === v) h6 = (v - r - (v - b) + 2 * d) / d;
  else h6 = (v - g - (v - r) + 4 * d) / d;
  const h = (((h6 / 6) % 1) + 1) % 1;
  const s2 = Math.min(Math.max(s * factor, 0), 1);
  const hi = Math.floor(h * 6) % 6;
  const f = ((h * 6) % 6) - hi;
  const p = v * (1 - s2);
  const q = v * (1 - f * s2);
  const t = v * (1 - (1 - f) * s2);
  const table = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ][hi]!;
  return table.map((x) => Math.min(Math.max(x, 1e-8), 1));
}

describe(`ISP ops (${tf.getBackend()})`, () => {
  it('applyColorMatrix: out_j = sum_i in_i (I + 0.5 P)[i][j], clamped; NaN results fall back to the input', () => {
    const image = px([0.2, 0.4, 0.6]);
    const p = [0.1, -0.2, 0.3, 0.05, 0.4, -0.1, -0.3, 0.2, 0.6];
    const params = px(p, 9);
    const m = p.map((v, i) => (i % 4 === 0 ? 1 : 0) + 0.5 * v);
    const expected = [0, 1, 2].map((j) =>
      Math.min(
        Math.max(
          [0.2, 0.4, 0.6].reduce((acc, x, i) => acc + x * m[3 * i + j]!, 0),
          1e-5,
        ),
        1,
      ),
    );
    const out = applyColorMatrix(image, params);
    expect(maxAbsDiff(out, expected)).toBeLessThan(1e-6);
    // Entries are clamped to ±3 before use.
    const big = colorMatrixFromParams(px([100, -100, 0, 0, 0, 0, 0, 0, 0], 9));
    expect(Array.from(big.dataSync()).slice(0, 2)).toEqual([3, -3]);
    const nan = applyColorMatrix(image, px([NaN, 0, 0, 0, 0, 0, 0, 0, 0], 9));
    expect(maxAbsDiff(nan, [0.2, 0.4, 0.6])).toBeLessThan(1e-7);
    expect(() => applyColorMatrix(image, px([1, 2, 3]))).toThrow(/params must be \[1, 1, 1, 9\]/);
    tf.dispose([image, params, out, big, nan]);
  });

  it('applyGamma: clamp((L + 1e-5)^(1 + g), 1e-5, 1)', () => {
    const image = px([0, 0.25, 0.9]);
    const gamma = tf.tensor4d([0.5], [1, 1, 1, 1]);
    const out = applyGamma(image, gamma);
    const expected = [0, 0.25, 0.9].map((l) => Math.min(Math.max((l + 1e-5) ** 1.5, 1e-5), 1));
    expect(maxAbsDiff(out, expected)).toBeLessThan(1e-7);
    tf.dispose([image, gamma, out]);
  });

  it('applySaturation: kornia HSV with S x (1.5 + 0.4 tanh(map)), matches a JS reference pixel by pixel', () => {
    const pixels = [0.2, 0.5, 0.3, 0.9, 0.1, 0.4, 0.3, 0.3, 0.3, 0.05, 0.2, 0.6, 0.7, 0.7, 0.2];
    const maps = [0.3, -2, 1, 0, 0.8];
    const image = px(pixels);
    const map = tf.tensor4d(maps, [1, 1, 5, 1]);
    const out = applySaturation(image, map);
    const expected = maps.flatMap((a, i) => hsvBoost(pixels.slice(3 * i, 3 * i + 3), 1.5 + 0.4 * Math.tanh(a)));
    expect(maxAbsDiff(out, expected)).toBeLessThan(2e-6);
    const factor = saturationFactor(map);
    expect(Math.min(...factor.dataSync())).toBeGreaterThan(1.1);
    tf.dispose([image, map, out, factor]);
  });

  it('colorCorrectionStrength: |off-diagonal| / (|diagonal| + 1e-8)', () => {
    const s = colorCorrectionStrength(px([3, 1, 0, 0, 4, 0, 2, 0, 0], 9));
    expect(s.dataSync()[0]).toBeCloseTo(Math.sqrt(5) / 5, 6);
    s.dispose();
  });

  it.skipIf(!hasFixtures)('applyIsp reproduces after_color, after_gamma and enhanced from the recorded maps', () => {
    const acts = loadFixture('activations');
    const nhwc = (k: string) => tf.tidy(() => tf.transpose(fixtureTensor(acts, k), [0, 2, 3, 1]) as tf.Tensor4D);
    const t = (k: string) => fixtureTensor(acts, k) as tf.Tensor4D;
    const input = nhwc('input');
    const maps = { color: t('color_params_map'), gamma: t('gamma_map'), saturation: t('saturation_map') };
    const stages: Record<string, tf.Tensor> = {};
    const out = applyIsp(input, maps, { record: (n, v) => (stages[n] = tf.keep(tf.clone(v))) });
    const refs = [t('after_color'), t('after_gamma'), nhwc('enhanced')];
    expect(maxAbsDiff(stages['after_color']!, refs[0]!)).toBeLessThan(1e-6);
    expect(maxAbsDiff(stages['after_gamma']!, refs[1]!)).toBeLessThan(1e-6);
    expect(maxAbsDiff(out, refs[2]!)).toBeLessThan(1e-6);
    tf.dispose([input, out, ...Object.values(maps), ...Object.values(stages), ...refs]);
  });

  it('applyIsp: gradients w.r.t. the three maps and the image match central differences; no leaks', () => {
    const image = randomTensor([1, 2, 3, 3], 1, 0.1, 0.8) as tf.Tensor4D;
    const color = randomTensor([1, 2, 3, 9], 2, -0.3, 0.3) as tf.Tensor4D;
    const gamma = randomTensor([1, 2, 3, 1], 3, -0.3, 0.3) as tf.Tensor4D;
    const sat = randomTensor([1, 2, 3, 1], 4, -0.5, 0.5) as tf.Tensor4D;
    const f = (i: tf.Tensor, c: tf.Tensor, g: tf.Tensor, s: tf.Tensor) =>
      applyIsp(i as tf.Tensor4D, { color: c as tf.Tensor4D, gamma: g as tf.Tensor4D, saturation: s as tf.Tensor4D });
    const { maxAbsError } = gradCheck(f, [image, color, gamma, sat], { eps: 1e-3 });
    for (const e of maxAbsError) expect(e).toBeLessThan(2e-2);
    expect(tensorLeak(() => tf.dispose(f(image, color, gamma, sat)))).toBe(0);
    tf.dispose([image, color, gamma, sat]);
  });
});
