import { DEFAULT_LOSS_WEIGHTS, type MasrLossWeights } from '../losses/index';

export type MASRNetPreset = 'lolv1' | 'lsrw' | 'lolv2';

/** One Mixture-of-Attention stage (the reference's multi_attention_i). */
export interface MasrAttentionConfig {
  /** Query/output expert pairs. Reference 3. */
  numExperts: number;
  /** Routing slots (= heads) per query token. Reference 2. */
  k: number;
  /** Single-head width. Reference 64 (= embedDim / num_heads). */
  headDim: number;
  /** Dropout on the attention probabilities, training only. Reference 0.05. */
  dropout: number;
}

/** One Mixture-of-Experts stage (the reference's moe_i). */
export interface MasrMoeConfig {
  numExperts: number;
  k: number;
  /** Expert FFN hidden widths (then embedDim, then the output expert embedDim -> embedDim). */
  hiddenSizes: number[];
}

/** One ISP estimator head (the reference's isp_i decoder). */
export interface MasrDecoderConfig {
  hiddenSizes: number[];
  dropout: number;
}

/**
 * Every setting of the reference model (config.default_config()), camel-cased. Plain JSON: `JSON.parse(JSON.stringify(c))`
 * rebuilds the same model. Derived sizes (decoder outputs = (patchSize*windowSize)^2 x params per pixel) are not stored.
 */
export interface MASRNetConfig {
  /** The preset this config started from (informational). */
  preset?: string;
  /** Patch side in pixels (patch-embedding conv kernel = stride). lolv1/lsrw 4, lolv2 2. */
  patchSize: number;
  /** Window side in patches. lolv1/lsrw 2, lolv2 4. One window covers patchSize*windowSize pixels. */
  windowSize: number;
  /** Token width d. Reference 128. */
  embedDim: number;
  /** Channels of the 3x3 stem conv. Reference 48. */
  stemChannels: number;
  /** GroupNorm groups of the patch embedding. Reference 8. */
  groupNormGroups: number;
  /** EispGeneratorFFN. Reference hidden 256, dropout 0.05. */
  eispGenerator: { hiddenDim: number; dropout: number };
  /** QKIspGenerator: numHeads ISP keys per window (= ISP slots = decoders: must be 3). Reference dropout 0.05. */
  qkGenerator: { numHeads: number; dropout: number };
  /** KVFeatureGenerator. Reference dropout 0.05. */
  kvGenerator: { dropout: number };
  /** multi_attention_1..4. */
  attention: [MasrAttentionConfig, MasrAttentionConfig, MasrAttentionConfig, MasrAttentionConfig];
  /** moe_1 (slot mode: k must equal qkGenerator.numHeads), moe_2, moe_3. */
  moe: [MasrMoeConfig, MasrMoeConfig, MasrMoeConfig];
  /** Router logit clamp of the MoE layers. Reference 10. */
  logitClamp: number;
  /** Aux-loss term weights of every routing layer. Reference { cv: 0.05, switch: 0.01, z: 0.001 }. */
  auxWeights: { cv: number; switch: number; z: number };
  /**
   * When the MoA layers sample their second expert (the reference samples it with torch.multinomial, in training and
   * in eval). Default 'train': deterministic top-k inference; 'always' reproduces the reference's stochastic eval.
   */
  sampleSecondExpert: 'train' | 'always' | 'never';
  /** multi_attention_3's position bias: 'reference' (the misaligned layout, checkpoint-compatible) or 'aligned'. */
  positionBias: 'reference' | 'aligned';
  /** ISP estimator heads: gamma (isp_1), colour (isp_2), saturation (isp_4). */
  decoders: { gamma: MasrDecoderConfig; color: MasrDecoderConfig; saturation: MasrDecoderConfig };
  /** Map generation: coarse/fine mix, EnhancedFFN dropout, passes of the shared smoothing modules. */
  mapGenerator: {
    coarseWeight: number;
    fineWeight: number;
    ffnDropout: number;
    paramSmootherPasses: number;
    antiCheckerboardPasses: number;
  };
  /** ColorTransform: M = I + residualScale * params, clamped to ±3. Reference 0.5. */
  colorResidualScale: number;
  /** Training-loss weights (reference config loss_weights). */
  lossWeights: MasrLossWeights;
}

const attention = (dropout = 0.05): MasrAttentionConfig => ({ numExperts: 3, k: 2, headDim: 64, dropout });

function referenceConfig(patchSize: number, windowSize: number, preset: MASRNetPreset): MASRNetConfig {
  return {
    preset,
    patchSize,
    windowSize,
    embedDim: 128,
    stemChannels: 48,
    groupNormGroups: 8,
    eispGenerator: { hiddenDim: 256, dropout: 0.05 },
    qkGenerator: { numHeads: 3, dropout: 0.05 },
    kvGenerator: { dropout: 0.05 },
    attention: [attention(), attention(), attention(), attention()],
    moe: [
      { numExperts: 6, k: 3, hiddenSizes: [256, 512] },
      { numExperts: 3, k: 2, hiddenSizes: [256, 512] },
      { numExperts: 3, k: 2, hiddenSizes: [256, 512, 256] },
    ],
    logitClamp: 10,
    auxWeights: { cv: 0.05, switch: 0.01, z: 0.001 },
    sampleSecondExpert: 'train',
    positionBias: 'reference',
    decoders: {
      gamma: { hiddenSizes: [96, 64, 32], dropout: 0.05 },
      color: { hiddenSizes: [256, 384, 512, 576], dropout: 0.05 },
      saturation: { hiddenSizes: [96, 64, 32], dropout: 0.05 },
    },
    mapGenerator: {
      coarseWeight: 0.9,
      fineWeight: 0.1,
      ffnDropout: 0.1,
      paramSmootherPasses: 2,
      antiCheckerboardPasses: 2,
    },
    colorResidualScale: 0.5,
    lossWeights: { ...DEFAULT_LOSS_WEIGHTS },
  };
}

/** The preset configs: lolv1 and lsrw use patch 4 / window 2, lolv2 patch 2 / window 4 (8x8-pixel windows in all). */
export function presetConfig(preset: MASRNetPreset = 'lolv1'): MASRNetConfig {
  switch (preset) {
    case 'lolv1':
    case 'lsrw':
      return referenceConfig(4, 2, preset);
    case 'lolv2':
      return referenceConfig(2, 4, preset);
    default:
      throw new Error(`MASRNet: unknown preset '${String(preset)}', expected 'lolv1', 'lsrw' or 'lolv2'`);
  }
}

type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
export type MASRNetOverrides = DeepPartial<MASRNetConfig>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of overrides into a config (objects merge, arrays and scalars replace). Unknown keys are an error. */
export function mergeConfig(base: MASRNetConfig, overrides: MASRNetOverrides | undefined, path = ''): MASRNetConfig {
  if (!overrides) return structuredClone(base);
  const out = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!(key in out)) throw new Error(`MASRNet config: unknown field '${path}${key}'`);
    const cur = out[key];
    if (isPlainObject(cur) && isPlainObject(value)) {
      out[key] = mergeConfig(cur as unknown as MASRNetConfig, value as MASRNetOverrides, `${path}${key}.`);
    } else {
      out[key] = structuredClone(value);
    }
  }
  return out as unknown as MASRNetConfig;
}

function positiveInt(v: unknown, name: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new Error(`MASRNet config: ${name} must be a positive integer, got ${String(v)}`);
}

function rate(v: unknown, name: string): void {
  if (typeof v !== 'number' || !(v >= 0 && v < 1))
    throw new Error(`MASRNet config: ${name} must be in [0, 1), got ${String(v)}`);
}

function sizes(v: unknown, name: string): void {
  if (!Array.isArray(v) || v.length === 0)
    throw new Error(`MASRNet config: ${name} must be a non-empty array of positive integers`);
  v.forEach((x, i) => positiveInt(x, `${name}[${i}]`));
}

/** Throws a message naming the first invalid field. */
export function validateConfig(c: MASRNetConfig): void {
  positiveInt(c.patchSize, 'patchSize');
  positiveInt(c.windowSize, 'windowSize');
  positiveInt(c.embedDim, 'embedDim');
  positiveInt(c.stemChannels, 'stemChannels');
  positiveInt(c.groupNormGroups, 'groupNormGroups');
  if (c.embedDim % c.groupNormGroups !== 0)
    throw new Error(`MASRNet config: embedDim ${c.embedDim} is not divisible by groupNormGroups ${c.groupNormGroups}`);
  positiveInt(c.eispGenerator?.hiddenDim, 'eispGenerator.hiddenDim');
  rate(c.eispGenerator.dropout, 'eispGenerator.dropout');
  rate(c.qkGenerator?.dropout, 'qkGenerator.dropout');
  rate(c.kvGenerator?.dropout, 'kvGenerator.dropout');
  if (c.qkGenerator.numHeads !== 3) {
    throw new Error(
      `MASRNet config: qkGenerator.numHeads must be 3 (one ISP slot per decoder: gamma, colour, saturation), got ${c.qkGenerator.numHeads}`,
    );
  }
  if (!Array.isArray(c.attention) || c.attention.length !== 4)
    throw new Error('MASRNet config: attention must list 4 stages');
  c.attention.forEach((a, i) => {
    positiveInt(a.numExperts, `attention[${i}].numExperts`);
    positiveInt(a.k, `attention[${i}].k`);
    positiveInt(a.headDim, `attention[${i}].headDim`);
    rate(a.dropout, `attention[${i}].dropout`);
    if (a.k > a.numExperts)
      throw new Error(`MASRNet config: attention[${i}].k ${a.k} exceeds numExperts ${a.numExperts}`);
  });
  if (c.attention[0].numExperts !== c.qkGenerator.numHeads) {
    throw new Error(
      `MASRNet config: attention[0].numExperts (${c.attention[0].numExperts}) must equal qkGenerator.numHeads (${c.qkGenerator.numHeads}): the ISP keys are its expert keys`,
    );
  }
  if (!Array.isArray(c.moe) || c.moe.length !== 3) throw new Error('MASRNet config: moe must list 3 stages');
  c.moe.forEach((m, i) => {
    positiveInt(m.numExperts, `moe[${i}].numExperts`);
    positiveInt(m.k, `moe[${i}].k`);
    sizes(m.hiddenSizes, `moe[${i}].hiddenSizes`);
    if (m.k > m.numExperts) throw new Error(`MASRNet config: moe[${i}].k ${m.k} exceeds numExperts ${m.numExperts}`);
  });
  if (c.moe[0].k !== c.qkGenerator.numHeads) {
    throw new Error(
      `MASRNet config: moe[0].k (${c.moe[0].k}) must equal qkGenerator.numHeads (${c.qkGenerator.numHeads}): slot j gets chunk j of e_isp_big`,
    );
  }
  if (!(c.logitClamp > 0)) throw new Error(`MASRNet config: logitClamp must be > 0, got ${c.logitClamp}`);
  if (!['train', 'always', 'never'].includes(c.sampleSecondExpert))
    throw new Error(
      `MASRNet config: sampleSecondExpert must be 'train', 'always' or 'never', got '${c.sampleSecondExpert}'`,
    );
  if (!['reference', 'aligned'].includes(c.positionBias))
    throw new Error(`MASRNet config: positionBias must be 'reference' or 'aligned', got '${c.positionBias}'`);
  for (const k of ['gamma', 'color', 'saturation'] as const) {
    sizes(c.decoders?.[k]?.hiddenSizes, `decoders.${k}.hiddenSizes`);
    rate(c.decoders[k].dropout, `decoders.${k}.dropout`);
  }
  rate(c.mapGenerator?.ffnDropout, 'mapGenerator.ffnDropout');
  positiveInt(c.mapGenerator.paramSmootherPasses, 'mapGenerator.paramSmootherPasses');
  positiveInt(c.mapGenerator.antiCheckerboardPasses, 'mapGenerator.antiCheckerboardPasses');
  for (const [k, v] of Object.entries(c.lossWeights ?? {})) {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`MASRNet config: lossWeights.${k} must be a finite number`);
  }
}

/** Pixels per window side. */
export function windowPixels(c: MASRNetConfig): number {
  return c.patchSize * c.windowSize;
}
