import { windowPixels, type MASRNetConfig } from './config';

/** FLOPs (2 x multiply-accumulates) of one forward pass, per module, for an H x W image (padded to the window). */
export interface FlopsBreakdown {
  total: number;
  modules: Record<string, number>;
}

const sumProducts = (widths: number[]) => widths.slice(1).reduce((acc, w, i) => acc + widths[i]! * w, 0);

/**
 * Counts every conv, linear, expert matMul (with the actual k per token) and attention product
 * (q·k and p·v), as 2 x MACs; norms, activations, resizes and the ISP's per-pixel arithmetic are not counted
 * (negligible). Matches the reference's 64.3 GFLOPs at 400x600 for ps4/ws2 within 0.1% (64.36 G).
 */
export function countFlops(config: MASRNetConfig, height: number, width: number): FlopsBreakdown {
  const win = windowPixels(config);
  const h = Math.ceil(height / win) * win;
  const w = Math.ceil(width / win) * win;
  const pixels = h * w;
  const d = config.embedDim;
  const ps = config.patchSize;
  const patches = pixels / (ps * ps);
  const windows = pixels / (win * win);
  const t = config.windowSize * config.windowSize;
  const slots = config.qkGenerator.numHeads;
  const m: Record<string, number> = {};

  m.feature_extractor = pixels * 9 * 3 * config.stemChannels + patches * (ps * ps * config.stemChannels * d + d * d);
  const eh = config.eispGenerator.hiddenDim;
  m.emb_gen = windows * t * (d * eh + eh * eh) + windows * eh * d;
  m.e_isp_expand = windows * d * d * slots;
  m.qk_gen = windows * (d * d * slots + d * d);
  m.kv_gen = windows * t * d * 2 * d;

  // Mixture of attention: routing (w_gate or attention gate), k query experts and k output experts per query token,
  // shared K/V projections per source token, and the two attention products per slot.
  const moa = (i: number, tq: number, tk: number) => {
    const a = config.attention[i]!;
    const gate = i === 0 ? tq * a.numExperts * d : tq * d * a.numExperts;
    const proj = tk * 2 * d * a.headDim;
    return windows * (gate + proj + tq * a.k * (2 * d * a.headDim + 2 * tk * a.headDim));
  };
  m.multi_attention_1 = moa(0, 1, t);
  m.multi_attention_2 = moa(1, slots, slots);
  m.multi_attention_3 = moa(2, slots, slots * 8);
  m.multi_attention_4 = moa(3, slots, slots);

  const moe = (i: number, tokens: number) => {
    const e = config.moe[i]!;
    return tokens * (d * e.numExperts + e.k * (sumProducts([d, ...e.hiddenSizes, d]) + d * d));
  };
  m.moe_1 = moe(0, windows);
  m.moe_2 = moe(1, windows * slots);
  m.moe_3 = moe(2, windows * slots);

  const dec = config.decoders;
  m.isp_1 = windows * sumProducts([d, ...dec.gamma.hiddenSizes, win * win]);
  m.isp_2 = windows * sumProducts([d, ...dec.color.hiddenSizes, win * win * 9]);
  m.isp_4 = windows * sumProducts([d, ...dec.saturation.hiddenSizes, win * win]);

  const mg = config.mapGenerator;
  const antiCheckerboard = (c: number) => pixels * (c * c * (3 + 3 + 9) + 3 * c * c) * mg.antiCheckerboardPasses;
  const ffn = (c: number) => pixels * 2 * c * c;
  m.isp_final_mlp = ffn(1) * 2 + ffn(9);
  m.param_smoother = pixels * (81 * (25 + 49) + 18 * 9) * mg.paramSmootherPasses;
  m.boundary_smoother = pixels * (81 * (9 + 25) + 18 * 9);
  m.anti_checkerboard = antiCheckerboard(1) * 2 + antiCheckerboard(9);
  m.color_transform = pixels * 9;

  const modules: Record<string, number> = {};
  let total = 0;
  for (const [k, macs] of Object.entries(m)) {
    modules[k] = 2 * macs;
    total += 2 * macs;
  }
  return { total, modules };
}
