import * as tf from '@tensorflow/tfjs-core';
import { applyIsp, ispGainMap, ISP_OPS, type IspRawMaps } from '../isp/index';
import { checkpoint, stopGradientOf } from '../ops/index';
import { ResidualDenoiser } from '../layers/denoise/residual-denoiser';
import { buildNested, type ReferenceWeight, type Shape } from '../layers/basic/common';
import { EispGenerator } from '../layers/masr/eisp-generator';
import { IspDecoder } from '../layers/masr/isp-decoder';
import { ispGuidedEncoder } from '../layers/masr/isp-guided-encoder';
import { KVFeatureGenerator } from '../layers/masr/kv-feature-generator';
import { LayerNorm } from '../layers/basic/layer-norm';
import { Linear } from '../layers/basic/linear';
import { MapGenerator, type StageRecorder } from '../layers/masr/map-generator';
import { MasrBlock, type ProjectedKeyValue } from '../layers/masr/masr-block';
import { NeighbourSearcher } from '../layers/masr/neighbour-searcher';
import { PatchEmbedding } from '../layers/masr/patch-embedding';
import { QKIspGenerator } from '../layers/masr/qk-isp-generator';
import { windowPartition } from '../layers/basic/window-partition';
import { MixtureOfAttention, MixtureOfExperts } from '../layers/exports-routing';
import type * as tfl from '@tensorflow/tfjs-layers';
import { windowPixels, type MASRNetConfig, type MasrBlockConfig, type MasrDecoderConfig } from './config';
import { blockReferenceNames, networkReferenceWeights } from './reference-keys';

/** The seven routing layers of the reference presets, by their reference names. */
export type RoutingLayerName =
  'multi_attention_1' | 'moe_1' | 'multi_attention_2' | 'moe_2' | 'multi_attention_3' | 'moe_3' | 'multi_attention_4';

/** The routing layers of the reference presets (`routingLayers()` of a custom stack has one pair per block). */
export const ROUTING_LAYER_NAMES: readonly RoutingLayerName[] = [
  'multi_attention_1',
  'moe_1',
  'multi_attention_2',
  'moe_2',
  'multi_attention_3',
  'moe_3',
  'multi_attention_4',
];

export interface ForwardResult {
  /** [B, H, W, 3] in [1e-8, 1]. */
  enhanced: tf.Tensor4D;
  /** The raw ISP maps (gamma increment, colour params, saturation logits), as applyIsp takes them; not kept in training. */
  maps?: IspRawMaps;
  /** Mean of the routing layers' weighted aux losses (computeAuxLosses). */
  aux: tf.Scalar;
  /** With a denoiser placed 'after': the ISP's output before denoising. Not kept in training. */
  ispOutput?: tf.Tensor4D;
  /** With a denoiser placed 'before': the denoised dark input the ISP was applied to. Not kept in training. */
  denoisedInput?: tf.Tensor4D;
}

/** Lower bound of the enhanced image (as the ISP's output): keeps later logs and divisions finite. */
const ENHANCED_MIN = 1e-8;

/** Neighbour tokens per slot of a `neighbours` block (the 8 cells around a window). */
const NEIGHBOURS = 8;

/**
 * The MASR-Net graph: every block as its own layer, composed explicitly (tfjs-layers does not track nested layers, so
 * this class owns the list). The stack follows `config.blocks`: block 1, the ISP-guided encoder, is its own layers
 * (ispAttention ... slotMoeNorm); blocks 2.. are MasrBlocks (`blocks`). The ISP heads follow the ISP op registry.
 * Input sizes must be multiples of patchSize * windowSize; MASRNet pads and crops.
 */
export class MasrNetwork {
  readonly patchEmbed: PatchEmbedding;
  readonly eispGenerator: EispGenerator;
  readonly eispExpand: Linear;
  readonly qkGenerator: QKIspGenerator;
  readonly kvGenerator: KVFeatureGenerator;
  readonly ispAttention: MixtureOfAttention;
  readonly ispAttentionNorm: LayerNorm;
  readonly slotMoe: MixtureOfExperts;
  readonly slotMoeNorm: LayerNorm;
  /** Blocks 2..N of the stack (config.blocks[1..]), layer names masr_block_2... */
  readonly blocks: MasrBlock[];
  readonly neighbours: NeighbourSearcher;
  /** The ISP decoder heads, by op name (reference isp_<index>). */
  readonly decoders: Record<string, IspDecoder>;
  /** The map generators, by op name. */
  readonly mapGenerators: Record<string, MapGenerator>;
  /** The denoising stage (config.denoiser), or null. Its weights are `denoiser.*`. */
  readonly denoiser: ResidualDenoiser | null;
  /**
   * When true, every layer but the denoiser is frozen: run in inference mode even in training (no dropout,
   * deterministic routing, nothing of it on the gradient tape), and left out of MASRNet.trainableVariables. The
   * layers' own `trainable` flags are not changed. Set by MASRNet.freezeBase.
   */
  baseFrozen = false;

  constructor(readonly config: MASRNetConfig) {
    const c = config;
    const d = c.embedDim;
    const slots = c.qkGenerator.numHeads;
    const win = windowPixels(c);
    const t = c.windowSize * c.windowSize;
    const common = { logitClamp: c.logitClamp };
    this.patchEmbed = new PatchEmbedding({
      name: 'feature_extractor',
      patchSize: c.patchSize,
      embedDim: d,
      stemChannels: c.stemChannels,
      groups: c.groupNormGroups,
    });
    this.eispGenerator = new EispGenerator({
      name: 'emb_gen',
      hiddenDim: c.eispGenerator.hiddenDim,
      outputDim: d,
      dropout: c.eispGenerator.dropout,
    });
    this.eispExpand = new Linear({ name: 'e_isp_expand', units: d * slots });
    this.qkGenerator = new QKIspGenerator({ name: 'qk_gen', numHeads: slots, dropout: c.qkGenerator.dropout });
    this.kvGenerator = new KVFeatureGenerator({ name: 'kv_gen', dropout: c.kvGenerator.dropout });
    const [encoder, ...rest] = c.blocks as [MasrBlockConfig, ...MasrBlockConfig[]];
    const first = blockReferenceNames(1);
    this.ispAttention = new MixtureOfAttention({
      name: first.attention,
      numExperts: encoder.attention.numExperts,
      k: encoder.attention.k,
      headDim: encoder.attention.headDim,
      routing: 'attentionGate',
      sampleSecondExpert: c.sampleSecondExpert,
      attentionDropout: encoder.attention.dropout,
      auxWeights: c.auxWeights,
      referenceCompat: true, // the reference's unused router weights, so its checkpoints load key for key
    });
    this.ispAttentionNorm = new LayerNorm({ name: first.attentionNorm });
    this.slotMoe = new MixtureOfExperts({
      name: first.moe,
      numExperts: encoder.moe!.numExperts,
      k: encoder.moe!.k,
      hiddenSizes: encoder.moe!.hiddenSizes,
      mode: 'slots',
      auxWeights: c.auxWeights,
      referenceCompat: true,
      ...common,
    });
    this.slotMoeNorm = new LayerNorm({ name: first.moeNorm });
    this.blocks = rest.map(
      (b, j) =>
        new MasrBlock({
          name: `masr_block_${j + 2}`,
          attentionExperts: b.attention.numExperts,
          attentionK: b.attention.k,
          headDim: b.attention.headDim,
          attentionDropout: b.attention.dropout,
          sampleSecondExpert: c.sampleSecondExpert,
          auxWeights: c.auxWeights,
          referenceCompat: true,
          feedForward: b.moe !== null,
          ...(b.moe ? { moeExperts: b.moe.numExperts, moeK: b.moe.k, moeHiddenSizes: b.moe.hiddenSizes } : {}),
          ...(b.kind === 'neighbours'
            ? { crossAttention: true, positionBias: c.positionBias, numPositions: NEIGHBOURS }
            : {}),
          residualOffset: b.residualOffset,
          ...common,
        }),
    );
    this.neighbours = new NeighbourSearcher({ name: 'patch_neighbor_searcher' });
    const m = c.mapGenerator;
    const mapOptions = {
      windowPixels: win,
      coarseWeight: m.coarseWeight,
      fineWeight: m.fineWeight,
      ffnDropout: m.ffnDropout,
      paramSmootherPasses: m.paramSmootherPasses,
      antiCheckerboardPasses: m.antiCheckerboardPasses,
    };
    this.decoders = {};
    this.mapGenerators = {};
    for (const op of ISP_OPS) {
      const dec = (c.decoders as Record<string, MasrDecoderConfig>)[op.name]!;
      this.decoders[op.name] = new IspDecoder({
        name: `isp_${op.reference.index}`,
        hiddenSizes: dec.hiddenSizes,
        outputDim: win * win * op.channels,
        dropout: dec.dropout,
        ...(op.decoder.outputBiasInit !== 0 ? { outputBiasInit: op.decoder.outputBiasInit } : {}),
      });
    }
    for (const op of ISP_OPS) {
      this.mapGenerators[op.name] = new MapGenerator({
        name: `${op.name}_map`,
        channels: op.channels,
        ...(op.paramSmoothing ? { paramSmoothing: true } : {}),
        ...mapOptions,
      });
    }
    const dn = c.denoiser ?? null;
    this.denoiser = dn
      ? new ResidualDenoiser({
          name: 'denoiser',
          channels: dn.channels,
          blocks: dn.blocks,
          scale: dn.scale,
          conditionChannels: dn.conditioning === 'gain' ? 1 : 0,
        })
      : null;

    // Build every layer from symbolic shapes, so the weights exist before the first call (weight import, counts).
    const tok = (n: number | null, w = d): Shape => [null, null, n, w];
    buildNested(this.patchEmbed, [null, null, null, 3]);
    buildNested(this.eispGenerator, tok(t));
    buildNested(this.eispExpand, [null, null, d]);
    buildNested(this.qkGenerator, [null, null, d]);
    buildNested(this.kvGenerator, tok(t));
    buildNested(this.ispAttention, [tok(1), tok(t), tok(t), tok(slots)]);
    buildNested(this.ispAttentionNorm, tok(1));
    buildNested(this.slotMoe, tok(1));
    buildNested(this.slotMoeNorm, [null, null, 1, slots, d]);
    this.blocks.forEach((b) => buildNested(b, b.crossAttention ? [tok(slots), tok(slots * NEIGHBOURS)] : tok(slots)));
    for (const op of ISP_OPS) buildNested(this.decoders[op.name]!, [null, d]);
    for (const op of ISP_OPS) buildNested(this.mapGenerators[op.name]!, [null, null, null, win * win * op.channels]);
    if (this.denoiser) {
      const image: Shape = [null, null, null, 3];
      buildNested(this.denoiser, this.denoiser.conditionChannels > 0 ? [image, [null, null, null, 1]] : image);
    }
  }

  /** Every layer (blocks and composites), in forward order. */
  layers(): tfl.layers.Layer[] {
    return [
      this.patchEmbed,
      this.eispGenerator,
      this.eispExpand,
      this.qkGenerator,
      this.kvGenerator,
      this.ispAttention,
      this.ispAttentionNorm,
      this.slotMoe,
      this.slotMoeNorm,
      // The neighbour searcher (no weights) just before the first block that uses it, as the reference's modules.
      ...this.blocks.flatMap((b, j) =>
        j === this.blocks.findIndex((x) => x.crossAttention) ? [this.neighbours, b] : [b],
      ),
      ...(this.blocks.some((b) => b.crossAttention) ? [] : [this.neighbours]),
      ...ISP_OPS.map((op) => this.decoders[op.name]!),
      ...ISP_OPS.map((op) => this.mapGenerators[op.name]!),
      ...(this.denoiser ? [this.denoiser] : []),
    ];
  }

  /**
   * The routing layers by reference name, in forward order (multi_attention_1, moe_1, multi_attention_2, ...; the
   * presets' seven are ROUTING_LAYER_NAMES).
   */
  routingLayers(): Record<string, MixtureOfAttention | MixtureOfExperts> {
    const first = blockReferenceNames(1);
    const out: Record<string, MixtureOfAttention | MixtureOfExperts> = {
      [first.attention]: this.ispAttention,
      [first.moe]: this.slotMoe,
    };
    this.blocks.forEach((b, j) => {
      const names = blockReferenceNames(j + 2);
      out[names.attention] = b.attention;
      if (b.moe) out[names.moe] = b.moe;
    });
    return out;
  }

  /** Every weight with its reference state_dict key (see networkReferenceWeights). */
  referenceWeights(): ReferenceWeight[] {
    return networkReferenceWeights(this);
  }

  /**
   * The forward pass on images [B, H, W, 3] whose sizes are multiples of patchSize * windowSize. `record` sees every
   * stage under its reference activation name (channel-last layouts).
   */
  forward(images: tf.Tensor4D, options: { training?: boolean; record?: StageRecorder } = {}): ForwardResult {
    const training = options.training ?? false;
    const rec: StageRecorder = options.record ?? (() => {});
    const win = windowPixels(this.config);
    const [, height, width, ch] = images.shape;
    if (ch !== 3) throw new Error(`MASRNet: images must be [B, H, W, 3], got [${images.shape}]`);
    if (height % win !== 0 || width % win !== 0) {
      throw new Error(
        `MASRNet: forward needs H and W multiples of ${win} (patchSize*windowSize), got ${height}x${width}`,
      );
    }
    const dn = this.config.denoiser ?? null;
    return tf.tidy((): tf.TensorContainer => {
      // The maps are needed outside the ISP pass to return them, and to apply them again to a denoised input.
      const keepMaps = !training || dn?.placement === 'before';
      const isp =
        training && this.baseFrozen
          ? this.frozenIspPass(images, keepMaps)
          : this.ispPass(images, { training, keepMaps, record: options.record });
      let enhanced = isp.enhanced;
      let ispOutput: tf.Tensor4D | undefined;
      let denoisedInput: tf.Tensor4D | undefined;
      if (this.denoiser && dn) {
        // The denoiser's inputs: the image, and the gain map when it is conditioned on it.
        const conditioned = (base: tf.Tensor4D): tf.Tensor4D[] =>
          this.denoiser!.conditionChannels > 0 ? [base, ispGainMap(images, enhanced)] : [base];
        if (dn.placement === 'after') {
          if (!training) ispOutput = enhanced;
          enhanced = this.denoise(conditioned(enhanced), ENHANCED_MIN);
        } else {
          const denoised = this.denoise(conditioned(images), 0);
          if (!training) denoisedInput = denoised;
          enhanced = applyIsp(denoised, isp.maps!, { color: { residualScale: this.config.colorResidualScale } });
        }
      }
      rec('enhanced', enhanced);
      const totals = Object.values(this.routingLayers()).map((l) => l.lastAux?.total ?? tf.scalar(0));
      const aux = tf.div(tf.addN(totals), totals.length) as tf.Scalar;
      const result: ForwardResult = { enhanced, maps: training ? undefined : isp.maps, aux, ispOutput, denoisedInput };
      return result as unknown as tf.TensorContainer;
    }) as unknown as ForwardResult;
  }

  /** The denoiser's output clipped to [min, 1]. */
  private denoise(inputs: tf.Tensor4D[], min: number): tf.Tensor4D {
    const out = this.denoiser!.call(inputs.length === 1 ? inputs[0]! : inputs) as tf.Tensor4D;
    return tf.clipByValue(out, min, 1);
  }

  /**
   * The ISP pass of a frozen base in training: in inference mode and off the gradient tape (a constant to the
   * denoiser's gradients), so none of its intermediates are held for the backward pass.
   */
  private frozenIspPass(images: tf.Tensor4D, keepMaps: boolean): { enhanced: tf.Tensor4D; maps?: IspRawMaps } {
    const sizes = [3, ...ISP_OPS.map((op) => op.channels)];
    const packed = stopGradientOf(() => {
      const r = this.ispPass(images, { training: false, keepMaps });
      return keepMaps ? tf.concat([r.enhanced, ...ISP_OPS.map((op) => r.maps![op.name]!)], 3) : r.enhanced;
    });
    if (!keepMaps) return { enhanced: packed as tf.Tensor4D };
    const [enhanced, ...maps] = tf.split(packed, sizes, 3) as tf.Tensor4D[];
    return { enhanced: enhanced!, maps: Object.fromEntries(ISP_OPS.map((op, i) => [op.name, maps[i]!])) as IspRawMaps };
  }

  /**
   * The reference network: images -> ISP maps -> the ISP's output. With `keepMaps` false (training), the maps + ISP
   * stage is checkpointed and the maps are not returned.
   */
  private ispPass(
    images: tf.Tensor4D,
    options: { training: boolean; keepMaps: boolean; record?: StageRecorder },
  ): { enhanced: tf.Tensor4D; maps?: IspRawMaps } {
    const c = this.config;
    const { training, keepMaps } = options;
    const rec: StageRecorder = options.record ?? (() => {});
    const kw = { training };
    const win = windowPixels(c);
    const [bsz, height, width] = images.shape;
    const gh = height / win;
    const gw = width / win;
    const p = gh * gw;
    const d = c.embedDim;
    const slots = c.qkGenerator.numHeads;
    // Training checkpoints the maps + ISP stage (below): its many full-resolution intermediates would otherwise
    // be held by the tape, which the wasm heap could not hold. The feature extractor keeps only ~3 tensors of
    // 48 channels per pixel on the tape, so it is not worth recomputing.
    const features = this.patchEmbed.call(images) as tf.Tensor4D;
    const windows = windowPartition(features, c.windowSize);
    rec('features_windows', windows);
    const moe1 = ispGuidedEncoder(
      {
        eispGenerator: this.eispGenerator,
        eispExpand: this.eispExpand,
        qkGenerator: this.qkGenerator,
        kvGenerator: this.kvGenerator,
        attention: this.ispAttention,
        attentionNorm: this.ispAttentionNorm,
        slotMoe: this.slotMoe,
        slotMoeNorm: this.slotMoeNorm,
      },
      windows,
      { training, record: rec },
    );
    rec('moe_output_1', moe1);

    // MasrBlock stage names -> reference activation names.
    const stage = (i: number) => (name: string, t: tf.Tensor) => {
      if (name === 'attention.raw') rec(`mod.multi_attention_${i}.raw_out`, t);
      else if (name === 'attention') rec(`attn_output_${i}`, t);
      else if (name === 'moe.raw') rec(`mod.moe_${i}.raw_out`, t);
      else if (name === 'out') rec(`moe_output_${i}`, t);
    };
    let x: tf.Tensor = moe1;
    this.blocks.forEach((block, j) => {
      const kv = block.crossAttention
        ? this.neighbourKeyValue(block, x, [bsz, gh, gw, slots, d], !!options.record, rec)
        : null;
      x = block.forward(x, kv, training, stage(j + 2));
    });

    const slot = (j: number) => tf.reshape(tf.slice(x, [0, 0, j, 0], [bsz, p, 1, d]), [bsz * p, d]);
    // Decoder j reads ISP slot j: per-window parameters [B, gh, gw, win*win*channels].
    const windowParams = ISP_OPS.map((op, j) => {
      const raw = this.decoders[op.name]!.call(slot(j), kw) as tf.Tensor2D;
      rec(`isp_final_${op.reference.index}_raw`, raw);
      return tf.reshape(raw, [bsz, gh, gw, raw.shape[1]]) as tf.Tensor4D;
    });
    const render = (img: tf.Tensor4D, params: tf.Tensor4D[]) => {
      const maps = this.renderMaps(params, training, rec);
      const enhanced = applyIsp(img, maps, { color: { residualScale: c.colorResidualScale }, record: rec });
      return { enhanced, maps };
    };
    let enhanced: tf.Tensor4D;
    let maps: IspRawMaps | undefined;
    if (training && !keepMaps) {
      const gens = Object.values(this.mapGenerators).flatMap((g) => variablesOf(g));
      const n = windowParams.length;
      // The input image is a constant here: no gradient is computed for it.
      enhanced = checkpoint(
        (...xs) => render(xs[n] as tf.Tensor4D, xs.slice(0, n) as tf.Tensor4D[]).enhanced,
        windowParams,
        gens,
        [images],
      );
    } else {
      ({ enhanced, maps } = render(images, windowParams));
    }
    return { enhanced, maps };
  }

  /**
   * A `neighbours` block's keys and values: the tokens of the 8 neighbouring windows, through the block's K/V
   * projections. Projecting the zero-ringed grid and gathering after gives the same tensors (zero cells project to
   * the bias) with ~1/7.5 of the product at 400x600 (the ring of cells adds rows: 12,012 instead of 90,000).
   */
  private neighbourKeyValue(
    block: MasrBlock,
    x: tf.Tensor,
    gridShape: [number, number, number, number, number],
    recording: boolean,
    rec: StageRecorder,
  ): ProjectedKeyValue {
    const grid = tf.reshape(x, gridShape) as tf.Tensor5D;
    if (recording) rec('neighbor_features', this.neighbours.call(grid) as tf.Tensor);
    const [kGrid, vGrid] = block.attention.projectKeyValue(NeighbourSearcher.pad(grid));
    return { key: this.neighbours.gatherPadded(kGrid), value: this.neighbours.gatherPadded(vGrid) };
  }

  /** Per-window decoder outputs, one per ISP op -> the smoothed per-pixel raw ISP maps (the reference's map smoothing). */
  private renderMaps(windowParams: tf.Tensor4D[], training: boolean, rec: StageRecorder): IspRawMaps {
    const maps: Record<string, tf.Tensor4D> = {};
    ISP_OPS.forEach((op, j) => {
      // MapGenerator stage names -> reference activation names.
      const stageName = (name: string): string => {
        if (name === 'mix') return `${op.name}_map_mix`;
        if (name === 'ffn') return `mod.isp_final_${op.reference.index}_mlp.call0`;
        if (name.startsWith('anti_checkerboard.')) return `mod.anti_checkerboard_${op.name}.${name.split('.')[1]}`;
        return `mod.${name}`; // param_smoother.callN, boundary_smoother.call0
      };
      const map = this.mapGenerators[op.name]!.generate(windowParams[j]!, training, (name, t) =>
        rec(stageName(name), t),
      );
      rec(op.reference.mapRecord, map);
      maps[op.name] = map;
    });
    return maps as IspRawMaps;
  }

  dispose(): void {
    for (const l of this.layers()) {
      if (l.built) l.dispose();
    }
  }
}

/** The variables behind a layer's trainable weights (for checkpoint). */
function variablesOf(layer: tfl.layers.Layer): tf.Variable[] {
  return layer.trainableWeights.map((w) => w.read() as tf.Variable);
}
