// The one-pass GELU kernels (WebAssembly SIMD on wasm, float64 JavaScript on cpu) against exact values and against
// the composed tfjs ops they replace.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { GELU_GRAD_KERNEL, GELU_KERNEL, geluSimdActive, hasGeluKernels } from '../../src/kernels/gelu';
import { gelu } from '../../src/ops';
import { randomTensor, tensorLeak } from '../helpers/gradcheck';

// [x, gelu(x), gelu'(x)] from Python's math.erfc in float64 (x·Φ(x) and Φ(x) + x·φ(x)).
const GOLDEN: [number, number, number][] = [
  [-12, -2.1317785344932424e-32, -2.5578956616748956e-31],
  [-9, -1.015729565358458e-18, -9.13893737390664e-18],
  [-6.5, -2.6104003795084313e-10, -1.6950517937572625e-9],
  [-5, -1.4332578593959731e-6, -7.146946001792295e-6],
  [-4, -0.00012668496733247986, -0.0005036496612264215],
  [-3, -0.004049694094890287, -0.011945647204183927],
  [-2.5, -0.015524163314440348, -0.037611085908145214],
  [-1.7, -0.07576128668952323, -0.11531796878216473],
  [-1, -0.15865525393145707, -0.08331547058768629],
  [-0.6, -0.16455187065004415, 0.07431835601499381],
  [-0.25, -0.10032341857926907, 0.30462664511636395],
  [-0.001, -0.000499601057786089, 0.4992021157051586],
  [-1e-6, -4.999996010577196e-7, 0.49999920211543925],
  [0, 0.0, 0.5],
  [1e-6, 5.000003989422804e-7, 0.5000007978845609],
  [0.001, 0.000500398942213911, 0.5007978842948414],
  [0.3, 0.18537342665668577, 0.7323277668271098],
  [0.7, 0.5306254434438489, 0.9766141011336599],
  [1, 0.8413447460685429, 1.0833154705876864],
  [1.5, 1.399789198096713, 1.1274691922299795],
  [2.2, 2.1694124154703034, 1.0641406567482106],
  [3, 2.99595030590511, 1.011945647204184],
  [4.5, 4.4999847104709385, 1.0000685291618563],
  [6, 5.999999994080474, 1.0000000354687093],
  [9, 9.0, 1.0],
  [12, 12.0, 1.0],
];

const run = (kernel: string, inputs: tf.NamedTensorMap) => tf.engine().runKernel(kernel, inputs) as tf.Tensor;

describe(`GELU kernels (${tf.getBackend()})`, () => {
  it('are registered for this backend (on wasm: the SIMD module, bound to the heap)', () => {
    expect(hasGeluKernels('float32')).toBe(true);
    expect(geluSimdActive()).toBe(tf.getBackend() === 'wasm');
  });

  it('match float64 golden values to float32 precision, both tails included', () => {
    // 26 points x 9 = 234 elements: the SIMD loops take 232, the JavaScript tail the last two (x = 12).
    const reps = 9;
    const xs = tf.tensor1d(GOLDEN.flatMap(([x]) => new Array<number>(reps).fill(x)));
    const ones = tf.onesLike(xs);
    const y = run(GELU_KERNEL, { x: xs }).dataSync();
    const dy = run(GELU_GRAD_KERNEL, { x: xs, dy: ones }).dataSync();
    let worstValue = 0;
    let worstGrad = 0;
    GOLDEN.forEach(([x, g, d], i) => {
      for (let r = 0; r < reps; r++) {
        const k = i * reps + r;
        // Relative error, with float32's smallest normal as the floor for values that underflow.
        worstValue = Math.max(worstValue, Math.abs(y[k]! - g) / Math.max(Math.abs(g), 1.2e-38));
        worstGrad = Math.max(worstGrad, Math.abs(dy[k]! - d) / Math.max(Math.abs(d), 1.2e-38));
        // float32 lanes: the tail's exp(-x²/2) carries a relative error of ~eps·x²/2.
        const rel = 1.2e-7 * (8 + x * x);
        if (Math.abs(x) <= 9) {
          expect(Math.abs(y[k]! - g), `gelu(${x})`).toBeLessThanOrEqual(rel * Math.abs(g) + 1e-37);
          expect(Math.abs(dy[k]! - d), `gelu'(${x})`).toBeLessThanOrEqual(rel * Math.abs(d) + 1e-37);
        }
      }
    });
    console.log(
      `GELU kernels on ${tf.getBackend()}: worst relative error ${worstValue.toExponential(2)} (value), ${worstGrad.toExponential(2)} (gradient), |x| <= 12`,
    );
    tf.dispose([xs, ones]);
  });

  it('propagate NaN and infinities as the composed formula does', () => {
    const x = tf.tensor1d([NaN, Infinity, -Infinity, 0, 1, 2, 3, 4, 5]);
    const y = run(GELU_KERNEL, { x }).dataSync();
    expect(Number.isNaN(y[0]!)).toBe(true);
    expect(y[1]).toBe(Infinity);
    expect(Number.isNaN(y[2]!)).toBe(true); // -inf · Φ(-inf) = -inf · 0, as PyTorch
    expect(y[3]).toBe(0);
    x.dispose();
  });

  it('give the limits for huge |x| (value x or 0, gradient 1 or 0) and NaN for the gradient at +inf, as composed', () => {
    const x = tf.tensor1d([3e38, 1e37, 50, -50, -1e37, -3e38, 30, -30]);
    const ones = tf.onesLike(x);
    const close = (got: ArrayLike<number>, want: number[]) =>
      want.forEach((w, i) => expect(Math.abs(got[i]! - w), `element ${i}`).toBeLessThanOrEqual(1e-6 * Math.abs(w)));
    close(run(GELU_GRAD_KERNEL, { x, dy: ones }).dataSync(), [1, 1, 1, 0, 0, 0, 1, 0]);
    close(run(GELU_KERNEL, { x }).dataSync(), [Math.fround(3e38), Math.fround(1e37), 50, 0, 0, 0, 30, 0]);
    const inf = tf.tensor1d([Infinity, 1, 2, 3]);
    expect(Number.isNaN(run(GELU_GRAD_KERNEL, { x: inf, dy: tf.onesLike(inf) }).dataSync()[0]!)).toBe(true);
    tf.dispose([x, ones, inf]);
  });

  it('agree with the composed tfjs ops on random data of awkward lengths', () => {
    for (const n of [1, 3, 4, 31, 33, 1000, 4099]) {
      const x = tf.mul(randomTensor([n], n), 4);
      const dy = randomTensor([n], n + 1);
      const composed = tf.tidy(() => tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))))));
      const [gComposed] = tf.tidy(() => {
        const pdf = tf.mul(1 / Math.sqrt(2 * Math.PI), tf.exp(tf.mul(tf.square(x), -0.5)));
        const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
        return [tf.mul(dy, tf.add(cdf, tf.mul(x, pdf)))];
      });
      const y = run(GELU_KERNEL, { x });
      const g = run(GELU_GRAD_KERNEL, { x, dy });
      expect(tf.max(tf.abs(tf.sub(y, composed))).dataSync()[0]).toBeLessThan(2e-6);
      expect(tf.max(tf.abs(tf.sub(g, gComposed!))).dataSync()[0]).toBeLessThan(2e-6);
      tf.dispose([x, dy, composed, gComposed!, y, g]);
    }
  });

  it('keep shapes, leave no tensors behind and serve ops.gelu and its gradient', () => {
    const x = randomTensor([2, 3, 5, 7], 4);
    const leaked = tensorLeak(() => {
      const y = gelu(x);
      expect(y.shape).toEqual([2, 3, 5, 7]);
      const [g] = tf.grads((a: tf.Tensor) => tf.sum(gelu(a)))([x]);
      expect(g!.shape).toEqual([2, 3, 5, 7]);
      tf.dispose([y, g!]);
    });
    expect(leaked).toBe(0);
    x.dispose();
  });
});
