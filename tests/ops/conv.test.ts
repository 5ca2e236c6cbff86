// conv2d gradients: never Conv2DBackpropFilter (missing on wasm), equal to tfjs's own gradients where those work,
// adjoint-consistent for every configuration (batch 2 and 3, strides, asymmetric explicit pads).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { conv2d, type Conv2dOptions } from '../../src/ops';
import { maxAbsDiff, randomTensor } from '../helpers/gradcheck';
import { CONV_CASES, type ConvCase } from './cases';

const backend = tf.getBackend();

function tfPadding(p: ConvCase['padding']) {
  if (typeof p === 'number')
    return [
      [0, 0],
      [p, p],
      [p, p],
      [0, 0],
    ] as [[number, number], [number, number], [number, number], [number, number]];
  if (typeof p === 'string') return p;
  return [[0, 0], ...p, [0, 0]] as [[number, number], [number, number], [number, number], [number, number]];
}

/** dL/dx and dL/dw of L = Σ conv(x, w) · dy. */
function convGrads(c: ConvCase, seed: number, batch = c.x[0]) {
  const x = randomTensor([batch, ...c.x.slice(1)], seed) as tf.Tensor4D;
  const w = randomTensor(c.filter, seed + 1) as tf.Tensor4D;
  const opts: Conv2dOptions = { strides: c.strides, padding: c.padding };
  const y = conv2d(x, w, opts);
  const dy = randomTensor(y.shape, seed + 2);
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, opts), dy)),
  )([x, w]);
  return { x, w, y, dy, dx: dx!, dw: dw! };
}

const dot = (a: tf.Tensor, b: tf.Tensor) => {
  const av = a.dataSync();
  const bv = b.dataSync();
  let s = 0;
  for (let i = 0; i < av.length; i++) s += av[i]! * bv[i]!;
  return s;
};

describe(`conv2d gradients (${backend})`, () => {
  it('never runs Conv2DBackpropFilter, which the wasm backend does not have', async () => {
    if (backend === 'wasm') expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    for (const [i, c] of CONV_CASES.entries()) {
      let r: ReturnType<typeof convGrads> | undefined;
      const info = await tf.profile(() => {
        r = convGrads(c, 500 + 10 * i);
        return [r.dx, r.dw];
      });
      expect(info.kernelNames).toContain('Conv2D'); // the profile saw the forward
      expect(info.kernelNames).not.toContain('Conv2DBackpropFilter');
      tf.dispose(Object.values(r!));
    }
  });

  if (backend === 'wasm') {
    it("tfjs's own conv2d filter gradient throws here (why conv2d exists)", () => {
      const x = randomTensor([1, 4, 4, 2], 1) as tf.Tensor4D;
      const w = randomTensor([3, 3, 2, 2], 2) as tf.Tensor4D;
      expect(() =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 1)))([x, w]),
      ).toThrow(/Conv2DBackpropFilter/);
      tf.dispose([x, w]);
    });
  }

  for (const [i, c] of CONV_CASES.entries()) {
    for (const batch of i === 8 ? [2, 3] : [2]) {
      it(`adjoint identities <x, dx> = <w, dw> = <y, dy> and tfjs parity: ${c.name}, batch ${batch}`, () => {
        const { x, w, y, dy, dx, dw } = convGrads(c, 600 + 10 * i, batch);
        expect(dx.shape).toEqual(x.shape);
        expect(dw.shape).toEqual(w.shape);
        // conv is linear in x and in w, so both inner products equal the loss exactly (up to float32 rounding).
        const loss = dot(y, dy);
        const scale = Math.max(1, Math.abs(loss));
        expect(Math.abs(dot(x, dx) - loss) / scale).toBeLessThan(1e-5);
        expect(Math.abs(dot(w, dw) - loss) / scale).toBeLessThan(1e-5);
        // tfjs's native input gradient (conv2DBackpropInput) works on every backend; its filter gradient only on cpu.
        const native = (a: tf.Tensor, b: tf.Tensor = w) =>
          tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, tfPadding(c.padding) as 'valid'), dy));
        const [refDx, refDw] = tf.grads(native)(backend === 'cpu' ? [x, w] : [x]);
        expect(maxAbsDiff(dx, refDx!)).toBeLessThan(1e-4);
        if (backend === 'cpu') expect(maxAbsDiff(dw, refDw!)).toBeLessThan(1e-4);
        tf.dispose([x, w, y, dy, dx, dw, refDx!, ...(refDw ? [refDw] : [])]);
      });
    }
  }

  it('dx through conv2dTranspose with explicit asymmetric pads equals the float64 adjoint of the convolution', () => {
    // Direct check of the transposed convolution used for dx, against a plain-JS scatter of dy through the filter.
    const [B, H, W, C, K, O] = [2, 5, 4, 2, 3, 2];
    const pads: [[number, number], [number, number]] = [
      [2, 0],
      [0, 1],
    ];
    const [sh, sw] = [2, 1];
    const x = randomTensor([B, H, W, C], 70) as tf.Tensor4D;
    const w = randomTensor([K, K, C, O], 71) as tf.Tensor4D;
    const y = conv2d(x, w, { strides: [sh, sw], padding: pads });
    const [, Ho, Wo] = y.shape;
    const dy = randomTensor(y.shape, 72);
    const [dx] = tf.grads((a: tf.Tensor) =>
      tf.sum(tf.mul(conv2d(a as tf.Tensor4D, w, { strides: [sh, sw], padding: pads }), dy)),
    )([x]);
    const wv = w.dataSync();
    const dyv = dy.dataSync();
    const ref = new Float64Array(B * H * W * C);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++)
          for (let ki = 0; ki < K; ki++)
            for (let kj = 0; kj < K; kj++) {
              const r = i * sh + ki - pads[0][0];
              const q = j * sw + kj - pads[1][0];
              if (r < 0 || r >= H || q < 0 || q >= W) continue;
              for (let ci = 0; ci < C; ci++)
                for (let o = 0; o < O; o++)
                  ref[((b * H + r) * W + q) * C + ci] +=
                    wv[((ki * K + kj) * C + ci) * O + o]! * dyv[((b * Ho + i) * Wo + j) * O + o]!;
            }
    expect(maxAbsDiff(dx!, ref)).toBeLessThan(1e-5);
    tf.dispose([x, w, y, dy, dx!]);
  });
});

describe(`conv2d with bias and ReLU in the kernel (${backend})`, () => {
  // Composed reference: conv, then tf.add and tf.relu with tfjs's own gradients for the bias and the ReLU.
  const composed = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, relu: boolean, opts: Conv2dOptions) => {
    const y = tf.add(conv2d(x, w, opts), b);
    return relu ? tf.relu(y) : y;
  };

  for (const activation of ['linear', 'relu'] as const) {
    it(`equals conv + bias${activation === 'relu' ? ' + relu' : ''}: output and the x, filter, bias gradients`, () => {
      const opts: Conv2dOptions = { strides: 2, padding: 1 };
      const x = randomTensor([2, 7, 6, 3], 1) as tf.Tensor4D;
      const w = randomTensor([3, 3, 3, 5], 2) as tf.Tensor4D;
      const b = randomTensor([5], 3) as tf.Tensor1D;
      const y = conv2d(x, w, { ...opts, bias: b, activation });
      const ref = composed(x, w, b, activation === 'relu', opts);
      expect(maxAbsDiff(y, ref)).toBeLessThan(1e-6);
      if (activation === 'relu') expect(Math.min(...y.dataSync())).toBe(0); // some outputs are cut
      const dy = randomTensor(y.shape, 4);
      const f =
        (fn: (a: tf.Tensor4D, c: tf.Tensor4D, d: tf.Tensor1D) => tf.Tensor) =>
        (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
          tf.sum(tf.mul(fn(a as tf.Tensor4D, c as tf.Tensor4D, d as tf.Tensor1D), dy)) as tf.Scalar;
      const got = tf.grads(f((a, c, d) => conv2d(a, c, { ...opts, bias: d, activation })))([x, w, b]);
      const want = tf.grads(f((a, c, d) => composed(a, c, d, activation === 'relu', opts)))([x, w, b]);
      for (let i = 0; i < 3; i++) expect(maxAbsDiff(got[i]!, want[i]!), ['dx', 'dw', 'db'][i]).toBeLessThan(1e-5);
      // filterGradient: false keeps filter and bias constant and still passes the ReLU-masked input gradient.
      const [dxFrozen] = tf.grads((a: tf.Tensor) =>
        tf.sum(tf.mul(conv2d(a as tf.Tensor4D, w, { ...opts, bias: b, activation, filterGradient: false }), dy)),
      )([x]);
      expect(maxAbsDiff(dxFrozen!, want[0]!)).toBeLessThan(1e-5);
      tf.dispose([x, w, b, y, ref, dy, ...got, ...want, dxFrozen!]);
    });
  }

  it('runs one FusedConv2D kernel (no separate add or relu) in the forward of a gradient computation', async () => {
    const x = randomTensor([1, 6, 6, 2], 1) as tf.Tensor4D;
    const w = randomTensor([3, 3, 2, 4], 2) as tf.Tensor4D;
    const b = randomTensor([4], 3) as tf.Tensor1D;
    const info = await tf.profile(() =>
      tf.grads((a: tf.Tensor) => tf.sum(conv2d(a as tf.Tensor4D, w, { padding: 1, bias: b, activation: 'relu' })))([x]),
    );
    expect(info.kernelNames).toContain('FusedConv2D');
    expect(info.kernelNames).not.toContain('Relu');
    // Conv2D runs only in the backward (dy [1,6,6,4] with the flipped filter; x swapped to [2,6,6,1]), not on x.
    const convInputs = info.kernels.filter((k) => k.name === 'Conv2D').map((k) => k.inputShapes[0]);
    expect(convInputs).not.toContainEqual([1, 6, 6, 2]);
    tf.dispose([x, w, b]);
  });

  it('a bias the fused kernel refuses (wasm: stored with rank 2) takes the unfused path, same values', () => {
    const x = randomTensor([1, 5, 5, 2], 1) as tf.Tensor4D;
    const w = randomTensor([3, 3, 2, 3], 2) as tf.Tensor4D;
    const rows = randomTensor([2, 3], 3);
    // A row of a [2, 3] tensor reshaped to [3]: on wasm its storage keeps rank 2.
    const b = tf.reshape(tf.slice(rows, [1, 0], [1, 3]), [3]) as tf.Tensor1D;
    const got = conv2d(x, w, { bias: b, activation: 'relu' });
    const want = tf.relu(tf.add(conv2d(x, w), b));
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-6);
    tf.dispose([x, w, rows, b, got, want]);
  });

  it('refuses a bias that is not [Cout]', () => {
    const x = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D;
    const w = tf.zeros([3, 3, 2, 3]) as tf.Tensor4D;
    expect(() => conv2d(x, w, { bias: tf.zeros([2]) as tf.Tensor1D })).toThrow(
      /bias must be \[3\] \(Cout\), got \[2\]/,
    );
    tf.dispose([x, w]);
  });
});
