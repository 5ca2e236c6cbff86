import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createExpert, type Expert, type ExpertConfig } from './experts';
import './ffn-expert';
import './glu-expert';
import { denseMoe, sparseMoe, type MoeExperts } from './moe-forward';
import { noisyLogits, route, routerLogits } from './router';
import { RoutingLayer } from './routing-layer';
import { resolveAuxWeights, type AuxLossWeights } from './types';
import { checkNonNegative, checkOneOf, checkPositiveInt, checkTopK, shapeString, type LayerArgs } from '../validate';

type Kwargs = Record<string, unknown>;

export interface MixtureOfExpertsOptions extends LayerArgs {
  /** Number of experts E. */
  numExperts: number;
  /** Experts per token (1 <= k <= E). */
  k: number;
  /** Expert FFN widths: d -> hiddenSizes... -> outputDim, exact GELU between layers, none after the last. Default [256, 512]. */
  hiddenSizes?: readonly number[];
  /** Output width. Default: the input width d. */
  outputDim?: number;
  /** Per-expert outputDim -> outputDim linear after the FFN (the reference's output_experts), no activation between. Default true. */
  outputProjection?: boolean;
  /** Biases on the expert layers. Default true. */
  useBias?: boolean;
  /**
   * 'sum' (default): gate-weighted sum of the k experts (reference need_merge=True), output [..., outputDim].
   * 'slots': k gate-weighted outputs per token, slot j = the j-th smallest chosen expert id (reference
   * need_merge=False with a stable sort), output [..., k, outputDim].
   */
  mode?: 'sum' | 'slots';
  /** Router logits are clamped to ±logitClamp. Default 10; null or Infinity disables the clamp. */
  logitClamp?: number | null;
  /** Weights of the aux-loss terms. Default { cv: 0.05, switch: 0.01, z: 0.001 }. */
  auxWeights?: Partial<AuxLossWeights>;
  /** Training-only gate noise with a learned scale (weight 'w_noise' [d, E]). Default false. */
  noisyGating?: boolean;
  /** Training only: the last sampleTopk of the k slots are sampled ∝ prob + 1e-6 instead of taken by rank. Default 0. */
  sampleTopk?: number;
  /**
   * Also create the reference's unused 'w_atten_gate' [E, E] as a non-trainable weight, so reference checkpoints map
   * key for key. Default false (MASRNet turns it on for its own layers).
   */
  referenceCompat?: boolean;
  /** 'sparse' (default): each token runs only through its k experts. 'dense': all experts, masked (tests, benchmarks). */
  dispatch?: 'sparse' | 'dense';
  /** Seed for the sampled experts, gate noise and initialisers. Default: random. */
  seed?: number;
  /**
   * The expert type. Default { type: 'ffn' }: linear layers d -> hiddenSizes... -> outputDim with exact GELU between
   * (and the output projection). { type: 'glu', hiddenSize? }: a gated-linear (GEGLU) expert. Other types: see
   * registerExpertType.
   */
  expert?: MoeExpertOption;
}

/** The expert types MixtureOfExperts ships, and any registered one (see registerExpertType). */
export type MoeExpertOption = { type: 'ffn' } | { type: 'glu'; hiddenSize?: number } | ExpertConfig;

const NAME = 'MixtureOfExperts';

/**
 * Sparse top-k Mixture-of-Experts FFN (MASR-Net's moe_1..3). Router: logits = clamp((x · W_gate)/√d, ±10),
 * softmax over E, top-k, gates p / (Σp + 1e-6). Each token runs through its k expert FFNs only; the outputs are
 * gate-weighted and summed ('sum') or kept per slot ('slots').
 *
 * Input [..., d]; output [..., outputDim] ('sum') or [..., k, outputDim] ('slots'). Tokens are routed
 * independently (N = product of the leading dims, flattened row-major).
 * The aux losses of the latest call are in `lastAux` and reach `fit` through `addLoss`; the routing is in `lastRouting`.
 */
export class MixtureOfExperts extends RoutingLayer {
  static className = 'MasrMixtureOfExperts';
  readonly numExperts: number;
  readonly k: number;
  readonly hiddenSizes: number[];
  readonly outputProjection: boolean;
  readonly useBias: boolean;
  readonly mode: 'sum' | 'slots';
  readonly logitClamp: number;
  readonly auxWeights: AuxLossWeights;
  readonly noisyGating: boolean;
  readonly sampleTopk: number;
  readonly referenceCompat: boolean;
  readonly dispatch: 'sparse' | 'dense';
  private readonly outputDimOption: number | undefined;
  private inputDim = 0;
  private wGate: tfl.LayerVariable | null = null;
  private wNoise: tfl.LayerVariable | null = null;
  /** The experts (all E of one type): see the `expert` option. */
  readonly expert: Expert;

  constructor(options: MixtureOfExpertsOptions) {
    super(options, options.seed);
    this.numExperts = checkPositiveInt(NAME, 'numExperts', options.numExperts);
    this.k = checkTopK(NAME, options.k, this.numExperts);
    this.hiddenSizes = [...(options.hiddenSizes ?? [256, 512])];
    this.hiddenSizes.forEach((h, i) => checkPositiveInt(NAME, `hiddenSizes[${i}]`, h));
    if (options.outputDim != null) checkPositiveInt(NAME, 'outputDim', options.outputDim);
    this.outputDimOption = options.outputDim ?? undefined;
    this.outputProjection = options.outputProjection ?? true;
    this.useBias = options.useBias ?? true;
    this.mode = checkOneOf(NAME, 'mode', options.mode ?? 'sum', ['sum', 'slots']);
    this.logitClamp = options.logitClamp === undefined ? 10 : (options.logitClamp ?? Infinity);
    if (!(this.logitClamp > 0))
      throw new Error(`${NAME}: logitClamp must be > 0 (or null for none), got ${this.logitClamp}`);
    this.auxWeights = resolveAuxWeights(options.auxWeights);
    this.noisyGating = options.noisyGating ?? false;
    this.sampleTopk = checkNonNegative(NAME, 'sampleTopk', options.sampleTopk ?? 0, this.k);
    if (!Number.isInteger(this.sampleTopk))
      throw new Error(`${NAME}: sampleTopk must be an integer, got ${this.sampleTopk}`);
    this.referenceCompat = options.referenceCompat ?? false;
    this.dispatch = checkOneOf(NAME, 'dispatch', options.dispatch ?? 'sparse', ['sparse', 'dense']);
    this.expert = createExpert((options.expert ?? { type: 'ffn' }) as ExpertConfig, this);
  }

  /** The output width (the input width unless `outputDim` was given); known after build. */
  get outputDim(): number {
    return this.outputDimOption ?? this.inputDim;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const d = shape[shape.length - 1];
    if (shape.length < 2 || d == null) {
      throw new Error(`${NAME}: expected input [..., d] of rank >= 2 with a known last dim, got ${shapeString(shape)}`);
    }
    this.inputDim = d;
    const e = this.numExperts;
    const init = this.initializers().normal;
    this.wGate = this.addWeight('w_gate', [d, e], 'float32', init(1 / Math.sqrt(d)));
    if (this.referenceCompat) {
      this.addWeight('w_atten_gate', [e, e], 'float32', init(1 / Math.sqrt(e)), undefined, false);
    }
    if (this.noisyGating) this.wNoise = this.addWeight('w_noise', [d, e], 'float32', init(0.01));
    // After the router weights: the initialisers' seeds are drawn in creation order.
    this.expert.build({
      numExperts: e,
      inputDim: d,
      outputDim: this.outputDim,
      useBias: this.useBias,
      addWeight: (name, shape, how) =>
        this.addWeight(name, shape, 'float32', how === 'zeros' ? tfl.initializers.zeros() : init(how.normalStd)),
    });
    this.registerAuxLoss();
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const lead = shape.slice(0, -1);
    const out = this.outputDimOption ?? shape[shape.length - 1]!;
    return this.mode === 'sum' ? [...lead, out] : [...lead, this.k, out];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      if (list.length !== 1) throw new Error(`${NAME}: expects one input [..., d], got ${list.length}`);
      const x = list[0]!;
      const d = this.inputDim;
      if (x.rank < 2 || x.shape[x.rank - 1] !== d) {
        throw new Error(`${NAME}: expected input [..., ${d}] of rank >= 2, got [${x.shape}]`);
      }
      const training = kwargs?.['training'] === true;
      const n = x.size / d;
      const x2 = tf.reshape(x, [n, d]) as tf.Tensor2D;
      let logits = routerLogits(x2, this.wGate!.read() as tf.Tensor2D, this.logitClamp);
      if (this.noisyGating && training) {
        logits = noisyLogits(
          logits,
          x2,
          this.wNoise!.read() as tf.Tensor2D,
          this.seed == null ? undefined : this.rng.nextSeed(),
        );
      }
      const r = route(logits, {
        k: this.k,
        sampleCount: training ? this.sampleTopk : 0,
        override: this.overrideFor(n),
        slotOrder: this.mode === 'slots' ? 'ascending' : 'selection',
        rng: this.rng,
        auxWeights: this.auxWeights,
      });
      const experts: MoeExperts = {
        numExperts: this.numExperts,
        k: this.k,
        expert: this.expert,
        mode: this.mode,
      };
      // Routing decided on the device has no host plan: the dense form computes the same mixture with tensor ops.
      const y = this.dispatch === 'sparse' && r.indices ? sparseMoe(x2, r, experts) : denseMoe(x2, r, experts);
      this.record(r.aux, r.indexTensor, r.gates);
      const lead = x.shape.slice(0, -1);
      return tf.reshape(y, this.mode === 'sum' ? [...lead, this.outputDim] : [...lead, this.k, this.outputDim]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      numExperts: this.numExperts,
      k: this.k,
      hiddenSizes: [...this.hiddenSizes],
      outputProjection: this.outputProjection,
      useBias: this.useBias,
      mode: this.mode,
      logitClamp: Number.isFinite(this.logitClamp) ? this.logitClamp : null,
      auxWeights: { ...this.auxWeights },
      noisyGating: this.noisyGating,
      sampleTopk: this.sampleTopk,
      referenceCompat: this.referenceCompat,
      dispatch: this.dispatch,
    };
    if (this.outputDimOption != null) config['outputDim'] = this.outputDimOption;
    if (this.seed != null) config['seed'] = this.seed;
    const expert = this.expert.getConfig();
    if (expert.type !== 'ffn') config['expert'] = expert; // default configs stay as saved before expert types
    return { ...super.getConfig(), ...config };
  }
}
tf.serialization.registerClass(MixtureOfExperts);
