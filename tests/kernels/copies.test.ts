// Slice, SplitV and Concat (masr-net's in-heap versions on wasm, tfjs's own on cpu) against index arithmetic done
// in plain JavaScript, for every dtype they move, contiguous and strided layouts, empty and full extents.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tensorLeak } from '../helpers/gradcheck';

function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let a = shape.length - 2; a >= 0; a--) s[a] = s[a + 1]! * shape[a + 1]!;
  return s;
}

/** Every multi-index of `shape`, row-major. */
function* indices(shape: number[]): Generator<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  const st = strides(shape);
  for (let i = 0; i < n; i++) yield shape.map((d, a) => Math.floor(i / st[a]!) % d);
}

function sliceJs(values: ArrayLike<number>, shape: number[], begin: number[], size: number[]): number[] {
  const st = strides(shape);
  return [...indices(size)].map((idx) => values[idx.reduce((o, v, a) => o + (v + begin[a]!) * st[a]!, 0)]!);
}

function make(shape: number[], dtype: 'float32' | 'int32' | 'bool', seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => ((i * 7919 + seed * 104729) % 1000) - 500);
  if (dtype === 'bool')
    return tf.tensor(
      v.map((x) => x % 3 === 0),
      shape,
      'bool',
    );
  return tf.tensor(dtype === 'float32' ? v.map((x) => x / 7) : v, shape, dtype);
}

const SLICES: [number[], number[], number[]][] = [
  [
    [9, 240],
    [3, 0],
    [1, 240],
  ], // one row: contiguous
  [
    [22, 128],
    [0, 64],
    [22, 64],
  ], // half the columns
  [
    [2, 5, 7, 3],
    [0, 1, 2, 0],
    [2, 3, 4, 3],
  ], // spatial crop, channels whole
  [
    [2, 5, 7, 3],
    [1, 0, 0, 1],
    [1, 5, 7, 1],
  ], // one channel plane: runs of 1
  [
    [1, 6, 9, 4],
    [0, 2, 0, 0],
    [1, 2, 9, 4],
  ], // whole rows: contiguous
  [
    [3, 4, 5, 6, 7],
    [1, 1, 2, 0, 3],
    [2, 2, 3, 6, 4],
  ], // rank 5
  [
    [4, 30],
    [1, 2],
    [0, 5],
  ], // empty
  [[40], [3], [30]], // rank 1
];

describe(`copy kernels (${tf.getBackend()})`, () => {
  it.runIf(tf.getBackend() === 'wasm')("are masr-net's on wasm", () => {
    for (const name of ['Slice', 'SplitV', 'Concat']) {
      expect((tf.getKernel(name, 'wasm') as { masrOverride?: boolean }).masrOverride).toBe(true);
    }
  });

  for (const dtype of ['float32', 'int32', 'bool'] as const) {
    it(`slice, ${dtype}`, () => {
      for (const [shape, begin, size] of SLICES) {
        const x = make(shape, dtype, shape.length);
        const y = tf.slice(x, begin, size);
        expect(y.shape).toEqual(size);
        expect(y.dtype).toBe(dtype);
        const expected = sliceJs(x.dataSync() as unknown as ArrayLike<number>, shape, begin, size);
        expect(Array.from(y.dataSync() as unknown as ArrayLike<number>)).toEqual(expected);
        tf.dispose([x, y]);
      }
    });

    it(`split and concat round trip, ${dtype}`, () => {
      for (const [shape, axis, sizes] of [
        [[9, 1000], 0, [1, 3, 5]],
        [[2, 6, 5, 9], 3, [1, 1, 1, 2, 4]],
        [[2, 6, 5, 9], 1, [2, 4]],
        [[2, 6, 5, 9], 0, [1, 1]],
        [[300, 10], 1, [10]],
      ] as [number[], number, number[]][]) {
        const x = make(shape, dtype, axis + 3);
        const parts = tf.split(x, sizes, axis);
        let begin = 0;
        parts.forEach((p, i) => {
          const b = shape.map((_, a) => (a === axis ? begin : 0));
          const s = shape.map((d, a) => (a === axis ? sizes[i]! : d));
          expect(Array.from(p.dataSync() as unknown as ArrayLike<number>)).toEqual(
            sliceJs(x.dataSync() as unknown as ArrayLike<number>, shape, b, s),
          );
          begin += sizes[i]!;
        });
        const back = tf.concat(parts, axis);
        expect(back.shape).toEqual(shape);
        expect(Array.from(back.dataSync() as unknown as ArrayLike<number>)).toEqual(
          Array.from(x.dataSync() as unknown as ArrayLike<number>),
        );
        tf.dispose([x, back, ...parts]);
      }
    });
  }

  it('concat of unequal parts along inner and outer axes, with an empty part', () => {
    const a = make([2, 3, 1], 'float32', 1);
    const b = make([2, 3, 4], 'float32', 2);
    const e = tf.zeros([2, 3, 0]);
    const y = tf.concat([a, e, b], 2);
    const av = a.arraySync() as number[][][];
    const bv = b.arraySync() as number[][][];
    expect(y.arraySync()).toEqual(av.map((r, i) => r.map((c, j) => [...c, ...bv[i]![j]!])));
    tf.dispose([a, b, e, y]);
  });

  it('refuse a slice that reaches past the tensor, and accept -1 sizes', () => {
    const x = make([3, 4], 'float32', 5);
    expect(() => tf.slice(x, [2, 0], [2, 4])).toThrow();
    expect(() => tf.slice(x, [0, 1], [3, 4])).toThrow();
    expect(Array.from(tf.slice(x, [1, 1], [-1, -1]).dataSync())).toEqual(
      sliceJs(x.dataSync() as unknown as ArrayLike<number>, [3, 4], [1, 1], [2, 3]),
    );
    x.dispose();
  });

  it('concat of one tensor, and of empty tensors only', () => {
    const a = make([2, 3], 'int32', 6);
    expect(Array.from(tf.concat([a], 1).dataSync())).toEqual(Array.from(a.dataSync()));
    const e = tf.concat([tf.zeros([2, 0]), tf.zeros([2, 0])], 1);
    expect(e.shape).toEqual([2, 0]);
    tf.dispose([a, e]);
  });

  it('leave no tensors behind', () => {
    const x = make([4, 5, 6], 'float32', 9);
    expect(
      tensorLeak(() => {
        const parts = tf.split(x, [2, 4], 2);
        tf.dispose([tf.slice(x, [1, 1, 1], [2, 3, 4]), tf.concat(parts, 2), ...parts]);
      }),
    ).toBe(0);
    x.dispose();
  });
});
