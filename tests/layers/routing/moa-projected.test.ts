import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { MasrBlock, NeighbourSearcher } from '../../../src/layers/exports-blocks';
import { MixtureOfAttention } from '../../../src/layers/exports-routing';
import { linear } from '../../../src/ops';
import { maxAbsDiff, randomTensor, tensorLeak } from '../../helpers/gradcheck';
import { projectedSum, randomizeWeights, weightGrads } from './helpers';

const cleanup: tf.TensorContainer[] = [];
afterEach(() => {
  tf.dispose(cleanup.splice(0));
});
const keep = <T extends tf.TensorContainer>(t: T): T => {
  cleanup.push(t);
  return t;
};

describe(`key/value projected before the attention (${tf.getBackend()})`, () => {
  it('MixtureOfAttention.callProjected on projectKeyValue equals call: outputs and every weight gradient', () => {
    const q = keep(randomTensor([2, 3, 2, 8], 1));
    const k = keep(randomTensor([2, 3, 5, 8], 2));
    const v = keep(randomTensor([2, 3, 5, 8], 3));
    const layer = new MixtureOfAttention({
      numExperts: 3,
      k: 2,
      headDim: 4,
      positionBias: 'aligned',
      numPositions: 5,
      seed: 1,
    });
    tf.dispose(layer.apply([q, k, v]) as tf.Tensor);
    randomizeWeights(layer, 7);
    const direct = () => layer.apply([q, k, v]) as tf.Tensor;
    const projected = () =>
      tf.tidy(() => {
        const [kp, vp] = layer.projectKeyValue(k, v);
        expect(kp.shape).toEqual([2, 3, 5, 4]);
        return layer.callProjected([q, kp, vp]);
      });
    const a = keep(direct());
    const b = keep(projected());
    expect(b.shape).toEqual([2, 3, 2, 8]);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-6);
    const ga = weightGrads(layer, () => projectedSum(direct()));
    cleanup.push([...ga.values()]);
    const gb = weightGrads(layer, () => projectedSum(projected()));
    cleanup.push([...gb.values()]);
    expect([...gb.keys()].sort()).toEqual([...ga.keys()].sort());
    for (const [name, g] of ga) {
      const scale = Math.max(
        1e-3,
        tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!),
      );
      expect(maxAbsDiff(g, gb.get(name)!) / scale, name).toBeLessThan(1e-5);
    }
    // The layer keeps its latest aux losses and routing (replaced per call): count from the steady state.
    tf.dispose(projected());
    expect(tensorLeak(() => tf.dispose(projected()))).toBe(0);
  });

  it('projectKeyValue and callProjected refuse an unbuilt layer, wrong widths and wrong input counts', () => {
    const fresh = new MixtureOfAttention({ numExperts: 2, k: 1, headDim: 4 });
    const q = keep(randomTensor([1, 2, 2, 8], 1));
    expect(() => fresh.projectKeyValue(q)).toThrow(/needs a built layer/);
    tf.dispose(fresh.apply(q) as tf.Tensor);
    expect(() => fresh.projectKeyValue(keep(tf.zeros([1, 2, 3, 6])))).toThrow(/key must be \[\.\.\., d=8\]/);
    const [kp, vp] = keep(fresh.projectKeyValue(q));
    expect(() => fresh.callProjected([q, kp!])).toThrow(/expects \[query, key, value\]/);
    // Unprojected key/value (width d = 8) are refused: they must have the head width.
    expect(() => fresh.callProjected([q, q, q])).toThrow(/must be \[B, P, Tk, headDim=4\]/);
    expect(keep(fresh.callProjected([q, kp!, vp!])).shape).toEqual([1, 2, 2, 8]);
  });

  it('NeighbourSearcher: gatherPadded of the projected ringed grid is the projection of each neighbour, bias outside', () => {
    const [h, w, l, d, o] = [3, 4, 2, 5, 3];
    const grid = keep(randomTensor([1, h, w, l, d], 4));
    const searcher = new NeighbourSearcher({});
    const wt = keep(randomTensor([d, o], 5)) as tf.Tensor2D;
    const bias = keep(randomTensor([o], 6)) as tf.Tensor1D;
    const padded = keep(NeighbourSearcher.pad(grid));
    expect(padded.shape).toEqual([1, h + 2, w + 2, l, d]);
    const got = keep(searcher.gatherPadded(linear(padded, wt, bias)));
    expect(got.shape).toEqual([1, h * w, l * 8, o]);
    // Reference by index: token l*8 + j of window (y, x) is slot l of the cell at offset j of the 3x3 block (raster
    // order without the centre), projected; a cell outside the grid is a zero vector, which projects to the bias.
    const g = grid.dataSync();
    const wv = wt.dataSync();
    const bv = bias.dataSync();
    const want = new Float64Array(h * w * l * 8 * o);
    const offsets = [0, 1, 2, 3, 5, 6, 7, 8];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let s = 0; s < l; s++) {
          offsets.forEach((cell, j) => {
            const [yy, xx] = [y + Math.floor(cell / 3) - 1, x + (cell % 3) - 1];
            const inside = yy >= 0 && yy < h && xx >= 0 && xx < w;
            for (let c = 0; c < o; c++) {
              let v = bv[c]!;
              if (inside) for (let k = 0; k < d; k++) v += g[((yy * w + xx) * l + s) * d + k]! * wv[k * o + c]!;
              want[((y * w + x) * l * 8 + s * 8 + j) * o + c] = v;
            }
          });
        }
      }
    }
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    expect(() => searcher.gatherPadded(keep(tf.zeros([1, 2, 4, 2, 5])))).toThrow(/ringed grid needs/);
  });

  it('MasrBlock.forward takes projected key/value and gives what the raw key/value give', () => {
    const block = new MasrBlock({
      crossAttention: true,
      attentionExperts: 2,
      headDim: 4,
      moeExperts: 2,
      moeHiddenSizes: [8],
    });
    const x = keep(randomTensor([1, 2, 3, 8], 7));
    const kv = keep(randomTensor([1, 2, 6, 8], 8));
    keep(block.apply([x, kv]) as tf.Tensor);
    const direct = keep(block.forward(x, kv));
    const [key, value] = keep(block.attention.projectKeyValue(kv));
    const projected = keep(block.forward(x, { key: key!, value: value! }));
    expect(maxAbsDiff(direct, projected)).toBeLessThan(1e-6);
    expect(() => new MasrBlock({}).forward(x, kv)).toThrow(/only taken with crossAttention/);
  });
});
