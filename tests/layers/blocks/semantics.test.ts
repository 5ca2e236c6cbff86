import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import {
  AntiCheckerboard,
  BoundaryAwareSmoothing,
  EnhancedFFN,
  MultiScaleParamSmoother,
  NeighbourSearcher,
  PatchEmbedding,
  windowParamsToMap,
  windowPartition,
  windowReverse,
} from '../../../src/layers/exports-blocks';
import { gradCheck, maxAbsDiff, randomTensor, tensorLeak } from '../../helpers/gradcheck';

describe(`block semantics (${tf.getBackend()})`, () => {
  it('windowPartition: windows row-major over the grid, tokens row-major inside; windowReverse inverts it', () => {
    const [hp, wp, ws] = [4, 6, 2];
    const x = tf.tensor4d(
      Array.from({ length: hp * wp }, (_, i) => Math.floor(i / wp) * 100 + (i % wp)),
      [1, hp, wp, 1],
    );
    const win = windowPartition(x, ws);
    expect(win.shape).toEqual([1, 6, 4, 1]);
    const v = win.dataSync();
    for (let p = 0; p < 6; p++) {
      for (let t = 0; t < 4; t++) {
        const [wy, wx, ty, tx] = [Math.floor(p / 3), p % 3, Math.floor(t / 2), t % 2];
        expect(v[p * 4 + t]).toBe((2 * wy + ty) * 100 + 2 * wx + tx);
      }
    }
    const back = windowReverse(win, 2, 3, ws);
    expect(maxAbsDiff(back, x)).toBe(0);
    expect(() => windowPartition(tf.zeros([1, 3, 4, 1]) as tf.Tensor4D, 2)).toThrow(/not a multiple/);
    tf.dispose([x, win, back]);
  });

  it('NeighbourSearcher: token l*8 + n is slot l of neighbour n (raster 3x3 without centre), zeros outside the grid', () => {
    const [h, w, l] = [2, 3, 2];
    const value = (r: number, c: number, s: number) => 10 * (r * w + c) + s + 1;
    const data: number[] = [];
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) for (let s = 0; s < l; s++) data.push(value(r, c, s));
    const grid = tf.tensor(data, [1, h, w, l, 1]);
    const out = new NeighbourSearcher({}).apply(grid) as tf.Tensor;
    expect(out.shape).toEqual([1, h * w, l * 8, 1]);
    const got = out.dataSync();
    const offsets = [
      [-1, -1],
      [-1, 0],
      [-1, 1],
      [0, -1],
      [0, 1],
      [1, -1],
      [1, 0],
      [1, 1],
    ];
    for (let p = 0; p < h * w; p++) {
      const [r, c] = [Math.floor(p / w), p % w];
      for (let s = 0; s < l; s++) {
        offsets.forEach(([dy, dx], n) => {
          const [rr, cc] = [r + dy!, c + dx!];
          const inside = rr >= 0 && rr < h && cc >= 0 && cc < w;
          expect(got[p * l * 8 + s * 8 + n]).toBe(inside ? value(rr, cc, s) : 0);
        });
      }
    }
    tf.dispose([grid, out]);
  });

  it('windowParamsToMap: fine values placed per pixel, coarse = window means bilinearly upsampled (align_corners=False)', () => {
    // Two windows of 2x2 pixels side by side, one parameter per pixel.
    const params = tf.tensor4d([1, 2, 3, 4, 10, 20, 30, 40], [1, 1, 2, 4]);
    const fineOnly = windowParamsToMap(params, { windowPixels: 2, channels: 1, coarseWeight: 0, fineWeight: 1 });
    expect(Array.from(fineOnly.dataSync())).toEqual([1, 2, 10, 20, 3, 4, 30, 40]);
    const coarseOnly = windowParamsToMap(params, { windowPixels: 2, channels: 1, coarseWeight: 1, fineWeight: 0 });
    const [a, b] = [2.5, 25];
    const row = [a, 0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b, b];
    expect(maxAbsDiff(coarseOnly, [...row, ...row])).toBeLessThan(1e-5);
    const mix = windowParamsToMap(params, { windowPixels: 2, channels: 1 });
    const expected = [...row, ...row].map((c, i) => 0.9 * c + 0.1 * [1, 2, 10, 20, 3, 4, 30, 40][i]!);
    expect(maxAbsDiff(mix, expected)).toBeLessThan(1e-5);
    // Colour layout: value index = pixel * C + param.
    const colour = tf.tensor4d(
      Array.from({ length: 4 * 9 }, (_, i) => i),
      [1, 1, 1, 36],
    );
    const fine9 = windowParamsToMap(colour, { windowPixels: 2, channels: 9, coarseWeight: 0, fineWeight: 1 });
    expect(Array.from(fine9.dataSync())).toEqual(Array.from({ length: 36 }, (_, i) => i));
    tf.dispose([params, fineOnly, coarseOnly, mix, colour, fine9]);
  });

  const layers: [string, () => tfl.layers.Layer, number[]][] = [
    ['AntiCheckerboard', () => new AntiCheckerboard({ residualWeight: 0.7 }), [1, 4, 5, 2]],
    ['MultiScaleParamSmoother', () => new MultiScaleParamSmoother({ residualWeight: 0.7 }), [1, 8, 8, 2]],
    ['BoundaryAwareSmoothing', () => new BoundaryAwareSmoothing({ residualWeight: 0.7 }), [1, 6, 7, 2]],
    ['EnhancedFFN', () => new EnhancedFFN({ residualWeight: 0.7 }), [2, 3, 3]],
    [
      'PatchEmbedding',
      () => new PatchEmbedding({ patchSize: 2, embedDim: 8, stemChannels: 4, groups: 2 }),
      [1, 4, 4, 3],
    ],
  ];
  for (const [name, make, shape] of layers) {
    it(`${name}: input gradient matches central differences, every weight gets a gradient, no leaks`, () => {
      const layer = make();
      const x = randomTensor(shape, 5);
      tf.dispose(layer.apply(x) as tf.Tensor);
      // Move weights off their symmetric initial values so the check is not degenerate.
      layer.weights.forEach((w, i) =>
        w.write(tf.tidy(() => tf.add(w.read(), tf.mul(randomTensor(w.shape as number[], 50 + i), 0.3)))),
      );
      const { maxRelError } = gradCheck((xi) => layer.apply(xi) as tf.Tensor, [x], { eps: 1e-2 });
      expect(maxRelError[0]).toBeLessThan(2e-2);
      const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const r = randomTensor(layer.computeOutputShape(shape) as number[], 9);
      const { grads, value } = tf.variableGrads(
        () => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, r)) as tf.Scalar,
        vars,
      );
      for (const v of vars) expect(tf.max(tf.abs(grads[v.name]!)).dataSync()[0]).toBeGreaterThan(0);
      tf.dispose([value, ...Object.values(grads), r]);
      expect(tensorLeak(() => tf.dispose(layer.apply(x) as tf.Tensor))).toBe(0);
      x.dispose();
      layer.dispose();
    });
  }

  it('clear errors for wrong shapes and options', () => {
    expect(() => new PatchEmbedding({ patchSize: 0 })).toThrow(/patchSize must be a positive integer/);
    expect(() => new PatchEmbedding({ patchSize: 2, embedDim: 10, groups: 4 })).toThrow(/not divisible/);
    expect(() => new NeighbourSearcher({ neighbourIndices: [9] })).toThrow(/0\.\.8/);
    const ac = new AntiCheckerboard({});
    tf.dispose(ac.apply(tf.zeros([1, 4, 4, 2])) as tf.Tensor);
    expect(() => ac.apply(tf.zeros([1, 4, 4, 3]))).toThrow(/last dimension 2/);
    expect(() => windowParamsToMap(tf.zeros([1, 1, 1, 5]) as tf.Tensor4D, { windowPixels: 2, channels: 1 })).toThrow(
      /expected 4 values/,
    );
    ac.dispose();
  });
});
