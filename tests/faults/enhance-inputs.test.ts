import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { MASRNet } from '../../src/models/index';
import { TINY_MODEL } from '../cli/helpers';

// Issue 13, items 7 and 13: bad enhance inputs are refused with one line naming the argument and what was expected,
// before anything runs, leaking nothing, and the backend keeps working afterwards. Runs on cpu and wasm.
const model = MASRNet.create('lolv1', TINY_MODEL as never);
afterAll(() => model.dispose());

const image = (h: number, w: number, value = 0.4) => tf.fill([1, h, w, 3], value) as tf.Tensor4D;

/** The error `call` throws, checking it leaves no tensor behind. */
function refusal(call: () => unknown): string {
  const before = tf.memory().numTensors;
  let message = '';
  try {
    call();
  } catch (e) {
    message = (e as Error).message;
  }
  expect(tf.memory().numTensors).toBe(before);
  expect(message, 'expected an error').not.toBe('');
  expect(message).not.toContain('\n');
  return message;
}

/** A small enhance still gives a finite, in-range result (the backend survived). */
function stillWorks(): void {
  const x = image(16, 16);
  const y = model.enhance(x);
  const v = y.dataSync();
  expect(v.every((a) => Number.isFinite(a) && a >= 0 && a <= 1)).toBe(true);
  tf.dispose([x, y]);
}

describe('enhance inputs (issue 13)', () => {
  it('an all-NaN image is refused, not enhanced to black', () => {
    const x = image(16, 16, NaN);
    expect(refusal(() => model.enhance(x))).toMatch(/MASRNet\.enhance: images contains NaN.*\[0, 1\]/);
    x.dispose();
  });

  it('a single NaN pixel is refused', () => {
    const x = tf.buffer([1, 16, 16, 3], 'float32', new Float32Array(16 * 16 * 3).fill(0.4));
    x.set(NaN, 0, 7, 9, 1);
    const t = x.toTensor() as tf.Tensor4D;
    expect(refusal(() => model.enhanceWithMaps(t))).toMatch(/MASRNet\.enhanceWithMaps: images contains NaN/);
    t.dispose();
  });

  it('values outside [0, 1] are refused, naming the range found', () => {
    const x = tf.tidy(
      () => tf.mul(image(16, 16, 0.6), tf.reshape(tf.linspace(0, 2, 16), [1, 1, 16, 1])) as tf.Tensor4D,
    );
    expect(refusal(() => model.enhance(x))).toMatch(/must hold values in \[0, 1\], got \[0, 1\.2\d*\]/);
    x.dispose();
    const neg = image(16, 16, -0.25);
    expect(refusal(() => model.enhance(neg))).toMatch(/got \[-0\.25, -0\.25\]/);
    neg.dispose();
  });

  it('an int32 tensor is refused, naming the dtype and the conversion', () => {
    const x = tf.fill([1, 16, 16, 3], 128, 'int32') as tf.Tensor4D;
    expect(refusal(() => model.enhance(x))).toMatch(/must be float32 in \[0, 1\], got int32 .*255/);
    x.dispose();
  });

  it('a bool tensor is refused and the next enhance still works', () => {
    const x = tf.fill([1, 16, 16, 3], 1, 'bool') as tf.Tensor4D;
    expect(refusal(() => model.enhance(x))).toMatch(/got bool/);
    x.dispose();
    stillWorks();
  });

  it('wrong shapes and disposed tensors are refused', () => {
    const x = tf.zeros([16, 16, 3]) as unknown as tf.Tensor4D;
    expect(refusal(() => model.enhance(x))).toMatch(/must be \[B, H, W, 3\].*got \[16,16,3\]/);
    x.dispose();
    expect(refusal(() => model.enhance(x))).toMatch(/has been disposed/);
    expect(refusal(() => model.enhance([[0.5]] as never))).toMatch(/must be a tf\.Tensor \[B, H, W, 3\], got object/);
  });

  it('computeLoss and trainStep refuse int32 inputs naming the argument', () => {
    const x = tf.fill([1, 16, 16, 3], 1, 'int32') as tf.Tensor4D;
    const y = image(16, 16);
    const sgd = tf.train.sgd(0);
    expect(refusal(() => model.computeLoss(y, x))).toMatch(/MASRNet\.computeLoss: target must be float32/);
    expect(refusal(() => model.trainStep(sgd, x, y))).toMatch(/MASRNet\.trainStep: input must be float32/);
    tf.dispose([x, y]);
    sgd.dispose();
  });

  it('an image above the pixel limit gets a size error naming the limit, and a following small enhance works', () => {
    model.maxPixels = 32 * 32;
    try {
      const x = image(40, 32);
      expect(refusal(() => model.enhance(x))).toMatch(/1x40x32 = 1280 pixels, above the limit of 1024.*enhanceTiled/);
      x.dispose();
      stillWorks();
    } finally {
      model.maxPixels = 1_500_000;
    }
  });

  it('enhanceTiled enhances an image above the limit tile by tile, reporting each tile', () => {
    model.maxPixels = 64 * 64;
    try {
      const x = tf.tidy(() => tf.mul(tf.randomUniform([2, 96, 80, 3], 0, 1, 'float32', 3), 1) as tf.Tensor4D);
      const before = tf.memory().numTensors;
      const progress: string[] = [];
      const y = model.enhanceTiled(x, { tile: 64, onTile: (d, t) => progress.push(`${d}/${t}`) });
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(y.shape).toEqual([2, 96, 80, 3]);
      expect(y.dataSync().every((v) => Number.isFinite(v))).toBe(true);
      // 2 rows x 2 columns of 64-pixel tiles per image, two images.
      expect(progress).toEqual(['1/8', '2/8', '3/8', '4/8', '5/8', '6/8', '7/8', '8/8']);
      // One tile covering the whole image is exactly the whole-image enhance.
      const one = tf.slice(x, [0, 0, 0, 0], [1, 64, 48, 3]) as tf.Tensor4D;
      const whole = model.enhance(one);
      const tiled = model.enhanceTiled(one, { tile: 64 });
      expect(Array.from(tiled.dataSync())).toEqual(Array.from(whole.dataSync()));
      tf.dispose([x, y, one, whole, tiled]);
    } finally {
      model.maxPixels = 1_500_000;
    }
  });

  it('a tile below the minimum is refused, naming it', () => {
    const x = image(16, 16);
    expect(refusal(() => model.enhanceTiled(x, { tile: 1 }))).toMatch(/tile must be .* at least 16, got 1/);
    x.dispose();
  });
});
