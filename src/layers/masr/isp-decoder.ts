import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MasrLayer } from '../basic/masr-layer';
import { gelu, linear } from '../../ops/index';
import {
  dropout,
  init,
  isTraining,
  register,
  singleInput,
  singleShape,
  type Kwargs,
  type LayerConfig,
  type LayerVariable,
  type ReferenceWeight,
  type Shape,
} from '../basic/common';
import { checkPositiveInt, checkRate, type LayerArgs } from '../validate';

export interface IspDecoderOptions extends LayerArgs {
  /** Hidden widths, each Linear -> GELU -> dropout. Required (reference: gamma/saturation [96, 64, 32], colour [256, 384, 512, 576]). */
  hiddenSizes: number[];
  /** Output width (pixels per window x parameters per pixel). Required. */
  outputDim: number;
  /** Dropout after each hidden GELU (training only). Default 0.05. */
  dropout?: number;
  /** Initial value of the output bias. Default 0. */
  outputBiasInit?: number;
}

/**
 * The reference ISPDecoder (an ISP estimator head): an MLP from one expert token to the per-pixel parameters of a
 * window. [..., d] -> [..., outputDim].
 */
export class IspDecoder extends MasrLayer {
  static className = 'MasrIspDecoder';
  readonly hiddenSizes: number[];
  readonly outputDim: number;
  readonly dropoutRate: number;
  readonly outputBiasInit: number;
  private hidden: Array<[LayerVariable, LayerVariable]> = [];
  private outW!: LayerVariable;
  private outB!: LayerVariable;

  constructor(options: IspDecoderOptions) {
    super(options);
    if (!Array.isArray(options.hiddenSizes) || options.hiddenSizes.length === 0) {
      throw new Error(`IspDecoder: hiddenSizes must be a non-empty array, got ${String(options.hiddenSizes)}`);
    }
    this.hiddenSizes = options.hiddenSizes.map((h, i) => checkPositiveInt('IspDecoder', `hiddenSizes[${i}]`, h));
    this.outputDim = checkPositiveInt('IspDecoder', 'outputDim', options.outputDim);
    this.dropoutRate = checkRate('IspDecoder', 'dropout', options.dropout ?? 0.05);
    this.outputBiasInit = options.outputBiasInit ?? 0;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape, 'IspDecoder');
    let din = shape[shape.length - 1];
    if (din == null) throw new Error('IspDecoder: the last input dimension must be known');
    this.hidden = this.hiddenSizes.map((h, i) => {
      const pair: [LayerVariable, LayerVariable] = [
        this.addWeight(`main.${i}.weight`, [din!, h], 'float32', init.kaiming()),
        this.addWeight(`main.${i}.bias`, [h], 'float32', init.zeros()),
      ];
      din = h;
      return pair;
    });
    this.outW = this.addWeight('output.weight', [din, this.outputDim], 'float32', init.glorot());
    this.outB = this.addWeight('output.bias', [this.outputDim], 'float32', init.constant(this.outputBiasInit));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = singleShape(inputShape, 'IspDecoder');
    return [...shape.slice(0, -1), this.outputDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      let x = singleInput(inputs, 'IspDecoder');
      const training = isTraining(kwargs);
      for (const [w, b] of this.hidden) {
        x = dropout(gelu(linear(x, w.read() as tf.Tensor2D, b.read() as tf.Tensor1D)), this.dropoutRate, training);
      }
      return linear(x, this.outW.read() as tf.Tensor2D, this.outB.read() as tf.Tensor1D);
    });
  }

  /** Reference keys relative to `isp_i.` (each hidden block is Linear, GELU, Dropout: Sequential index 3i). */
  referenceWeights(): ReferenceWeight[] {
    const out: ReferenceWeight[] = [];
    this.hidden.forEach(([w, b], i) => {
      out.push({ key: `decoder.main.${3 * i}.weight`, variable: w, layout: 'linear' });
      out.push({ key: `decoder.main.${3 * i}.bias`, variable: b, layout: 'same' });
    });
    out.push({ key: 'decoder.output.weight', variable: this.outW, layout: 'linear' });
    out.push({ key: 'decoder.output.bias', variable: this.outB, layout: 'same' });
    return out;
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      hiddenSizes: [...this.hiddenSizes],
      outputDim: this.outputDim,
      dropout: this.dropoutRate,
      outputBiasInit: this.outputBiasInit,
    };
  }
}
register(IspDecoder);
