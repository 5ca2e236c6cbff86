import * as tf from '@tensorflow/tfjs-core';
import { applyIsp, type IspMaps } from '../isp/index';
import { checkpoint } from '../ops/index';
import { buildNested, type ReferenceWeight, type Shape } from '../layers/blocks/common';
import { EispGenerator } from '../layers/blocks/eisp-generator';
import { IspDecoder } from '../layers/blocks/isp-decoder';
import { ispGuidedEncoder } from '../layers/blocks/isp-guided-encoder';
import { KVFeatureGenerator } from '../layers/blocks/kv-feature-generator';
import { LayerNorm } from '../layers/blocks/layer-norm';
import { Linear } from '../layers/blocks/linear';
import { MapGenerator, type StageRecorder } from '../layers/blocks/map-generator';
import { MasrBlock } from '../layers/blocks/masr-block';
import { NeighbourSearcher } from '../layers/blocks/neighbour-searcher';
import { PatchEmbedding } from '../layers/blocks/patch-embedding';
import { QKIspGenerator } from '../layers/blocks/qk-isp-generator';
import { routingReferenceWeights } from '../layers/blocks/routing-weights';
import { windowPartition } from '../layers/blocks/window';
import { MixtureOfAttention, MixtureOfExperts } from '../layers/exports-routing';
import type * as tfl from '@tensorflow/tfjs-layers';
import { windowPixels, type MASRNetConfig } from './config';

/** The seven routing layers by their reference names. */
export type RoutingLayerName =
  'multi_attention_1' | 'moe_1' | 'multi_attention_2' | 'moe_2' | 'multi_attention_3' | 'moe_3' | 'multi_attention_4';

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
  /** The ISP parameter maps as predicted (gamma increment, colour params, saturation logits); not kept in training. */
  maps?: IspMaps;
  /** Mean of the seven routing layers' weighted aux losses (reference §9). */
  aux: tf.Scalar;
}

/**
 * The MASR-Net graph: every block as its own layer, composed explicitly (tfjs-layers does not track nested layers, so
 * this class owns the list). Input sizes must be multiples of patchSize * windowSize; MASRNet pads and crops.
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
  readonly block2: MasrBlock;
  readonly neighbours: NeighbourSearcher;
  readonly block3: MasrBlock;
  readonly block4: MasrBlock;
  readonly decoders: { gamma: IspDecoder; color: IspDecoder; saturation: IspDecoder };
  readonly mapGenerators: { gamma: MapGenerator; color: MapGenerator; saturation: MapGenerator };

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
    const a = c.attention;
    this.ispAttention = new MixtureOfAttention({
      name: 'multi_attention_1',
      numExperts: a[0].numExperts,
      k: a[0].k,
      headDim: a[0].headDim,
      routing: 'attentionGate',
      sampleSecondExpert: c.sampleSecondExpert,
      attentionDropout: a[0].dropout,
      auxWeights: c.auxWeights,
      referenceCompat: true, // the reference's unused router weights, so its checkpoints load key for key
    });
    this.ispAttentionNorm = new LayerNorm({ name: 'attn_norm' });
    this.slotMoe = new MixtureOfExperts({
      name: 'moe_1',
      numExperts: c.moe[0].numExperts,
      k: c.moe[0].k,
      hiddenSizes: c.moe[0].hiddenSizes,
      mode: 'slots',
      auxWeights: c.auxWeights,
      referenceCompat: true,
      ...common,
    });
    this.slotMoeNorm = new LayerNorm({ name: 'moe_1_norm' });
    const moeOptions = (m: MASRNetConfig['moe'][number]) => ({
      moeExperts: m.numExperts,
      moeK: m.k,
      moeHiddenSizes: m.hiddenSizes,
    });
    const block = (i: 1 | 2 | 3, extra: Record<string, unknown>) =>
      new MasrBlock({
        name: `masr_block_${i + 1}`,
        attentionExperts: a[i].numExperts,
        attentionK: a[i].k,
        headDim: a[i].headDim,
        attentionDropout: a[i].dropout,
        sampleSecondExpert: c.sampleSecondExpert,
        auxWeights: c.auxWeights,
        referenceCompat: true,
        ...(i < 3 ? moeOptions(c.moe[i as 1 | 2]) : {}),
        ...common,
        ...extra,
      });
    this.block2 = block(1, {});
    this.neighbours = new NeighbourSearcher({ name: 'patch_neighbor_searcher' });
    this.block3 = block(2, { crossAttention: true, positionBias: c.positionBias, numPositions: 8 });
    this.block4 = block(3, { feedForward: false, residualOffset: 1e-6 });
    const dec = c.decoders;
    this.decoders = {
      gamma: new IspDecoder({
        name: 'isp_1',
        hiddenSizes: dec.gamma.hiddenSizes,
        outputDim: win * win,
        dropout: dec.gamma.dropout,
      }),
      color: new IspDecoder({
        name: 'isp_2',
        hiddenSizes: dec.color.hiddenSizes,
        outputDim: win * win * 9,
        dropout: dec.color.dropout,
      }),
      saturation: new IspDecoder({
        name: 'isp_4',
        hiddenSizes: dec.saturation.hiddenSizes,
        outputDim: win * win,
        dropout: dec.saturation.dropout,
        outputBiasInit: 1,
      }),
    };
    const m = c.mapGenerator;
    const mapOptions = {
      windowPixels: win,
      coarseWeight: m.coarseWeight,
      fineWeight: m.fineWeight,
      ffnDropout: m.ffnDropout,
      paramSmootherPasses: m.paramSmootherPasses,
      antiCheckerboardPasses: m.antiCheckerboardPasses,
    };
    this.mapGenerators = {
      gamma: new MapGenerator({ name: 'gamma_map', channels: 1, ...mapOptions }),
      color: new MapGenerator({ name: 'color_map', channels: 9, paramSmoothing: true, ...mapOptions }),
      saturation: new MapGenerator({ name: 'saturation_map', channels: 1, ...mapOptions }),
    };

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
    buildNested(this.block2, tok(slots));
    buildNested(this.block3, [tok(slots), tok(slots * 8)]);
    buildNested(this.block4, tok(slots));
    buildNested(this.decoders.gamma, [null, d]);
    buildNested(this.decoders.color, [null, d]);
    buildNested(this.decoders.saturation, [null, d]);
    buildNested(this.mapGenerators.gamma, [null, null, null, win * win]);
    buildNested(this.mapGenerators.color, [null, null, null, win * win * 9]);
    buildNested(this.mapGenerators.saturation, [null, null, null, win * win]);
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
      this.block2,
      this.neighbours,
      this.block3,
      this.block4,
      this.decoders.gamma,
      this.decoders.color,
      this.decoders.saturation,
      this.mapGenerators.gamma,
      this.mapGenerators.color,
      this.mapGenerators.saturation,
    ];
  }

  /** The seven routing layers by reference name. */
  routingLayers(): Record<RoutingLayerName, MixtureOfAttention | MixtureOfExperts> {
    return {
      multi_attention_1: this.ispAttention,
      moe_1: this.slotMoe,
      multi_attention_2: this.block2.attention,
      moe_2: this.block2.moe!,
      multi_attention_3: this.block3.attention,
      moe_3: this.block3.moe!,
      multi_attention_4: this.block4.attention,
    };
  }

  /** Every weight with its reference state_dict key. */
  referenceWeights(): ReferenceWeight[] {
    const out: ReferenceWeight[] = [];
    const add = (prefix: string, list: ReferenceWeight[]) => {
      for (const w of list) out.push({ ...w, key: `${prefix}.${w.key}` });
    };
    add('feature_extractor', this.patchEmbed.referenceWeights());
    add('emb_gen', this.eispGenerator.referenceWeights());
    add('e_isp_expand', this.eispExpand.referenceWeights());
    add('qk_gen', this.qkGenerator.referenceWeights());
    add('kv_gen', this.kvGenerator.referenceWeights());
    add('multi_attention_1', routingReferenceWeights(this.ispAttention));
    add('attn_norm', this.ispAttentionNorm.referenceWeights());
    add('moe_1', routingReferenceWeights(this.slotMoe));
    add('moe_1_norm', this.slotMoeNorm.referenceWeights());
    const blocks: [MasrBlock, number][] = [
      [this.block2, 2],
      [this.block3, 3],
      [this.block4, 4],
    ];
    for (const [b, i] of blocks) {
      const g = b.referenceWeightGroups();
      add(`multi_attention_${i}`, g.attention);
      add(`attn${i}_norm`, g.attentionNorm);
      if (b.moe) {
        add(`moe_${i}`, g.moe);
        add(`moe_${i}_norm`, g.moeNorm);
      }
    }
    add('isp_1', this.decoders.gamma.referenceWeights());
    add('isp_2', this.decoders.color.referenceWeights());
    add('isp_4', this.decoders.saturation.referenceWeights());
    const maps: [MapGenerator, string, string][] = [
      [this.mapGenerators.gamma, '1', 'gamma'],
      [this.mapGenerators.color, '2', 'color'],
      [this.mapGenerators.saturation, '4', 'saturation'],
    ];
    for (const [m, i, name] of maps) {
      const g = m.referenceWeightGroups();
      add(`isp_final_${i}_mlp`, g.ffn);
      if (m.paramSmoothing) {
        add('param_smoother', g.paramSmoother);
        add('boundary_smoother', g.boundarySmoother);
      }
      add(`anti_checkerboard_${name}`, g.antiCheckerboard);
    }
    return out;
  }

  /**
   * The forward pass on images [B, H, W, 3] whose sizes are multiples of patchSize * windowSize. `record` sees every
   * stage under its reference activation name (channel-last layouts).
   */
  forward(images: tf.Tensor4D, options: { training?: boolean; record?: StageRecorder } = {}): ForwardResult {
    const c = this.config;
    const training = options.training ?? false;
    const rec: StageRecorder = options.record ?? (() => {});
    const kw = { training };
    const win = windowPixels(c);
    const [bsz, height, width, ch] = images.shape;
    if (ch !== 3) throw new Error(`MASRNet: images must be [B, H, W, 3], got [${images.shape}]`);
    if (height % win !== 0 || width % win !== 0) {
      throw new Error(
        `MASRNet: forward needs H and W multiples of ${win} (patchSize*windowSize), got ${height}x${width}`,
      );
    }
    const gh = height / win;
    const gw = width / win;
    const p = gh * gw;
    const d = c.embedDim;
    const slots = c.qkGenerator.numHeads;
    return tf.tidy((): tf.TensorContainer => {
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
      const stage = (i: number, final: string) => (name: string, t: tf.Tensor) => {
        if (name === 'attention.raw') rec(`mod.multi_attention_${i}.raw_out`, t);
        else if (name === 'attention') rec(`attn_output_${i}`, t);
        else if (name === 'moe.raw') rec(`mod.moe_${i}.raw_out`, t);
        else if (name === 'out') rec(final, t);
      };
      const moe2 = this.block2.forward(moe1, null, training, stage(2, 'moe_output_2'));
      const grid = tf.reshape(moe2, [bsz, gh, gw, slots, d]);
      if (options.record) rec('neighbor_features', this.neighbours.call(grid) as tf.Tensor);
      // multi_attention_3's keys/values are the neighbour tokens' K/V projections. Projecting the zero-ringed grid and
      // gathering after gives the same tensors (zero cells project to the bias) with ~1/7.5 of the product at 400x600
      // (the ring of cells adds rows: 12,012 instead of 90,000).
      const [kGrid, vGrid] = this.block3.attention.projectKeyValue(NeighbourSearcher.pad(grid));
      const kv = { key: this.neighbours.gatherPadded(kGrid), value: this.neighbours.gatherPadded(vGrid) };
      const moe3 = this.block3.forward(moe2, kv, training, stage(3, 'moe_output_3'));
      const attn4 = this.block4.forward(moe3, null, training, stage(4, 'attn_output_4'));

      const slot = (j: number) => tf.reshape(tf.slice(attn4, [0, 0, j, 0], [bsz, p, 1, d]), [bsz * p, d]);
      const perWindow = (j: number, dec: IspDecoder, refIndex: string) => {
        const raw = dec.call(slot(j), kw) as tf.Tensor2D;
        rec(`isp_final_${refIndex}_raw`, raw);
        return tf.reshape(raw, [bsz, gh, gw, raw.shape[1]]) as tf.Tensor4D;
      };
      const windowParams = [
        perWindow(0, this.decoders.gamma, '1'),
        perWindow(1, this.decoders.color, '2'),
        perWindow(2, this.decoders.saturation, '4'),
      ];
      const render = (img: tf.Tensor4D, g: tf.Tensor4D, cp: tf.Tensor4D, sat: tf.Tensor4D) => {
        const maps = this.renderMaps([g, cp, sat], training, rec);
        const enhanced = applyIsp(img, maps, { color: { residualScale: c.colorResidualScale }, record: rec });
        return { enhanced, maps };
      };
      let enhanced: tf.Tensor4D;
      let maps: IspMaps | undefined;
      if (training) {
        const gens = Object.values(this.mapGenerators).flatMap((g) => variablesOf(g));
        // The input image is a constant here: no gradient is computed for it.
        enhanced = checkpoint(
          (g, cp, sat, img) =>
            render(img as tf.Tensor4D, g as tf.Tensor4D, cp as tf.Tensor4D, sat as tf.Tensor4D).enhanced,
          windowParams,
          gens,
          [images],
        );
      } else {
        ({ enhanced, maps } = render(images, windowParams[0]!, windowParams[1]!, windowParams[2]!));
      }
      rec('enhanced', enhanced);
      const totals = Object.values(this.routingLayers()).map((l) => l.lastAux?.total ?? tf.scalar(0));
      const aux = tf.div(tf.addN(totals), totals.length) as tf.Scalar;
      const result: ForwardResult = { enhanced, maps, aux };
      return result as unknown as tf.TensorContainer;
    }) as unknown as ForwardResult;
  }

  /** Per-window decoder outputs [gamma, colour, saturation] -> the smoothed per-pixel ISP maps (reference §7). */
  private renderMaps(windowParams: tf.Tensor4D[], training: boolean, rec: StageRecorder): IspMaps {
    const [g, cp, sat] = windowParams as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const run = (gen: MapGenerator, params: tf.Tensor4D, names: Record<string, string>) =>
      gen.generate(params, training, (name, t) => {
        const key = names[name];
        if (key) rec(key, t);
      });
    const gamma = run(this.mapGenerators.gamma, g, {
      mix: 'gamma_map_mix',
      ffn: 'mod.isp_final_1_mlp.call0',
      'anti_checkerboard.call0': 'mod.anti_checkerboard_gamma.call0',
      'anti_checkerboard.call1': 'mod.anti_checkerboard_gamma.call1',
    });
    rec('gamma_map', gamma);
    const color = run(this.mapGenerators.color, cp, {
      mix: 'color_map_mix',
      ffn: 'mod.isp_final_2_mlp.call0',
      'param_smoother.call0': 'mod.param_smoother.call0',
      'param_smoother.call1': 'mod.param_smoother.call1',
      'boundary_smoother.call0': 'mod.boundary_smoother.call0',
      'anti_checkerboard.call0': 'mod.anti_checkerboard_color.call0',
      'anti_checkerboard.call1': 'mod.anti_checkerboard_color.call1',
    });
    rec('color_params_map', color);
    const saturation = run(this.mapGenerators.saturation, sat, {
      mix: 'saturation_map_mix',
      ffn: 'mod.isp_final_4_mlp.call0',
      'anti_checkerboard.call0': 'mod.anti_checkerboard_saturation.call0',
      'anti_checkerboard.call1': 'mod.anti_checkerboard_saturation.call1',
    });
    rec('saturation_map', saturation);
    return { gamma, color, saturation };
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
