import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { float32Entry, writeSafetensors, type SafetensorsEntry } from '../../src/io/safetensors';
import { VGG16_CONV_CHANNELS, VGG16_CONV_INDICES, VggPerceptualLoss } from '../../src/losses';
import { randomArray, randomTensor } from '../helpers/gradcheck';

/** A torchvision-layout VGG16 features[:16] state dict (random), plus keys the loader must ignore. */
function torchStateDict(): Map<string, SafetensorsEntry> {
  const m = new Map<string, SafetensorsEntry>();
  VGG16_CONV_INDICES.forEach((n, i) => {
    const [cin, cout] = VGG16_CONV_CHANNELS[i]!;
    const bound = Math.sqrt(6 / (9 * cin));
    m.set(`features.${n}.weight`, float32Entry(randomArray(cout * cin * 9, 100 + i, -bound, bound), [cout, cin, 3, 3]));
    m.set(`features.${n}.bias`, float32Entry(randomArray(cout, 200 + i, -0.1, 0.1), [cout]));
  });
  m.set('features.17.weight', float32Entry(new Float32Array(9), [1, 1, 3, 3]));
  m.set('classifier.0.bias', float32Entry(new Float32Array(4), [4]));
  return m;
}

/** Plain-JS conv3x3 (zero pad 1) + ReLU on HWC data with a PyTorch [out, in, 3, 3] weight. */
function naiveConvRelu(
  x: Float32Array,
  h: number,
  w: number,
  cin: number,
  wt: Float32Array,
  b: Float32Array,
  cout: number,
) {
  const out = new Float32Array(h * w * cout);
  for (let y = 0; y < h; y++)
    for (let xx = 0; xx < w; xx++)
      for (let o = 0; o < cout; o++) {
        let s = b[o]!;
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 3; j++) {
            const yy = y + i - 1;
            const xj = xx + j - 1;
            if (yy < 0 || yy >= h || xj < 0 || xj >= w) continue;
            for (let c = 0; c < cin; c++) s += wt[((o * cin + c) * 3 + i) * 3 + j]! * x[(yy * w + xj) * cin + c]!;
          }
        out[(y * w + xx) * cout + o] = Math.max(0, s);
      }
  return out;
}

const f32 = (e: SafetensorsEntry) =>
  new Float32Array(e.bytes.buffer.slice(e.bytes.byteOffset, e.bytes.byteOffset + e.bytes.byteLength));

describe('VggPerceptualLoss', () => {
  it('refuses to run without weights unless random weights are asked for', () => {
    expect(() => new VggPerceptualLoss()).toThrow(/no VGG16 weights given.*fromSafetensors.*randomForTesting/s);
    const vgg = VggPerceptualLoss.randomForTesting(1);
    expect(vgg.paramCount).toBe(1_735_488);
    vgg.dispose();
  });

  it('loads torchvision safetensors: relu1_2 equals a plain-JS conv of the raw (unnormalised) input', () => {
    const dict = torchStateDict();
    const vgg = VggPerceptualLoss.fromSafetensors(writeSafetensors(dict));
    expect(vgg.paramCount).toBe(1_735_488);
    const x = randomTensor([1, 6, 6, 3], 5, 0, 1);
    const taps = vgg.features(x as tf.Tensor4D);
    expect(taps.map((t) => t.shape)).toEqual([
      [1, 6, 6, 64],
      [1, 3, 3, 128],
      [1, 1, 1, 256],
    ]);
    const h1 = naiveConvRelu(
      x.dataSync() as Float32Array,
      6,
      6,
      3,
      f32(dict.get('features.0.weight')!),
      f32(dict.get('features.0.bias')!),
      64,
    );
    const h2 = naiveConvRelu(h1, 6, 6, 64, f32(dict.get('features.2.weight')!), f32(dict.get('features.2.bias')!), 64);
    const got = taps[0]!.dataSync();
    let err = 0;
    for (let i = 0; i < h2.length; i++) err = Math.max(err, Math.abs(got[i]! - h2[i]!));
    expect(err).toBeLessThan(1e-5);
    expect(h2.some((v) => v > 0)).toBe(true);

    // compute = mean over the three taps of the MSE.
    const y = randomTensor([1, 6, 6, 3], 6, 0, 1);
    const ty = vgg.features(y as tf.Tensor4D);
    const mses = taps.map((t, i) => tf.mean(tf.squaredDifference(t, ty[i]!)).dataSync()[0]!);
    const loss = vgg.compute(x, y);
    expect(loss.dataSync()[0]).toBeCloseTo((mses[0]! + mses[1]! + mses[2]!) / 3, 6);
    tf.dispose([x, y, loss, ...taps, ...ty]);
    vgg.dispose();
  });

  it('lists every missing or mis-shaped key', () => {
    const dict = torchStateDict();
    dict.delete('features.7.bias');
    dict.set('features.12.weight', float32Entry(new Float32Array(9), [1, 1, 3, 3]));
    const bytes = writeSafetensors(dict);
    expect(() => VggPerceptualLoss.fromSafetensors(bytes)).toThrow(
      /features\.7\.bias missing \(expected \[128\]\)[\s\S]*features\.12\.weight has shape \[1,1,3,3\], expected \[256,256,3,3\]/,
    );
  });

  it('is frozen (no variables), leak-free, and unusable after dispose', () => {
    const vars = Object.keys(tf.engine().registeredVariables).length;
    const before = tf.memory().numTensors;
    const vgg = VggPerceptualLoss.randomForTesting(2);
    expect(Object.keys(tf.engine().registeredVariables).length).toBe(vars);
    expect(tf.memory().numTensors).toBe(before + 14);
    const x = randomTensor([1, 8, 8, 3], 1, 0, 1);
    const y = randomTensor([1, 8, 8, 3], 2, 0, 1);
    const run = () => tf.dispose([vgg.compute(x, y), tf.grad((p: tf.Tensor) => vgg.compute(p, y))(x)]);
    run();
    const mid = tf.memory().numTensors;
    run();
    expect(tf.memory().numTensors).toBe(mid);
    vgg.dispose();
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(() => vgg.compute(x, y)).toThrow(/used after dispose/);
    const bad = tf.zeros([1, 8, 8, 1]);
    const ok = VggPerceptualLoss.randomForTesting(2);
    expect(() => ok.compute(bad, bad)).toThrow(/3 \(RGB\) channels/);
    expect(() => VggPerceptualLoss.fromWeights([])).toThrow(/expected 7 convolutions, got 0/);
    tf.dispose([x, y, bad]);
    ok.dispose();
  });
});
