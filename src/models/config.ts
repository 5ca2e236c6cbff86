import { DEFAULT_AUTO_EXPOSURE, POOLED_AUTO_EXPOSURE, type AutoExposureConfig } from '../isp/auto-exposure';
import { ISP_OPS } from '../isp/index';
import { DEFAULT_LOSS_WEIGHTS, type MasrLossWeights } from '../losses/index';

/** The preset names, in the order the CLI and errors list them. */
export const MASRNET_PRESETS = [
  'lolv1',
  'lsrw',
  'lolv2',
  'tiny',
  'lolv1-denoise',
  'lolv1-autoexposure',
  'lolv1-denoise-autoexposure',
] as const;
export type MASRNetPreset = (typeof MASRNET_PRESETS)[number];

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

/**
 * What a block's attention attends to:
 * - `ispGuided`: the ISP-guided encoder (first block only, and always first): the three ISP query tokens of each
 *   window attend to its feature tokens through the attention gate (multi_attention_1), then a slot-mode MoE gives
 *   slot j chunk j of the expanded ISP embedding (moe_1). Its moe is required, with k = qkGenerator.numHeads.
 * - `self`: the slot tokens of each window attend to each other (multi_attention_2 and _4 of the reference).
 * - `neighbours`: cross-attention from the slot tokens to the slot tokens of the 8 neighbouring windows, with the
 *   config's position bias (multi_attention_3 of the reference).
 */
export type MasrBlockKind = 'ispGuided' | 'self' | 'neighbours';

/** One block of the stack: block i (1-based) has the reference names multi_attention_i and moe_i. */
export interface MasrBlockConfig {
  kind: MasrBlockKind;
  attention: MasrAttentionConfig;
  /** The feed-forward half (MoE -> LayerNorm -> residual); null leaves it out (the reference's last block). */
  moe: MasrMoeConfig | null;
  /** Constant added after the attention residual: the reference adds 1e-6 in its last block, 0 elsewhere. */
  residualOffset: number;
}

/** One ISP estimator head (the reference's isp_i decoder). */
export interface MasrDecoderConfig {
  hiddenSizes: number[];
  dropout: number;
}

/**
 * The optional denoising stage (not in the reference): a ResidualDenoiser (src/layers/denoise) that removes the noise
 * the ISP amplifies, conditioned on the per-pixel ISP gain (ispGainMap).
 */
export interface MasrDenoiserConfig {
  /**
   * 'after' (default): denoise the ISP's output, where the noise has been amplified. 'before': denoise the dark input,
   * then apply the same ISP maps to it (the maps and the gain come from the noisy input; the ISP runs twice).
   */
  placement: 'after' | 'before';
  /** 'gain' (default): the log ISP gain map is a fourth input channel. 'none': the image alone. */
  conditioning: 'gain' | 'none';
  /** Convolution channels. Default 32. */
  channels: number;
  /** Residual blocks. Default 2. */
  blocks: number;
  /** Space-to-depth factor (the convolutions run at 1/scale resolution). Default 2. */
  scale: number;
}

/** The denoiser's defaults (`denoiser: {}` in overrides means these). */
export const DEFAULT_DENOISER: MasrDenoiserConfig = {
  placement: 'after',
  conditioning: 'gain',
  channels: 32,
  blocks: 2,
  scale: 2,
};

/**
 * The denoiser of `lolv1-denoise-autoexposure`: on the input brought to the white point, before the ISP, blind (no
 * conditioning: it is pre-trained alone, without the ISP network that makes the gain map), 96 channels at 1/4 of the
 * resolution: a wide receptive field for the noise of a 6-stop gain, for +35% FLOPs (1.28x the forward time of
 * lolv1 at 400x600 on wasm).
 */
export const AUTO_EXPOSURE_DENOISER: MasrDenoiserConfig = {
  placement: 'before',
  conditioning: 'none',
  channels: 96,
  blocks: 4,
  scale: 4,
};

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
  /**
   * The block stack, first to last (at least one: the ISP-guided encoder). The reference presets have four:
   * ispGuided, self, neighbours, self without feed-forward (residual offset 1e-6). Configs saved before the stack was
   * a list (`attention: [4 stages], moe: [3 stages]`) are read into it by mergeConfig.
   */
  blocks: MasrBlockConfig[];
  /** Router logit clamp of the MoE layers. Reference 10. */
  logitClamp: number;
  /** Aux-loss term weights of every routing layer. Reference { cv: 0.05, switch: 0.01, z: 0.001 }. */
  auxWeights: { cv: number; switch: number; z: number };
  /**
   * When the MoA layers sample their second expert (the reference samples it with torch.multinomial, in training and
   * in eval). Default 'train': deterministic top-k inference; 'always' reproduces the reference's stochastic eval.
   */
  sampleSecondExpert: 'train' | 'always' | 'never';
  /**
   * Position bias of the `neighbours` blocks (multi_attention_3): 'reference' (the misaligned layout,
   * checkpoint-compatible) or 'aligned'.
   */
  positionBias: 'reference' | 'aligned';
  /**
   * ISP estimator heads, one per registered ISP op (src/isp/registry.ts):
   * gamma (isp_1), colour (isp_2), saturation (isp_4).
   */
  decoders: { gamma: MasrDecoderConfig; color: MasrDecoderConfig; saturation: MasrDecoderConfig } & Record<
    string,
    MasrDecoderConfig
  >;
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
  /**
   * The denoising stage, or null (the reference presets: no denoiser). Not part of the reference; its weights are
   * saved and exported under `denoiser.*`.
   */
  denoiser: MasrDenoiserConfig | null;
  /**
   * White-point exposure normalisation of the input before the network (one linear gain per photo, from the whole
   * photo: src/isp/auto-exposure.ts), or null (the reference presets). Not part of the reference; it has no weights.
   * `enhance`, `enhanceWithMaps` and `enhanceTiled` apply it; the trainer applies it in the data loader, before
   * cropping, so `computeLoss` and `trainStep` take inputs already normalised.
   */
  autoExposure: AutoExposureConfig | null;
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
    qkGenerator: { numHeads: ISP_OPS.length, dropout: 0.05 },
    kvGenerator: { dropout: 0.05 },
    blocks: [
      {
        kind: 'ispGuided',
        attention: attention(),
        moe: { numExperts: 6, k: 3, hiddenSizes: [256, 512] },
        residualOffset: 0,
      },
      {
        kind: 'self',
        attention: attention(),
        moe: { numExperts: 3, k: 2, hiddenSizes: [256, 512] },
        residualOffset: 0,
      },
      {
        kind: 'neighbours',
        attention: attention(),
        moe: { numExperts: 3, k: 2, hiddenSizes: [256, 512, 256] },
        residualOffset: 0,
      },
      { kind: 'self', attention: attention(), moe: null, residualOffset: 1e-6 },
    ],
    logitClamp: 10,
    auxWeights: { cv: 0.05, switch: 0.01, z: 0.001 },
    sampleSecondExpert: 'train',
    positionBias: 'reference',
    // Each op's reference head (gamma [96, 64, 32], colour [256, 384, 512, 576], saturation [96, 64, 32]).
    decoders: Object.fromEntries(
      ISP_OPS.map((op) => [op.name, structuredClone(op.decoder.defaults)]),
    ) as MASRNetConfig['decoders'],
    mapGenerator: {
      coarseWeight: 0.9,
      fineWeight: 0.1,
      ffnDropout: 0.1,
      paramSmootherPasses: 2,
      antiCheckerboardPasses: 2,
    },
    colorResidualScale: 0.5,
    lossWeights: { ...DEFAULT_LOSS_WEIGHTS },
    denoiser: null,
    autoExposure: null,
  };
}

/** A narrow two-block model (97 k parameters) for experiments and fast tests: not trained, not reference-sized. */
function tinyConfig(): MASRNetConfig {
  const base = referenceConfig(4, 2, 'lolv1');
  const narrow = { numExperts: 3, k: 2, headDim: 16, dropout: 0.05 };
  return {
    ...base,
    preset: 'tiny',
    embedDim: 32,
    stemChannels: 16,
    eispGenerator: { hiddenDim: 64, dropout: 0.05 },
    blocks: [
      {
        kind: 'ispGuided',
        attention: { ...narrow },
        moe: { numExperts: 3, k: 3, hiddenSizes: [64] },
        residualOffset: 0,
      },
      {
        kind: 'neighbours',
        attention: { ...narrow },
        moe: { numExperts: 2, k: 1, hiddenSizes: [64] },
        residualOffset: 0,
      },
    ],
    decoders: {
      gamma: { hiddenSizes: [16], dropout: 0.05 },
      color: { hiddenSizes: [32], dropout: 0.05 },
      saturation: { hiddenSizes: [16], dropout: 0.05 },
    },
    // One pass of each smoothing module: at full resolution they are most of the cost of a small model.
    mapGenerator: { ...base.mapGenerator, paramSmootherPasses: 1, antiCheckerboardPasses: 1 },
  };
}

/**
 * The preset configs:
 * - `lolv1`, `lsrw` (patch 4 / window 2) and `lolv2` (patch 2 / window 4): the reference model (8x8-pixel windows in
 *   all), four blocks, 4.94 M parameters, parity with Britark/MASR-Net.
 * - `tiny`: patch 4 / window 2, width 32, two blocks (the ISP-guided encoder, then a neighbour cross-attention block
 *   with a 2-expert MoE), small ISP heads, one pass of each map-smoothing module: 97,014 parameters (127 of them the
 *   reference's unused router weights) and 6.7 GFLOPs at 400x600 (lolv1: 4.94 M, 64.4 G), for experiments and fast
 *   tests. Most of its cost is the per-pixel map smoothing, whose modules keep the reference's size.
 * - `lolv1-denoise`: lolv1 plus a learnable denoiser (config.denoiser).
 * - `lolv1-autoexposure`: lolv1 (same weights layout) fed inputs brought to a common white point
 *   (config.autoExposure), so the network sees the photo's global exposure.
 * - `lolv1-denoise-autoexposure`: lolv1 with the pooled white point (POOLED_AUTO_EXPOSURE) and a denoiser on the
 *   normalised input before the ISP (AUTO_EXPOSURE_DENOISER).
 */
export function presetConfig(preset: MASRNetPreset = 'lolv1'): MASRNetConfig {
  switch (preset) {
    case 'lolv1':
    case 'lsrw':
      return referenceConfig(4, 2, preset);
    case 'lolv2':
      return referenceConfig(2, 4, preset);
    case 'tiny':
      return tinyConfig();
    case 'lolv1-denoise':
      return { ...referenceConfig(4, 2, 'lolv1'), preset: 'lolv1-denoise', denoiser: { ...DEFAULT_DENOISER } };
    case 'lolv1-autoexposure':
      return {
        ...referenceConfig(4, 2, 'lolv1'),
        preset: 'lolv1-autoexposure',
        autoExposure: { ...DEFAULT_AUTO_EXPOSURE },
      };
    case 'lolv1-denoise-autoexposure':
      return {
        ...referenceConfig(4, 2, 'lolv1'),
        preset: 'lolv1-denoise-autoexposure',
        autoExposure: { ...POOLED_AUTO_EXPOSURE },
        denoiser: { ...AUTO_EXPOSURE_DENOISER },
      };
    default:
      throw new Error(`MASRNet: unknown preset '${String(preset)}', expected one of ${MASRNET_PRESETS.join(', ')}`);
  }
}

type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/**
 * The stack as configs listed it before `blocks` (and as saved models, checkpoints and recipes of that time store it):
 * one attention stage per block, one MoE stage per block that has a feed-forward, in block order.
 */
export interface LegacyStackFields {
  /** @deprecated use `blocks[i].attention`. */
  attention?: MasrAttentionConfig[];
  /** @deprecated use `blocks[i].moe`. */
  moe?: MasrMoeConfig[];
}

export type MASRNetOverrides = DeepPartial<MASRNetConfig> & LegacyStackFields;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The tuple form written onto the stack of `config`: attention[i] -> block i, moe[j] -> the j-th block with a MoE. */
function applyLegacyStack(config: MASRNetConfig, legacy: LegacyStackFields): MASRNetConfig {
  const blocks = config.blocks;
  const withMoe = blocks.filter((b) => b.moe !== null);
  const check = (list: unknown, n: number, name: string, what: string) => {
    if (!Array.isArray(list) || list.length !== n)
      throw new Error(
        `MASRNet config: ${name} (the tuple form of the block stack) must list ${n} stages, one per ${what}, got ${Array.isArray(list) ? list.length : String(list)}; or give 'blocks'`,
      );
  };
  if (legacy.attention !== undefined) {
    check(legacy.attention, blocks.length, 'attention', 'block');
    blocks.forEach((b, i) => (b.attention = structuredClone(legacy.attention![i]!)));
  }
  if (legacy.moe !== undefined) {
    check(legacy.moe, withMoe.length, 'moe', 'block with a feed-forward');
    withMoe.forEach((b, j) => (b.moe = structuredClone(legacy.moe![j]!)));
  }
  return config;
}

/** The optional stages (null when off) and the defaults of the fields an override switching one on leaves out. */
const SWITCHED_ON_DEFAULTS: Record<string, object> = {
  denoiser: DEFAULT_DENOISER,
  autoExposure: DEFAULT_AUTO_EXPOSURE,
};

/**
 * Deep merge of overrides into a config (objects merge, arrays and scalars replace). Unknown keys are an error.
 * The tuple form (`attention`, `moe`) is written onto the base's block stack.
 */
export function mergeConfig(base: MASRNetConfig, overrides: MASRNetOverrides | undefined, path = ''): MASRNetConfig {
  if (!overrides) return structuredClone(base);
  if (path === '' && ('attention' in overrides || 'moe' in overrides)) {
    const { attention, moe, ...rest } = overrides;
    if (rest.blocks !== undefined)
      throw new Error("MASRNet config: give either 'blocks' or the tuple form ('attention', 'moe'), not both");
    return applyLegacyStack(mergeConfig(base, rest as MASRNetOverrides), { attention, moe });
  }
  const out = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!(key in out)) throw new Error(`MASRNet config: unknown field '${path}${key}'`);
    const cur = out[key];
    const defaults =
      path === '' && cur == null && isPlainObject(value) && Object.hasOwn(SWITCHED_ON_DEFAULTS, key)
        ? SWITCHED_ON_DEFAULTS[key]
        : undefined;
    if (defaults) {
      // Switching an optional stage on (`denoiser: {}`): the fields not given take their defaults.
      out[key] = mergeConfig(defaults as unknown as MASRNetConfig, value as MASRNetOverrides, `${key}.`);
    } else if (isPlainObject(cur) && isPlainObject(value)) {
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

function validateBlocks(c: MASRNetConfig): void {
  if (!Array.isArray(c.blocks) || c.blocks.length === 0)
    throw new Error('MASRNet config: blocks must list at least one block (the ispGuided encoder)');
  const kinds: MasrBlockKind[] = ['ispGuided', 'self', 'neighbours'];
  c.blocks.forEach((b, i) => {
    const at = `blocks[${i}]`;
    if (!isPlainObject(b))
      throw new Error(`MASRNet config: ${at} must be an object { kind, attention, moe, residualOffset }`);
    if (!kinds.includes(b.kind))
      throw new Error(
        `MASRNet config: ${at}.kind must be 'ispGuided', 'self' or 'neighbours', got '${String(b.kind)}'`,
      );
    if ((i === 0) !== (b.kind === 'ispGuided'))
      throw new Error(
        `MASRNet config: ${at}.kind: the first block, and only the first, must be 'ispGuided', got '${b.kind}'`,
      );
    const a = b.attention;
    positiveInt(a?.numExperts, `${at}.attention.numExperts`);
    positiveInt(a.k, `${at}.attention.k`);
    positiveInt(a.headDim, `${at}.attention.headDim`);
    rate(a.dropout, `${at}.attention.dropout`);
    if (a.k > a.numExperts)
      throw new Error(`MASRNet config: ${at}.attention.k ${a.k} exceeds numExperts ${a.numExperts}`);
    if (b.moe !== null) {
      const m = b.moe;
      positiveInt(m?.numExperts, `${at}.moe.numExperts`);
      positiveInt(m.k, `${at}.moe.k`);
      sizes(m.hiddenSizes, `${at}.moe.hiddenSizes`);
      if (m.k > m.numExperts) throw new Error(`MASRNet config: ${at}.moe.k ${m.k} exceeds numExperts ${m.numExperts}`);
    }
    if (typeof b.residualOffset !== 'number' || !Number.isFinite(b.residualOffset))
      throw new Error(`MASRNet config: ${at}.residualOffset must be a finite number, got ${String(b.residualOffset)}`);
  });
  const first = c.blocks[0]!;
  if (first.attention.numExperts !== c.qkGenerator.numHeads) {
    throw new Error(
      `MASRNet config: blocks[0].attention.numExperts (${first.attention.numExperts}) must equal qkGenerator.numHeads (${c.qkGenerator.numHeads}): the ISP keys are its expert keys`,
    );
  }
  if (first.moe === null || first.moe.k !== c.qkGenerator.numHeads) {
    throw new Error(
      `MASRNet config: blocks[0].moe.k (${first.moe?.k ?? 'none'}) must equal qkGenerator.numHeads (${c.qkGenerator.numHeads}): slot j gets chunk j of e_isp_big`,
    );
  }
}

function validateDenoiser(d: MasrDenoiserConfig): void {
  if (!isPlainObject(d))
    throw new Error(
      'MASRNet config: denoiser must be null or an object { placement, conditioning, channels, blocks, scale }',
    );
  if (!['after', 'before'].includes(d.placement))
    throw new Error(`MASRNet config: denoiser.placement must be 'after' or 'before', got '${String(d.placement)}'`);
  if (!['gain', 'none'].includes(d.conditioning))
    throw new Error(`MASRNet config: denoiser.conditioning must be 'gain' or 'none', got '${String(d.conditioning)}'`);
  positiveInt(d.channels, 'denoiser.channels');
  if (!Number.isInteger(d.blocks) || d.blocks < 0)
    throw new Error(`MASRNet config: denoiser.blocks must be a non-negative integer, got ${String(d.blocks)}`);
  positiveInt(d.scale, 'denoiser.scale');
}

function validateAutoExposure(a: AutoExposureConfig): void {
  if (!isPlainObject(a))
    throw new Error('MASRNet config: autoExposure must be null or an object { quantile, target, maxGain, pool }');
  if (typeof a.quantile !== 'number' || !(a.quantile > 0 && a.quantile <= 1))
    throw new Error(`MASRNet config: autoExposure.quantile must be in (0, 1], got ${String(a.quantile)}`);
  if (typeof a.target !== 'number' || !(a.target > 0 && a.target <= 1))
    throw new Error(`MASRNet config: autoExposure.target must be in (0, 1], got ${String(a.target)}`);
  if (typeof a.maxGain !== 'number' || !(a.maxGain >= 1 && Number.isFinite(a.maxGain)))
    throw new Error(`MASRNet config: autoExposure.maxGain must be a finite number >= 1, got ${String(a.maxGain)}`);
  if (a.pool !== undefined) positiveInt(a.pool, 'autoExposure.pool');
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
  if (c.qkGenerator.numHeads !== ISP_OPS.length) {
    throw new Error(
      `MASRNet config: qkGenerator.numHeads must be ${ISP_OPS.length} (one ISP slot per decoder: ${ISP_OPS.map((op) => op.name).join(', ')}), got ${c.qkGenerator.numHeads}`,
    );
  }
  validateBlocks(c);
  if (!(c.logitClamp > 0)) throw new Error(`MASRNet config: logitClamp must be > 0, got ${c.logitClamp}`);
  if (!['train', 'always', 'never'].includes(c.sampleSecondExpert))
    throw new Error(
      `MASRNet config: sampleSecondExpert must be 'train', 'always' or 'never', got '${c.sampleSecondExpert}'`,
    );
  if (!['reference', 'aligned'].includes(c.positionBias))
    throw new Error(`MASRNet config: positionBias must be 'reference' or 'aligned', got '${c.positionBias}'`);
  for (const k of ISP_OPS.map((op) => op.name)) {
    sizes(c.decoders?.[k]?.hiddenSizes, `decoders.${k}.hiddenSizes`);
    rate(c.decoders[k].dropout, `decoders.${k}.dropout`);
  }
  rate(c.mapGenerator?.ffnDropout, 'mapGenerator.ffnDropout');
  positiveInt(c.mapGenerator.paramSmootherPasses, 'mapGenerator.paramSmootherPasses');
  positiveInt(c.mapGenerator.antiCheckerboardPasses, 'mapGenerator.antiCheckerboardPasses');
  if (c.denoiser != null) validateDenoiser(c.denoiser);
  if (c.autoExposure != null) validateAutoExposure(c.autoExposure);
  for (const [k, v] of Object.entries(c.lossWeights ?? {})) {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`MASRNet config: lossWeights.${k} must be a finite number`);
  }
}

/** Pixels per window side. */
export function windowPixels(c: MASRNetConfig): number {
  return c.patchSize * c.windowSize;
}
