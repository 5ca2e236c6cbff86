import type { ReferenceWeight } from '../layers/basic/common';
import type { MapGenerator } from '../layers/masr/map-generator';
import { routingReferenceWeights } from '../layers/routing/reference-weights';
import { ISP_OPS } from '../isp/index';
import type { MasrNetwork } from './network';

/**
 * The reference module names of block i (1-based) of the stack: the reference numbers its modules
 * multi_attention_i, attn{i}_norm (attn_norm for the encoder), moe_i, moe_i_norm; blocks past the reference's four
 * continue the same pattern.
 */
export function blockReferenceNames(i: number): {
  attention: string;
  attentionNorm: string;
  moe: string;
  moeNorm: string;
} {
  return {
    attention: `multi_attention_${i}`,
    attentionNorm: i === 1 ? 'attn_norm' : `attn${i}_norm`,
    moe: `moe_${i}`,
    moeNorm: `moe_${i}_norm`,
  };
}

/**
 * Every weight of the network with its reference state_dict key (Britark/MASR-Net's `Model`): the one mapping from
 * this library's layers to reference keys, used by safetensors import/export and by save/load (whose weight names
 * are these keys). The order is the reference module order; it is the order of weights.bin.
 */
export function networkReferenceWeights(net: MasrNetwork): ReferenceWeight[] {
  const out: ReferenceWeight[] = [];
  const add = (prefix: string, list: ReferenceWeight[]) => {
    for (const w of list) out.push({ ...w, key: `${prefix}.${w.key}` });
  };
  add('feature_extractor', net.patchEmbed.referenceWeights());
  add('emb_gen', net.eispGenerator.referenceWeights());
  add('e_isp_expand', net.eispExpand.referenceWeights());
  add('qk_gen', net.qkGenerator.referenceWeights());
  add('kv_gen', net.kvGenerator.referenceWeights());
  const first = blockReferenceNames(1);
  out.push(...routingReferenceWeights(net.ispAttention, first.attention));
  add(first.attentionNorm, net.ispAttentionNorm.referenceWeights());
  out.push(...routingReferenceWeights(net.slotMoe, first.moe));
  add(first.moeNorm, net.slotMoeNorm.referenceWeights());
  net.blocks.forEach((b, j) => {
    const names = blockReferenceNames(j + 2);
    out.push(...routingReferenceWeights(b.attention, names.attention));
    add(names.attentionNorm, b.attentionNorm.referenceWeights());
    if (b.moe && b.moeNorm) {
      out.push(...routingReferenceWeights(b.moe, names.moe));
      add(names.moeNorm, b.moeNorm.referenceWeights());
    }
  });
  for (const op of ISP_OPS) add(`isp_${op.reference.index}`, net.decoders[op.name]!.referenceWeights());
  for (const op of ISP_OPS) {
    const g = (net.mapGenerators[op.name] as MapGenerator).referenceWeightGroups();
    add(`isp_final_${op.reference.index}_mlp`, g.ffn);
    if (op.paramSmoothing) {
      // One pair of smoothing modules in the reference, shared by the ops that smooth in parameter space.
      add('param_smoother', g.paramSmoother);
      add('boundary_smoother', g.boundarySmoother);
    }
    add(`anti_checkerboard_${op.name}`, g.antiCheckerboard);
  }
  // Not in the reference: the optional denoising stage, under its own prefix.
  if (net.denoiser) add('denoiser', net.denoiser.referenceWeights());
  return out;
}
