import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { MixtureOfAttention, MixtureOfExperts, type AuxLossWeights } from '../exports-routing';
import { resolveAuxWeights } from '../routing/types';
import {
  buildNested,
  isTraining,
  register,
  type Kwargs,
  type LayerConfig,
  type ReferenceWeight,
  type Shape,
} from '../basic/common';
import { checkPositiveInt, checkRate, checkShape, type LayerArgs } from '../validate';
import { CompositeLayer } from '../basic/composite';
import { LayerNorm } from '../basic/layer-norm';
import type { StageRecorder } from './map-generator';
import { routingReferenceWeights } from '../routing/reference-weights';

/** Cross-attention keys and values already through the block's `attention.projectKeyValue`: [B, P, Tk, headDim]. */
export interface ProjectedKeyValue {
  key: tf.Tensor;
  value: tf.Tensor;
}

export interface MasrBlockOptions extends LayerArgs {
  /** Attention experts (query/output projection pairs). Default 3. */
  attentionExperts?: number;
  /** Attention heads = routing slots per query token. Default 2. */
  attentionK?: number;
  /** Width of the single-head attention. Default 64. */
  headDim?: number;
  /** Dropout on the attention probabilities (training only). Default 0.05. */
  attentionDropout?: number;
  /** Reference: the second expert is sampled; 'train' (default) samples only in training, 'always' also in inference. */
  sampleSecondExpert?: 'train' | 'always' | 'never';
  /** Position bias over the key tokens (multi_attention_3 uses 'reference'). Default 'none'. */
  positionBias?: 'none' | 'reference' | 'aligned';
  /** Positions of the bias table. Default 8. */
  numPositions?: number;
  /** Keys/values come from a second input ([x, kv]) instead of x itself. Default false. */
  crossAttention?: boolean;
  /** Add the MoE half (MoE -> LayerNorm -> residual). Default true; false gives the reference's last attention stage. */
  feedForward?: boolean;
  /** MoE experts. Default 3. */
  moeExperts?: number;
  /** MoE experts per token. Default 2. */
  moeK?: number;
  /** MoE expert hidden widths. Default [256, 512]. */
  moeHiddenSizes?: number[];
  /** Constant added after the attention residual (the reference adds 1e-6 after multi_attention_4). Default 0. */
  residualOffset?: number;
  /** Router logit clamp of the MoE. Default 10. */
  logitClamp?: number;
  /** Create the reference's unused router weights (non-trainable) for checkpoint round trips. Default false. */
  referenceCompat?: boolean;
  /** Weights of the routing aux losses (cv², switch, z) of both routing layers. Default DEFAULT_AUX_WEIGHTS. */
  auxWeights?: Partial<AuxLossWeights>;
}

/**
 * The MASR block on windowed tokens [B, P, T, d]: a = LayerNorm(MoA(x[, kv])) + x (+ offset), then
 * y = LayerNorm(MoE(a)) + a. Input x, or [x, kv] with crossAttention (kv [B, P, S, d]). Output [B, P, T, d].
 * The aux losses of both routing layers are in `attention.lastAux` / `moe.lastAux` and reach `fit` via `losses`.
 */
export class MasrBlock extends CompositeLayer {
  static className = 'MasrBlock';
  readonly attentionExperts: number;
  readonly attentionK: number;
  readonly headDim: number;
  readonly attentionDropout: number;
  readonly sampleSecondExpert: 'train' | 'always' | 'never';
  readonly positionBias: 'none' | 'reference' | 'aligned';
  readonly numPositions: number;
  readonly crossAttention: boolean;
  readonly feedForward: boolean;
  readonly moeExperts: number;
  readonly moeK: number;
  readonly moeHiddenSizes: number[];
  readonly residualOffset: number;
  readonly logitClamp: number;
  readonly referenceCompat: boolean;
  readonly auxWeights: AuxLossWeights;
  readonly attention: MixtureOfAttention;
  readonly attentionNorm: LayerNorm;
  readonly moe: MixtureOfExperts | null;
  readonly moeNorm: LayerNorm | null;

  constructor(options: MasrBlockOptions = {}) {
    super(options);
    const n = 'MasrBlock';
    this.attentionExperts = checkPositiveInt(n, 'attentionExperts', options.attentionExperts ?? 3);
    this.attentionK = checkPositiveInt(n, 'attentionK', options.attentionK ?? 2);
    this.headDim = checkPositiveInt(n, 'headDim', options.headDim ?? 64);
    this.attentionDropout = checkRate(n, 'attentionDropout', options.attentionDropout ?? 0.05);
    this.sampleSecondExpert = options.sampleSecondExpert ?? 'train';
    this.positionBias = options.positionBias ?? 'none';
    this.numPositions = checkPositiveInt(n, 'numPositions', options.numPositions ?? 8);
    this.crossAttention = options.crossAttention ?? false;
    this.feedForward = options.feedForward ?? true;
    this.moeExperts = checkPositiveInt(n, 'moeExperts', options.moeExperts ?? 3);
    this.moeK = checkPositiveInt(n, 'moeK', options.moeK ?? 2);
    this.moeHiddenSizes = [...(options.moeHiddenSizes ?? [256, 512])];
    this.residualOffset = options.residualOffset ?? 0;
    this.logitClamp = options.logitClamp ?? 10;
    this.referenceCompat = options.referenceCompat ?? false;
    this.auxWeights = resolveAuxWeights(options.auxWeights);
    this.attention = new MixtureOfAttention({
      name: 'attention',
      numExperts: this.attentionExperts,
      k: this.attentionK,
      headDim: this.headDim,
      routing: 'router',
      sampleSecondExpert: this.sampleSecondExpert,
      attentionDropout: this.attentionDropout,
      positionBias: this.positionBias,
      numPositions: this.numPositions,
      referenceCompat: this.referenceCompat,
      auxWeights: this.auxWeights,
    });
    this.attentionNorm = new LayerNorm({ name: 'attention_norm' });
    this.moe = this.feedForward
      ? new MixtureOfExperts({
          name: 'moe',
          numExperts: this.moeExperts,
          k: this.moeK,
          hiddenSizes: this.moeHiddenSizes,
          mode: 'sum',
          logitClamp: this.logitClamp,
          referenceCompat: this.referenceCompat,
          auxWeights: this.auxWeights,
        })
      : null;
    this.moeNorm = this.feedForward ? new LayerNorm({ name: 'moe_norm' }) : null;
  }

  protected sublayers(): tfl.layers.Layer[] {
    return [this.attention, this.attentionNorm, this.moe, this.moeNorm].filter(
      (l): l is NonNullable<typeof l> => l != null,
    );
  }

  private shapes(inputShape: Shape | Shape[]): [Shape, Shape] {
    const list = Array.isArray(inputShape[0]) ? (inputShape as Shape[]) : [inputShape as Shape];
    if (list.length !== (this.crossAttention ? 2 : 1)) {
      throw new Error(
        `MasrBlock: expected ${this.crossAttention ? '[x, kv]' : 'one input x'}, got ${list.length} inputs`,
      );
    }
    checkShape('MasrBlock', 'x [B, P, T, d]', list[0]!, 4, null);
    if (this.crossAttention) checkShape('MasrBlock', 'kv [B, P, S, d]', list[1]!, 4, list[0]![3] ?? null);
    return [list[0]!, list[this.crossAttention ? 1 : 0]!];
  }

  override build(inputShape: Shape | Shape[]): void {
    const [x, kv] = this.shapes(inputShape);
    buildNested(this.attention, this.crossAttention ? [x, kv] : x);
    buildNested(this.attentionNorm, x);
    if (this.moe && this.moeNorm) {
      buildNested(this.moe, x);
      buildNested(this.moeNorm, x);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return this.shapes(inputShape)[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length !== (this.crossAttention ? 2 : 1)) {
      throw new Error(
        `MasrBlock: expected ${this.crossAttention ? '[x, kv]' : 'one input x'}, got ${list.length} inputs`,
      );
    }
    return this.forward(list[0]!, this.crossAttention ? list[1]! : null, isTraining(kwargs));
  }

  /**
   * The forward pass; with crossAttention, kv is the key/value tokens [B, P, Tk, d] or their projections through
   * `attention.projectKeyValue` ([B, P, Tk, headDim] each). `record` sees 'attention.raw' (MoA output), 'attention' (after norm + residual),
   * 'moe.raw' and 'out'.
   */
  forward(x: tf.Tensor, kv: tf.Tensor | ProjectedKeyValue | null, training = false, record?: StageRecorder): tf.Tensor {
    return tf.tidy(() => {
      checkShape('MasrBlock', 'x [B, P, T, d]', x.shape, 4, null);
      if (this.crossAttention && !kv) throw new Error('MasrBlock: crossAttention needs inputs [x, kv]');
      if (!this.crossAttention && kv) throw new Error('MasrBlock: kv is only taken with crossAttention');
      const kw = { training };
      const raw = (
        kv && !(kv instanceof tf.Tensor)
          ? this.attention.callProjected([x, kv.key, kv.value], kw)
          : this.attention.apply(kv ? [x, kv] : x, kw)
      ) as tf.Tensor;
      record?.('attention.raw', raw);
      let a = tf.add(this.attentionNorm.call(raw) as tf.Tensor, x);
      if (this.residualOffset !== 0) a = tf.add(a, this.residualOffset);
      record?.('attention', a);
      if (!this.moe || !this.moeNorm) return a;
      const moeRaw = this.moe.apply(a, kw) as tf.Tensor;
      record?.('moe.raw', moeRaw);
      const out = tf.add(this.moeNorm.call(moeRaw) as tf.Tensor, a);
      record?.('out', out);
      return out;
    });
  }

  /** The weighted aux-loss totals of the latest call (attention, then MoE). */
  auxTotals(): tf.Scalar[] {
    return [this.attention.lastAux?.total, this.moe?.lastAux?.total].filter((t): t is tf.Scalar => t != null);
  }

  /** Reference weights per sublayer, keys relative to the reference module (e.g. `multi_attention_2.`, `attn2_norm.`). */
  referenceWeightGroups(): {
    attention: ReferenceWeight[];
    attentionNorm: ReferenceWeight[];
    moe: ReferenceWeight[];
    moeNorm: ReferenceWeight[];
  } {
    return {
      attention: routingReferenceWeights(this.attention),
      attentionNorm: this.attentionNorm.referenceWeights(),
      moe: this.moe ? routingReferenceWeights(this.moe) : [],
      moeNorm: this.moeNorm?.referenceWeights() ?? [],
    };
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      attentionExperts: this.attentionExperts,
      attentionK: this.attentionK,
      headDim: this.headDim,
      attentionDropout: this.attentionDropout,
      sampleSecondExpert: this.sampleSecondExpert,
      positionBias: this.positionBias,
      numPositions: this.numPositions,
      crossAttention: this.crossAttention,
      feedForward: this.feedForward,
      moeExperts: this.moeExperts,
      moeK: this.moeK,
      moeHiddenSizes: [...this.moeHiddenSizes],
      residualOffset: this.residualOffset,
      logitClamp: this.logitClamp,
      referenceCompat: this.referenceCompat,
      auxWeights: { ...this.auxWeights },
    };
  }
}
register(MasrBlock);
