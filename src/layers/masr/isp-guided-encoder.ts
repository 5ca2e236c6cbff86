import * as tf from '@tensorflow/tfjs-core';
import type { MixtureOfAttention, MixtureOfExperts } from '../exports-routing';
import type { EispGenerator } from './eisp-generator';
import type { KVFeatureGenerator } from './kv-feature-generator';
import type { LayerNorm } from '../basic/layer-norm';
import type { Linear } from '../basic/linear';
import type { StageRecorder } from './map-generator';
import type { QKIspGenerator } from './qk-isp-generator';

/** The layers of the ISP-guided encoder (each owns its weights; the caller owns the layers). */
export interface IspGuidedEncoderLayers {
  /** E_isp FFN: window tokens -> one ISP embedding per window. */
  eispGenerator: EispGenerator;
  /** E_isp expansion d -> slots*d (its chunks are added to the slots). */
  eispExpand: Linear;
  /** Q-ISP (1 query per window) and K-ISP (one expert key per slot). */
  qkGenerator: QKIspGenerator;
  /** K/V features of the window tokens. */
  kvGenerator: KVFeatureGenerator;
  /** Attention-gated MixtureOfAttention (routing 'attentionGate', gate keys = K-ISP). */
  attention: MixtureOfAttention;
  attentionNorm: LayerNorm;
  /** MixtureOfExperts in 'slots' mode (k = slots outputs per window, ascending expert id). */
  slotMoe: MixtureOfExperts;
  slotMoeNorm: LayerNorm;
}

/**
 * The ISP-guided encoder (the reference's encoder stages): window tokens [B, P, T, d] -> one token per ISP slot [B, P, slots, d].
 * e_isp = E_isp(windows); q_isp, k_isp = QK(e_isp); k, v = KV(windows);
 * a = LN(MoA(q_isp, k, v; gate keys k_isp)) + q_isp; out[slot j] = LN(MoE_slots(a)[j]) + e_isp_big[chunk j]
 * (no residual from `a`, as the reference). `record` sees the reference's stage names.
 */
export function ispGuidedEncoder(
  layers: IspGuidedEncoderLayers,
  windows: tf.Tensor4D,
  options: { training?: boolean; record?: StageRecorder } = {},
): tf.Tensor4D {
  const rec: StageRecorder = options.record ?? (() => {});
  const kw = { training: options.training ?? false };
  if (windows.rank !== 4) throw new Error(`ispGuidedEncoder: windows must be [B, P, T, d], got [${windows.shape}]`);
  const [b, p, , d] = windows.shape;
  return tf.tidy(() => {
    const eIsp = layers.eispGenerator.call(windows, kw) as tf.Tensor;
    rec('e_isp', eIsp);
    rec('mod.emb_gen.call0', eIsp);
    const eIspBig = layers.eispExpand.call(eIsp) as tf.Tensor;
    rec('e_isp_big', eIspBig);
    rec('mod.e_isp_expand.call0', eIspBig);
    const [qIsp, kIsp] = layers.qkGenerator.call(eIsp, kw) as tf.Tensor[];
    rec('q_isp', qIsp!);
    rec('k_isp', kIsp!);
    const [kFeat, vFeat] = layers.kvGenerator.call(windows, kw) as tf.Tensor[];
    rec('k_features', kFeat!);
    rec('v_features', vFeat!);
    const attnRaw = layers.attention.apply([qIsp!, kFeat!, vFeat!, kIsp!], kw) as tf.Tensor;
    rec('mod.multi_attention_1.raw_out', attnRaw);
    const attn = tf.add(layers.attentionNorm.call(attnRaw) as tf.Tensor, qIsp!);
    rec('attn_output_1', attn);
    const moeRaw = layers.slotMoe.apply(attn, kw) as tf.Tensor;
    rec('mod.moe_1.raw_out', moeRaw);
    const slotNormed = layers.slotMoeNorm.call(moeRaw) as tf.Tensor;
    rec('moe_output_1_normed_slots', slotNormed);
    const slots = eIspBig.shape[eIspBig.rank - 1]! / d;
    // Slot j (ascending expert id) gets chunk j of e_isp_big.
    return tf.add(tf.reshape(slotNormed, [b, p, slots, d]), tf.reshape(eIspBig, [b, p, slots, d])) as tf.Tensor4D;
  });
}
