import * as tf from '@tensorflow/tfjs-core';
import { conv2d, convOutSize, gelu, reflectPad } from '../../ops/index';
import { reflectConv } from './reflect-conv';
import { init, register, singleInput, singleShape, type LayerConfig, type LayerVariable, type Shape } from './common';
import { checkOneOf, checkPositiveInt, checkShape, type LayerArgs } from '../validate';
import { MasrLayer } from './masr-layer';

export type Conv2DPadding = 'same' | 'valid' | 'reflect';
export type Conv2DActivation = 'linear' | 'relu' | 'gelu';

export interface Conv2DOptions extends LayerArgs {
  /** Output channels. Required. */
  filters: number;
  /** Kernel side, or [height, width]. Required. */
  kernelSize: number | [number, number];
  /** Stride, or [strideH, strideW]. Default 1. */
  strides?: number | [number, number];
  /**
   * 'same' (default): zero padding, output ceil(size / stride) (TensorFlow's rule: the extra pixel bottom/right).
   * 'valid': no padding. 'reflect': PyTorch `padding_mode='reflect'` with padding (k - 1) / 2 (odd kernels keep the
   * size at stride 1; the extra pixel of an even kernel goes bottom/right); each padding must be smaller than the input side.
   */
  padding?: Conv2DPadding;
  /** Add a bias [filters]. Default true. */
  useBias?: boolean;
  /** Activation after the bias: 'linear' (default), 'relu' (fused into the conv kernel) or exact 'gelu'. */
  activation?: Conv2DActivation;
  /** Seed of the kernel initialiser (PyTorch's default U(±1/√fanIn)). Default: random. */
  seed?: number;
}

const NAME = 'Conv2D';

function pair(v: number | [number, number], name: string): [number, number] {
  const [a, b] = typeof v === 'number' ? [v, v] : v;
  return [checkPositiveInt(NAME, name, a), checkPositiveInt(NAME, name, b)];
}

/**
 * 2-D convolution, NHWC [B, H, W, Cin] -> [B, H', W', filters], with a bias and an activation, that trains on every
 * backend: the library's conv2d computes the filter gradient without the `Conv2DBackpropFilter` kernel that the wasm
 * backend lacks (a plain `tf.layers.conv2d` fails there in `fit`). Weights 'kernel' [kh, kw, Cin, filters] and 'bias'.
 */
export class Conv2D extends MasrLayer {
  static className = 'MasrConv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Conv2DPadding;
  readonly useBias: boolean;
  readonly activation: Conv2DActivation;
  readonly seed: number | undefined;
  private kernel!: LayerVariable;
  private bias: LayerVariable | null = null;

  constructor(options: Conv2DOptions) {
    super(options);
    this.filters = checkPositiveInt(NAME, 'filters', options.filters);
    this.kernelSize = pair(options.kernelSize, 'kernelSize');
    this.strides = pair(options.strides ?? 1, 'strides');
    this.padding = checkOneOf(NAME, 'padding', options.padding ?? 'same', ['same', 'valid', 'reflect']);
    this.useBias = options.useBias ?? true;
    this.activation = checkOneOf(NAME, 'activation', options.activation ?? 'linear', ['linear', 'relu', 'gelu']);
    this.seed = options.seed;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape, NAME);
    checkShape(NAME, 'input [B, H, W, C]', shape, 4, null);
    const cin = shape[3];
    if (cin == null)
      throw new Error(`${NAME}: the input channel count must be known, got shape [${shape.map(String)}]`);
    const [kh, kw] = this.kernelSize;
    this.kernel = this.addWeight('kernel', [kh, kw, cin, this.filters], 'float32', init.kaiming(this.seed));
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', init.zeros());
    this.built = true;
  }

  /** Spatial output size on one axis. */
  private outSize(size: number | null, axis: 0 | 1): number | null {
    if (size == null) return null;
    const k = this.kernelSize[axis];
    const s = this.strides[axis];
    return this.padding === 'valid' ? convOutSize(size, k, s, 0, 0) : Math.ceil(size / s);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = singleShape(inputShape, NAME);
    checkShape(NAME, 'input [B, H, W, C]', shape, 4, null);
    return [shape[0] ?? null, this.outSize(shape[1] ?? null, 0), this.outSize(shape[2] ?? null, 1), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, NAME) as tf.Tensor4D;
      checkShape(NAME, 'input [B, H, W, C]', x.shape, 4, this.kernel.shape[2]!);
      const filter = this.kernel.read() as tf.Tensor4D;
      const bias = this.bias ? (this.bias.read() as tf.Tensor1D) : undefined;
      const relu = this.activation === 'relu';
      let y: tf.Tensor4D;
      if (this.padding === 'reflect' && !relu && this.strides[0] === 1 && this.strides[1] === 1) {
        y = reflectConv(x, filter, bias); // its space-to-depth fast path for large kernels on wasm
      } else if (this.padding === 'reflect') {
        const [kh, kw] = this.kernelSize;
        const padded = reflectPad(x, [
          [(kh - 1) >> 1, kh - 1 - ((kh - 1) >> 1)],
          [(kw - 1) >> 1, kw - 1 - ((kw - 1) >> 1)],
        ]);
        y = conv2d(padded, filter, { strides: this.strides, bias, activation: relu ? 'relu' : 'linear' });
      } else {
        y = conv2d(x, filter, {
          strides: this.strides,
          padding: this.padding,
          bias,
          activation: relu ? 'relu' : 'linear',
        });
      }
      return this.activation === 'gelu' ? gelu(y) : y;
    });
  }

  override getConfig(): LayerConfig {
    const config: LayerConfig = {
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      useBias: this.useBias,
      activation: this.activation,
    };
    if (this.seed != null) config['seed'] = this.seed;
    return { ...super.getConfig(), ...config };
  }
}
register(Conv2D);
