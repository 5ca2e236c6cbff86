// One table of small, non-degenerate cases for every backend-safe op, shared by the gradient, leak and
// cpu-vs-wasm tests so that all three cover exactly the same configurations.
import * as tf from '@tensorflow/tfjs-core';
import {
  conv2d,
  depthToSpace,
  gatherRows,
  gelu,
  groupNorm,
  hsvToRgb,
  layerNorm,
  linear,
  matMul,
  matMulBias,
  maxPool2x2,
  reflectPad,
  resizeBilinear,
  rgbToHsv,
  scatterAddRows,
  spaceToDepth,
  topkMask,
  type ConvPadding,
} from '../../src/ops';
import { randomArray, randomTensor } from '../helpers/gradcheck';

export interface OpCase {
  /** Row name in the error table. */
  name: string;
  /** Fresh input tensors (the caller disposes them); only these are differentiated. */
  inputs: () => tf.Tensor[];
  f: (...xs: tf.Tensor[]) => tf.Tensor;
  /** Central-difference step: 0.5 where the op is linear in each input (the difference is then exact). */
  eps: number;
  /** Largest accepted |analytic - numeric| gradient error. */
  tol: number;
}

const LINEAR = { eps: 0.5, tol: 1e-4 };
const SMOOTH = { eps: 1e-2, tol: 1e-3 };

/** RGB pixels whose three channels are at least ~0.1 apart (no max/min ties), cycling through all 6 orderings. */
export function separatedRgb(pixels: number, seed = 5): Float32Array {
  const u = randomArray(pixels * 3, seed, 0, 1);
  const perms = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ];
  const out = new Float32Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const levels = [0.05 + 0.25 * u[3 * p]!, 0.4 + 0.2 * u[3 * p + 1]!, 0.7 + 0.25 * u[3 * p + 2]!];
    const perm = perms[p % 6]!;
    for (let c = 0; c < 3; c++) out[3 * p + c] = levels[perm[c]!]!;
  }
  return out;
}

/** HSV pixels (hue in radians) at least 0.1 sector away from the sector boundaries, s and v in [0.1, 0.9]. */
export function interiorHsv(pixels: number, seed = 6): Float32Array {
  const u = randomArray(pixels * 3, seed, 0, 1);
  const out = new Float32Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    out[3 * p] = ((2 * Math.PI) / 6) * ((p % 6) + 0.1 + 0.8 * u[3 * p]!);
    out[3 * p + 1] = 0.1 + 0.8 * u[3 * p + 1]!;
    out[3 * p + 2] = 0.1 + 0.8 * u[3 * p + 2]!;
  }
  return out;
}

/** Distinct scores (gaps of 1/8) in a scrambled order, so a top-k choice is stable under small perturbations. */
export function distinctScores(rows: number, cols: number): tf.Tensor2D {
  const n = rows * cols;
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = ((i * 11) % n) / 8 - n / 16;
  return tf.tensor2d(v, [rows, cols]);
}

export interface ConvCase {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  padding: ConvPadding;
}

/** Every conv configuration the model uses, plus stride 2, 'same' and asymmetric explicit pads. Batch 2 throughout. */
export const CONV_CASES: ConvCase[] = [
  { name: '3x3 pad 1', x: [2, 5, 6, 3], filter: [3, 3, 3, 4], strides: 1, padding: 1 },
  { name: '1x1', x: [2, 4, 5, 6], filter: [1, 1, 6, 3], strides: 1, padding: 0 },
  { name: 'k=s=4 patch', x: [2, 8, 8, 3], filter: [4, 4, 3, 5], strides: 4, padding: 'valid' },
  {
    name: '1x3 pad [0,1]',
    x: [2, 4, 5, 3],
    filter: [1, 3, 3, 3],
    strides: 1,
    padding: [
      [0, 0],
      [1, 1],
    ],
  },
  {
    name: '3x1 pad [1,0]',
    x: [2, 5, 4, 3],
    filter: [3, 1, 3, 3],
    strides: 1,
    padding: [
      [1, 1],
      [0, 0],
    ],
  },
  { name: '5x5 pad 2', x: [2, 6, 6, 2], filter: [5, 5, 2, 2], strides: 1, padding: 2 },
  { name: '7x7 pad 3', x: [2, 7, 8, 2], filter: [7, 7, 2, 2], strides: 1, padding: 3 },
  { name: '3x3 stride 2 pad 1', x: [2, 7, 6, 3], filter: [3, 3, 3, 4], strides: 2, padding: 1 },
  {
    name: '3x3 asym pad [[0,2],[1,0]] s(2,1)',
    x: [2, 6, 5, 2],
    filter: [3, 3, 2, 3],
    strides: [2, 1],
    padding: [
      [0, 2],
      [1, 0],
    ],
  },
  { name: '3x3 same stride 2', x: [2, 6, 7, 2], filter: [3, 3, 2, 3], strides: 2, padding: 'same' },
  // Edge paths of the gradient: sizes not a multiple of the patch, pads wider than k - 1, strided 1x1.
  { name: 'k=s=4 patch, 9x10 input', x: [2, 9, 10, 3], filter: [4, 4, 3, 2], strides: 4, padding: 'valid' },
  { name: '2x2 stride 2 pad 1', x: [2, 5, 4, 2], filter: [2, 2, 2, 3], strides: 2, padding: 1 },
  { name: '3x3 pad 3 (> k-1)', x: [2, 3, 4, 2], filter: [3, 3, 2, 2], strides: 1, padding: 3 },
  { name: '1x1 pad 1', x: [2, 3, 3, 2], filter: [1, 1, 2, 3], strides: 1, padding: 1 },
  { name: '1x1 stride 2', x: [2, 5, 6, 3], filter: [1, 1, 3, 2], strides: 2, padding: 0 },
];

export const convCase = (c: ConvCase, i: number): OpCase => ({
  name: `conv2d ${c.name}`,
  inputs: () => [randomTensor(c.x, 100 + i), randomTensor(c.filter, 200 + i)],
  f: (x, w) => conv2d(x as tf.Tensor4D, w as tf.Tensor4D, { strides: c.strides, padding: c.padding }),
  ...LINEAR,
});

const idx = (v: number[]) => tf.tensor1d(v, 'int32');

export const OP_CASES: OpCase[] = [
  { name: 'gelu', inputs: () => [randomTensor([2, 3, 4], 11, -3, 3)], f: (x) => gelu(x), ...SMOOTH },
  {
    name: 'depthToSpace bs=2',
    inputs: () => [randomTensor([2, 3, 2, 8], 41)],
    f: (x) => depthToSpace(x as tf.Tensor4D, 2),
    ...LINEAR,
  },
  {
    name: 'spaceToDepth bs=3',
    inputs: () => [randomTensor([1, 6, 3, 2], 42)],
    f: (x) => spaceToDepth(x as tf.Tensor4D, 3),
    ...LINEAR,
  },
  // Odd height and width: the last row and column fall outside every window ('valid') and get no gradient. Values
  // 1.3 apart, so the ±0.5 central differences never change a window's maximum.
  {
    name: 'maxPool2x2',
    inputs: () => {
      const order = Array.from(randomArray(2 * 5 * 7 * 3, 28), (v, i) => [v, i] as const);
      const ranks = new Float32Array(order.length);
      [...order].sort((a, b) => a[0] - b[0]).forEach(([, i], r) => (ranks[i] = 1.3 * r - 130));
      return [tf.tensor4d(ranks, [2, 5, 7, 3])];
    },
    f: (x) => maxPool2x2(x as tf.Tensor4D),
    ...LINEAR,
  },
  {
    name: 'reflectPad [[2,1],[3,4]]',
    inputs: () => [randomTensor([2, 4, 5, 3], 12)],
    f: (x) =>
      reflectPad(x as tf.Tensor4D, [
        [2, 1],
        [3, 4],
      ]),
    ...LINEAR,
  },
  {
    name: 'reflectPad [[0,0],[1,1]]',
    inputs: () => [randomTensor([1, 3, 4, 2], 13)],
    f: (x) =>
      reflectPad(x as tf.Tensor4D, [
        [0, 0],
        [1, 1],
      ]),
    ...LINEAR,
  },
  {
    name: 'resizeBilinear up 3x4->7x9',
    inputs: () => [randomTensor([2, 3, 4, 2], 14)],
    f: (x) => resizeBilinear(x as tf.Tensor4D, [7, 9]),
    ...LINEAR,
  },
  {
    name: 'resizeBilinear down 6x5->4x2',
    inputs: () => [randomTensor([1, 6, 5, 2], 15)],
    f: (x) => resizeBilinear(x as tf.Tensor4D, [4, 2]),
    ...LINEAR,
  },
  {
    name: 'resizeBilinear x8 2x3->16x24',
    inputs: () => [randomTensor([1, 2, 3, 1], 16)],
    f: (x) => resizeBilinear(x as tf.Tensor4D, [16, 24]),
    ...LINEAR,
  },
  ...CONV_CASES.map(convCase),
  {
    name: 'gatherRows (duplicates)',
    inputs: () => [randomTensor([5, 3], 17)],
    f: (x) => {
      const i = idx([4, 0, 4, 2, 1, 4, 3]);
      const y = gatherRows(x as tf.Tensor2D, i);
      i.dispose();
      return y;
    },
    ...LINEAR,
  },
  {
    name: 'scatterAddRows (duplicates)',
    inputs: () => [randomTensor([6, 3], 18)],
    f: (s) => {
      const i = idx([1, 3, 1, 0, 4, 1]);
      const y = scatterAddRows(s as tf.Tensor2D, i, 5);
      i.dispose();
      return y;
    },
    ...LINEAR,
  },
  {
    // The selection is a constant; the gradient reaches the scores only through the softmax it masks.
    name: 'topkMask (k=2) * softmax',
    inputs: () => [distinctScores(4, 6)],
    f: (s) => tf.tidy(() => tf.mul(topkMask(s as tf.Tensor2D, 2).mask, tf.softmax(s))),
    ...SMOOTH,
  },
  {
    name: 'rgbToHsv',
    inputs: () => [tf.tensor4d(separatedRgb(12), [2, 2, 3, 3])],
    f: (x) => rgbToHsv(x),
    eps: 3e-3, // balances truncation error (hue is a ratio) against float32 rounding in the difference
    tol: 1e-3,
  },
  {
    name: 'hsvToRgb',
    inputs: () => [tf.tensor4d(interiorHsv(12), [2, 2, 3, 3])],
    f: (x) => hsvToRgb(x),
    eps: 1e-2,
    tol: 1e-3,
  },
  {
    name: 'matMul [3,4]x[4,5]',
    inputs: () => [randomTensor([3, 4], 28), randomTensor([4, 5], 29)],
    f: (a, b) => matMul(a!, b!),
    ...LINEAR,
  },
  {
    name: 'matMul batched, transposeA+B',
    inputs: () => [randomTensor([2, 4, 3], 30), randomTensor([2, 5, 4], 31)],
    f: (a, b) => matMul(a!, b!, true, true),
    ...LINEAR,
  },
  {
    name: 'matMul [2,3,4]x[4,5] shared weight',
    inputs: () => [randomTensor([2, 3, 4], 32), randomTensor([5, 4], 33)],
    f: (a, b) => matMul(a!, b!, false, true),
    ...LINEAR,
  },
  {
    name: 'linear',
    inputs: () => [randomTensor([2, 3, 4], 19), randomTensor([4, 5], 20), randomTensor([5], 21)],
    f: (x, w, b) => linear(x!, w as tf.Tensor2D, b as tf.Tensor1D),
    ...LINEAR,
  },
  {
    // A bias whose storage is [1, n] (a reshaped slice): wasm cannot fuse it, the unfused path must agree.
    name: 'matMulBias (bias stored as [1, n])',
    inputs: () => [randomTensor([6, 4], 25), randomTensor([4, 5], 26), randomTensor([1, 5], 27)],
    f: (x, w, b) => tf.tidy(() => matMulBias(x as tf.Tensor2D, w as tf.Tensor2D, tf.reshape(b!, [5]) as tf.Tensor1D)),
    ...LINEAR,
  },
  {
    name: 'layerNorm',
    inputs: () => [randomTensor([3, 6], 22, -2, 2), randomTensor([6], 23, 0.5, 1.5), randomTensor([6], 24)],
    f: (x, g, b) => layerNorm(x!, g as tf.Tensor1D, b as tf.Tensor1D),
    ...SMOOTH,
  },
  {
    name: 'groupNorm (2 groups)',
    inputs: () => [randomTensor([2, 3, 3, 4], 25, -2, 2), randomTensor([4], 26, 0.5, 1.5), randomTensor([4], 27)],
    f: (x, g, b) => groupNorm(x as tf.Tensor4D, 2, g as tf.Tensor1D, b as tf.Tensor1D),
    ...SMOOTH,
  },
];
