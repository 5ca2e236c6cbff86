import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { linear } from '../../ops';
import { checkMoaShapes, shapeList, splitMoaInputs, tensorShapes, type MoaInputs } from './moa-inputs';
import { mixtureOfAttention } from './moa-forward';
import type { PositionBiasLayout } from './position-bias';
import { attentionGateLogits, route, routerLogits } from './router';
import { RoutingLayer } from './routing-layer';
import { resolveAuxWeights, type AuxLossWeights } from './types';
import { checkNonNegative, checkOneOf, checkPositiveInt, checkTopK, shapeString, type LayerArgs } from '../validate';

type Kwargs = Record<string, unknown>;

export interface MixtureOfAttentionOptions extends LayerArgs {
  /** Number E of query/output experts (reference 3). */
  numExperts: number;
  /** Heads = routing slots per query token, 1 <= k <= E (reference 2). */
  k: number;
  /** Width of the shared single K/V head and of each query expert (reference 64). */
  headDim: number;
  /**
   * 'router' (default): MoE router on the query, clamp((q · W_gate)/√d, ±logitClamp).
   * 'attentionGate': logits = q · gateKeys[n] / √d against E expert keys given as a 4th input (nan->0, ±inf->±20,
   * no clamp; reference multi_attention_1).
   */
  routing?: 'router' | 'attentionGate';
  /**
   * When the last slot is sampled ∝ prob + 1e-6 from the experts not already chosen (the reference's sample_topk=1,
   * which it does in train and eval): 'train' (default, deterministic top-k at inference), 'always', or 'never'.
   */
  sampleSecondExpert?: 'train' | 'always' | 'never';
  /** Dropout on the attention probabilities, training only. Default 0.05. */
  attentionDropout?: number;
  /**
   * Learned score bias per (position, slot), weight 'pos_bias.weight' [numPositions, k], added as bias / scale.
   * 'reference': column c uses row c // 3 and needs Tk = 3 * numPositions (multi_attention_3's misaligned layout);
   * 'aligned': row c % numPositions (the true neighbour direction). Default 'none'.
   */
  positionBias?: PositionBiasLayout;
  /** Rows of the position bias. Default 8 (the 8 neighbours). */
  numPositions?: number;
  /** Router clamp, routing 'router' only. Default 10; null or Infinity disables it. */
  logitClamp?: number | null;
  /** Weights of the aux-loss terms. Default { cv: 0.05, switch: 0.01, z: 0.001 }. */
  auxWeights?: Partial<AuxLossWeights>;
  /**
   * Also create the reference's unused 'q_proj.moe.w_atten_gate' (and, with 'attentionGate', 'q_proj.moe.w_gate') as
   * non-trainable weights, so reference checkpoints map key for key. Default false (MASRNet turns it on for its own layers).
   */
  referenceCompat?: boolean;
  /** Seed for the sampled experts, dropout and initialisers. Default: random. */
  seed?: number;
}

const NAME = 'MixtureOfAttention';

/**
 * Asymmetric Mixture-of-Attention (MASR-Net's multi_attention_1..4): shared single-head K and V projections, E
 * per-expert query and output projections; each query token's top-k experts are its k heads; attention stays inside
 * each window P; out = Σ_s gate_s · (softmax(q_s K^T) V) · Wo[e_s]. No other output projection.
 *
 * Inputs: query [B, P, Tq, d] | [query, keyValue [B, P, Tk, d]] | [query, key, value]; with routing
 * 'attentionGate': [query, key, value, gateKeys [B, P, E, d]]. Output [B, P, Tq, d].
 */
export class MixtureOfAttention extends RoutingLayer {
  static className = 'MasrMixtureOfAttention';
  readonly numExperts: number;
  readonly k: number;
  readonly headDim: number;
  readonly routing: 'router' | 'attentionGate';
  readonly sampleSecondExpert: 'train' | 'always' | 'never';
  readonly attentionDropout: number;
  readonly positionBias: PositionBiasLayout;
  readonly numPositions: number;
  readonly logitClamp: number;
  readonly auxWeights: AuxLossWeights;
  readonly referenceCompat: boolean;
  private modelDim = 0;
  private v: Record<string, tfl.LayerVariable> = {};

  constructor(options: MixtureOfAttentionOptions) {
    super(options, options.seed);
    this.numExperts = checkPositiveInt(NAME, 'numExperts', options.numExperts);
    this.k = checkTopK(NAME, options.k, this.numExperts);
    this.headDim = checkPositiveInt(NAME, 'headDim', options.headDim);
    this.routing = checkOneOf(NAME, 'routing', options.routing ?? 'router', ['router', 'attentionGate']);
    this.sampleSecondExpert = checkOneOf(NAME, 'sampleSecondExpert', options.sampleSecondExpert ?? 'train', [
      'train',
      'always',
      'never',
    ]);
    this.attentionDropout = checkNonNegative(NAME, 'attentionDropout', options.attentionDropout ?? 0.05, 0.999);
    this.positionBias = checkOneOf(NAME, 'positionBias', options.positionBias ?? 'none', [
      'none',
      'reference',
      'aligned',
    ]);
    this.numPositions = checkPositiveInt(NAME, 'numPositions', options.numPositions ?? 8);
    this.logitClamp = options.logitClamp === undefined ? 10 : (options.logitClamp ?? Infinity);
    if (!(this.logitClamp > 0))
      throw new Error(`${NAME}: logitClamp must be > 0 (or null for none), got ${this.logitClamp}`);
    this.auxWeights = resolveAuxWeights(options.auxWeights);
    this.referenceCompat = options.referenceCompat ?? false;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shapes = splitMoaInputs(shapeList(inputShape), this.routing === 'attentionGate');
    checkMoaShapes(shapes, this.numExperts, null);
    const d = shapes.query[3];
    if (d == null) throw new Error(`${NAME}: the query width d must be known, got ${shapeString(shapes.query)}`);
    this.modelDim = d;
    const { numExperts: e, headDim: h } = this;
    const { normal, uniform } = this.initializers();
    const bound = 1 / Math.sqrt(d);
    const add = (name: string, shape: number[], init: ReturnType<typeof normal>, trainable = true) => {
      this.v[name] = this.addWeight(name, shape, 'float32', init, undefined, trainable);
    };
    // Initialisers as the reference: LeCun-normal experts and gate, N(0, 1/d) K/V, nn.Linear's uniform bias.
    add('q_proj.moe.experts.layers.0.weight', [e, d, h], normal(1 / Math.sqrt(d)));
    add('q_proj.moe.output_experts.layers.0.weight', [e, h, d], normal(1 / Math.sqrt(h)));
    add('k_proj.weight', [d, h], normal(1 / Math.sqrt(d)));
    add('k_proj.bias', [h], uniform(bound));
    add('v_proj.weight', [d, h], normal(1 / Math.sqrt(d)));
    add('v_proj.bias', [h], uniform(bound));
    if (this.routing === 'router' || this.referenceCompat) {
      add('q_proj.moe.w_gate', [d, e], normal(1 / Math.sqrt(d)), this.routing === 'router');
    }
    if (this.referenceCompat) add('q_proj.moe.w_atten_gate', [e, e], normal(1 / Math.sqrt(e)), false);
    if (this.positionBias !== 'none') add('pos_bias.weight', [this.numPositions, this.k], normal(1));
    this.registerAuxLoss();
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shapes = splitMoaInputs(shapeList(inputShape), this.routing === 'attentionGate');
    checkMoaShapes(shapes, this.numExperts, this.built ? this.modelDim : null);
    return [...shapes.query];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const t = splitMoaInputs(Array.isArray(inputs) ? inputs : [inputs], this.routing === 'attentionGate');
      checkMoaShapes(tensorShapes(t), this.numExperts, this.modelDim);
      const [key, value] = this.projectKeyValue(t.key, t.value);
      return this.attend({ ...t, key, value }, kwargs);
    });
  }

  /**
   * The shared K and V projections of key and value [..., d] (value defaults to key): [..., headDim] each.
   * With `callProjected`, a caller whose key/value rows are gathered from a smaller map (MASR-Net's neighbour
   * windows gather each window 8 times) projects the map first: the same values, a fraction of the product.
   */
  projectKeyValue(key: tf.Tensor, value: tf.Tensor = key): [tf.Tensor, tf.Tensor] {
    if (!this.built) throw new Error(`${NAME}: projectKeyValue needs a built layer (call or build it first)`);
    for (const [what, t] of [
      ['key', key],
      ['value', value],
    ] as const) {
      if (t.shape[t.rank - 1] !== this.modelDim) {
        throw new Error(`${NAME}: projectKeyValue ${what} must be [..., d=${this.modelDim}], got [${t.shape}]`);
      }
    }
    return tf.tidy(() => [
      linear(key, this.weight('k_proj.weight'), this.weight<tf.Tensor1D>('k_proj.bias')),
      linear(value, this.weight('v_proj.weight'), this.weight<tf.Tensor1D>('v_proj.bias')),
    ]);
  }

  /**
   * `call` with key and value already through `projectKeyValue`: inputs [query, key, value] (with routing
   * 'attentionGate', [query, key, value, gateKeys]), key and value [B, P, Tk, headDim]. Output [B, P, Tq, d].
   */
  callProjected(inputs: tf.Tensor[], kwargs: Kwargs = {}): tf.Tensor {
    if (!this.built) throw new Error(`${NAME}: callProjected needs a built layer (call or build it first)`);
    const gate = this.routing === 'attentionGate';
    if (inputs.length !== (gate ? 4 : 3)) {
      throw new Error(
        `${NAME}: callProjected expects [query, key, value${gate ? ', gateKeys' : ''}] with projected key/value, got ${inputs.length} input(s)`,
      );
    }
    return tf.tidy(() => {
      const t = splitMoaInputs(inputs, gate);
      checkMoaShapes(tensorShapes(t), this.numExperts, this.modelDim, this.headDim);
      return this.attend(t, kwargs);
    });
  }

  /** Routing and attention, key and value projected. */
  private attend(t: MoaInputs<tf.Tensor>, kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const training = kwargs?.['training'] === true;
      const [b, p, tq, d] = t.query.shape;
      const n = b * p * tq;
      const logits =
        this.routing === 'attentionGate'
          ? attentionGateLogits(
              tf.reshape(t.query, [b * p, tq, d]) as tf.Tensor3D,
              tf.reshape(t.gateKeys!, [b * p, this.numExperts, d]) as tf.Tensor3D,
            )
          : routerLogits(tf.reshape(t.query, [n, d]) as tf.Tensor2D, this.weight('q_proj.moe.w_gate'), this.logitClamp);
      const sample = this.sampleSecondExpert === 'always' || (this.sampleSecondExpert === 'train' && training);
      const r = route(logits, {
        k: this.k,
        sampleCount: sample ? 1 : 0,
        override: this.overrideFor(n),
        slotOrder: 'selection',
        rng: this.rng,
        auxWeights: this.auxWeights,
      });
      const y = mixtureOfAttention(t.query as tf.Tensor4D, t.key as tf.Tensor4D, t.value as tf.Tensor4D, r, {
        numExperts: this.numExperts,
        k: this.k,
        headDim: this.headDim,
        queryExperts: this.weight('q_proj.moe.experts.layers.0.weight'),
        outputExperts: this.weight('q_proj.moe.output_experts.layers.0.weight'),
        positionBias:
          this.positionBias === 'none' ? null : { weight: this.weight('pos_bias.weight'), layout: this.positionBias },
        dropout: training ? this.attentionDropout : 0,
        dropoutSeed: this.seed == null ? undefined : this.rng.nextSeed(),
      });
      this.record(r.aux, r.indexTensor, r.gates);
      return y;
    });
  }

  private weight<T extends tf.Tensor>(name: string): T {
    return this.v[name]!.read() as T;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      numExperts: this.numExperts,
      k: this.k,
      headDim: this.headDim,
      routing: this.routing,
      sampleSecondExpert: this.sampleSecondExpert,
      attentionDropout: this.attentionDropout,
      positionBias: this.positionBias,
      numPositions: this.numPositions,
      logitClamp: Number.isFinite(this.logitClamp) ? this.logitClamp : null,
      auxWeights: { ...this.auxWeights },
      referenceCompat: this.referenceCompat,
    };
    if (this.seed != null) config['seed'] = this.seed;
    return { ...super.getConfig(), ...config };
  }
}
tf.serialization.registerClass(MixtureOfAttention);
