// The denoiser layer: the layer contract, identity at initialisation, golden values against tfjs's own ops, gradients
// against numeric ones, and clear errors.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ResidualDenoiser, ops } from '../../../src/index';
import { gradCheck, maxAbsDiff, randomTensor } from '../../helpers/gradcheck';
import { runLayerTest } from '../../helpers/layer-test';

// The head starts at zero, so in the first step no gradient reaches the convolutions before it.
const BEFORE_HEAD = ['stem.kernel', 'stem.bias', 'blocks.0.conv1.kernel', 'blocks.0.conv1.bias'];
const BEFORE_HEAD_2 = [...BEFORE_HEAD, 'blocks.0.conv2.kernel', 'blocks.0.conv2.bias'];

/** A denoiser whose weights are all seeded random values (the head too, so every path counts). */
function randomised(options: ConstructorParameters<typeof ResidualDenoiser>[0], shapes: number[][]): ResidualDenoiser {
  const layer = new ResidualDenoiser(options).buildFor(shapes.map((s) => [null, ...s.slice(1)]));
  layer.setWeights(layer.getWeights().map((w, i) => randomTensor(w.shape, 100 + i, -0.2, 0.2)));
  return layer;
}

/** The same computation with tfjs's native conv2d and depthToSpace (tfjs has no spaceToDepth: the library's). */
function reference(layer: ResidualDenoiser, inputs: tf.Tensor4D[]): tf.Tensor {
  return tf.tidy(() => {
    const w = Object.fromEntries(layer.weights.map((v) => [v.originalName.split('/').pop()!, v.read()]));
    const conv = (x: tf.Tensor4D, name: string) =>
      tf.add(tf.conv2d(x, w[`${name}.kernel`] as tf.Tensor4D, 1, 'same'), w[`${name}.bias`]!) as tf.Tensor4D;
    const gelu = (x: tf.Tensor4D) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))) as tf.Tensor4D;
    let f = gelu(conv(ops.spaceToDepth(tf.concat(inputs, 3) as tf.Tensor4D, layer.scale), 'stem'));
    for (let i = 0; i < layer.numBlocks; i++)
      f = tf.add(f, conv(gelu(conv(f, `blocks.${i}.conv1`)), `blocks.${i}.conv2`)) as tf.Tensor4D;
    return tf.add(inputs[0]!, tf.depthToSpace(conv(f, 'head'), layer.scale));
  });
}

describe('ResidualDenoiser', () => {
  it('passes the layer contract with a gain map', async () => {
    await runLayerTest({
      make: () => new ResidualDenoiser({ channels: 4, blocks: 1 }),
      inputShapes: [
        [2, 4, 6, 3],
        [2, 4, 6, 1],
      ],
      trainableWeights: 8,
      nonTrainableWeights: 0,
      outputShape: [2, 4, 6, 3],
      unchangedByFit: BEFORE_HEAD_2,
    });
  });

  it('passes the layer contract on the image alone, scale 1', async () => {
    await runLayerTest({
      make: () => new ResidualDenoiser({ channels: 3, blocks: 0, scale: 1, conditionChannels: 0 }),
      inputShapes: [[1, 3, 5, 3]],
      trainableWeights: 4,
      nonTrainableWeights: 0,
      outputShape: [1, 3, 5, 3],
      unchangedByFit: ['stem.kernel', 'stem.bias'],
    });
  });

  it('returns its input exactly until trained (the head starts at zero)', () => {
    const x = randomTensor([1, 6, 8, 3], 1, 0, 1) as tf.Tensor4D;
    const g = randomTensor([1, 6, 8, 1], 2, 0, 3) as tf.Tensor4D;
    const layer = new ResidualDenoiser();
    const y = layer.apply([x, g]);
    expect(maxAbsDiff(y, x)).toBe(0);
    tf.dispose([x, g, y]);
    layer.dispose();
  });

  it('computes what tfjs native ops compute (3x3 convs, GELU, depth-to-space)', () => {
    const shapes = [
      [2, 6, 4, 3],
      [2, 6, 4, 1],
    ];
    const layer = randomised({ channels: 5, blocks: 2 }, shapes);
    const xs = shapes.map((s, i) => randomTensor(s, 20 + i) as tf.Tensor4D);
    const y = layer.apply(xs);
    const want = reference(layer, xs);
    expect(maxAbsDiff(y, xs[0]!)).toBeGreaterThan(0.05); // the residual is not zero here
    expect(maxAbsDiff(y, want)).toBeLessThan(1e-5);
    tf.dispose([xs, y, want]);
    layer.dispose();
  });

  it('has the gradients of its numeric differences (image and condition)', () => {
    const shapes = [
      [1, 4, 4, 3],
      [1, 4, 4, 1],
    ];
    const layer = randomised({ channels: 3, blocks: 1 }, shapes);
    const xs = shapes.map((s, i) => randomTensor(s, 40 + i) as tf.Tensor4D);
    const check = gradCheck((a, b) => layer.apply([a as tf.Tensor4D, b as tf.Tensor4D]), xs);
    expect(Math.max(...check.maxRelError)).toBeLessThan(2e-2);
    tf.dispose(xs);
    layer.dispose();
  });

  it('names the bad argument', () => {
    expect(() => new ResidualDenoiser({ channels: 0 })).toThrow(/ResidualDenoiser: channels/);
    expect(() => new ResidualDenoiser({ blocks: -1 })).toThrow(/blocks must be a non-negative integer/);
    const layer = new ResidualDenoiser({ channels: 2, blocks: 0 });
    const x = tf.zeros([1, 5, 4, 3]) as tf.Tensor4D;
    expect(() => layer.apply(x)).toThrow(/expected \[image, condition\]/);
    expect(() => layer.apply([x, tf.zeros([1, 5, 4, 1])])).toThrow(/multiples of scale 2/);
    expect(() => layer.apply([tf.zeros([1, 4, 4, 2]), tf.zeros([1, 4, 4, 1])])).toThrow(/image \[B, H, W, 3\]/);
    tf.dispose(x);
    layer.dispose();
  });
});
