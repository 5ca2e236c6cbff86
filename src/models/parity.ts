import * as tf from '@tensorflow/tfjs-core';
import { matMul } from '../ops/index';
import { entryToFloat32, entryToInt32, readSafetensors, type SafetensorsFile } from '../io/safetensors';
import { masrCompositeLoss } from '../losses/index';
import { presetConfig, type MASRNetConfig } from './config';
import { MASRNet } from './masr-net';
import { ROUTING_LAYER_NAMES } from './network';

export interface ParityOptions {
  /** Max abs error allowed on token streams, maps and losses. Default 1e-4. */
  tokenTolerance?: number;
  /** Max abs error allowed on image-space stages (after_color, after_gamma, enhanced). Default 1e-5. */
  imageTolerance?: number;
  /** Replay the recorded MoA routing (`gate.multi_attention_i.idx`). Default true (the reference samples slot 1). */
  replayRouting?: boolean;
  /** File names of the weights and the activations, for error messages. */
  names?: { weights?: string; activations?: string };
}

export interface ParityStage {
  name: string;
  /** Shape in the reference layout. */
  shape: number[];
  maxAbsError: number;
  tolerance: number;
  kind: 'tokens' | 'image' | 'aux' | 'loss';
  ok: boolean;
}

export interface ParityRouting {
  layer: string;
  /** What was compared (e.g. 'slot 0 (argmax)', 'expert sets', 'slot order'). */
  check: string;
  tokens: number;
  mismatches: number;
  ok: boolean;
}

export interface ParityReport {
  ok: boolean;
  patchSize: number;
  windowSize: number;
  batch: number;
  height: number;
  width: number;
  stages: ParityStage[];
  routing: ParityRouting[];
  /** Activation keys that were not compared (nothing in the port produces them). */
  skipped: string[];
}

const IMAGE_STAGES = new Set(['after_color', 'after_gamma', 'enhanced']);
/**
 * The stages that define parity: the token stream after each block, the three maps and the image after each ISP step.
 * A file without them would compare nothing and pass.
 */
const REQUIRED_STAGES = [
  'features_windows',
  'moe_output_1',
  'attn_output_1',
  'attn_output_2',
  'attn_output_3',
  'attn_output_4',
  'gamma_map',
  'color_params_map',
  'saturation_map',
  'after_gamma',
  'after_color',
  'enhanced',
];
const LOSS_TERMS: [string, string][] = [
  ['loss.reconstruction', 'charbonnier'],
  ['loss.psnr', 'psnr'],
  ['loss.ssim', 'ssim'],
  ['loss.lab_color', 'lab'],
  ['loss.auxiliary', 'aux'],
];

function entryTensor(file: SafetensorsFile, key: string): tf.Tensor {
  const e = file.tensors.get(key);
  if (!e) throw new Error(`runParity: the activations file has no '${key}'`);
  return tf.tensor(entryToFloat32(e), e.shape, 'float32');
}

function intRows(file: SafetensorsFile, key: string): { data: Int32Array; rows: number; cols: number } | null {
  const e = file.tensors.get(key);
  if (!e) return null;
  return { data: entryToInt32(e), rows: e.shape[0]!, cols: e.shape[1] ?? 1 };
}

/** Brings a port tensor into the reference layout of `ref` (NHWC -> NCHW where the reference is channel-first). */
function toReferenceLayout(mine: tf.Tensor, refShape: number[]): tf.Tensor {
  if (tf.util.arraysEqual(mine.shape, refShape)) return mine;
  if (mine.rank === 4 && refShape.length === 4) {
    const [b, h, w, c] = mine.shape;
    if (tf.util.arraysEqual([b, c, h, w], refShape)) return tf.transpose(mine, [0, 3, 1, 2]);
  }
  return tf.reshape(mine, refShape);
}

/** Infers the model config from the files: patch size from the patch-embedding kernel, window size from the tokens per window. */
function inferConfig(
  weights: SafetensorsFile,
  acts: SafetensorsFile,
): { config: MASRNetConfig; batch: number; height: number; width: number } {
  const kernel = weights.tensors.get('feature_extractor.patch_embed.weight');
  if (!kernel || kernel.shape.length !== 4)
    throw new Error("runParity: the weights have no 'feature_extractor.patch_embed.weight' [D, C, ps, ps]");
  const patchSize = kernel.shape[2]!;
  const windows = acts.tensors.get('features_windows');
  const input = acts.tensors.get('input');
  if (!input || input.shape.length !== 4) throw new Error("runParity: the activations have no 'input' [B, 3, H, W]");
  if (!windows || windows.shape.length !== 4)
    throw new Error("runParity: the activations have no 'features_windows' [B, P, T, D]");
  const windowSize = Math.round(Math.sqrt(windows.shape[2]!));
  if (windowSize * windowSize !== windows.shape[2])
    throw new Error(`runParity: ${windows.shape[2]} tokens per window is not a square`);
  const preset = presetConfig(patchSize === 2 && windowSize === 4 ? 'lolv2' : 'lolv1');
  const config: MASRNetConfig = {
    ...preset,
    preset: `parity (ps ${patchSize}, ws ${windowSize})`,
    patchSize,
    windowSize,
    embedDim: kernel.shape[0]!,
    stemChannels: kernel.shape[1]!,
  };
  const [batch, , height, width] = input.shape as [number, number, number, number];
  return { config, batch, height, width };
}

function rowSets(data: ArrayLike<number>, rows: number, cols: number, sort: boolean): string[] {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: cols }, (_, c) => data[r * cols + c]!);
    out.push((sort ? row.sort((a, b) => a - b) : row).join(','));
  }
  return out;
}

function compareRows(a: string[], b: string[]): number {
  let bad = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) bad++;
  return bad;
}

/** Argmax per row of a [N, E] tensor. */
function argmaxRows(logits: tf.Tensor2D): Int32Array {
  // Read outside tidy: tidy walks a returned typed array element by element looking for tensors.
  const indices = tf.argMax(logits, 1);
  const values = indices.dataSync() as Int32Array;
  indices.dispose();
  return values;
}

/**
 * Replays a reference forward pass and compares every stage. `weights` is the reference state_dict and
 * `activations` the recorded activations (safetensors bytes, layout of the masr-net fixtures). Patch size, window size,
 * batch and image size are read from the files. The recorded sampled MoA experts are replayed; slot 0 (the argmax) is
 * checked against this port's router, and the MoE choices are compared with the recorded ones.
 */
export function runParity(weights: Uint8Array, activations: Uint8Array, opts: ParityOptions = {}): ParityReport {
  const tokenTol = opts.tokenTolerance ?? 1e-4;
  const imageTol = opts.imageTolerance ?? 1e-5;
  const wFile = readSafetensors(weights, opts.names?.weights);
  const aFile = readSafetensors(activations, opts.names?.activations);
  const absent = REQUIRED_STAGES.filter((k) => !aFile.tensors.has(k));
  if (absent.length)
    throw new Error(
      `runParity: the activations${opts.names?.activations ? ` ${opts.names.activations}` : ''} lack stages that parity needs: ${absent.join(', ')}`,
    );
  const { config, batch, height, width } = inferConfig(wFile, aFile);
  const model = MASRNet.fromConfig(config);
  const stages: ParityStage[] = [];
  const routing: ParityRouting[] = [];
  const compared = new Set<string>();
  try {
    model.loadSafetensors(weights);
    const layers = model.network.routingLayers();
    if (opts.replayRouting ?? true) {
      for (let i = 1; i <= 4; i++) {
        const rec = intRows(aFile, `gate.multi_attention_${i}.idx`);
        if (!rec) throw new Error(`runParity: the activations have no 'gate.multi_attention_${i}.idx' to replay`);
        const t = tf.tensor2d(rec.data, [rec.rows, rec.cols], 'int32');
        layers[`multi_attention_${i}` as 'multi_attention_1'].setRoutingOverride(t);
        t.dispose();
      }
    }
    const compare = (name: string, mine: tf.Tensor) => {
      if (!aFile.tensors.has(name) || compared.has(name)) return;
      compared.add(name);
      tf.tidy(() => {
        const ref = entryTensor(aFile, name);
        const kind = IMAGE_STAGES.has(name) ? 'image' : 'tokens';
        const tolerance = kind === 'image' ? imageTol : tokenTol;
        let err = Infinity;
        if (ref.size === mine.size) {
          const m = toReferenceLayout(mine, ref.shape);
          err = tf.max(tf.abs(tf.sub(m, ref))).dataSync()[0]!;
        }
        stages.push({ name, shape: ref.shape, maxAbsError: err, tolerance, kind, ok: err <= tolerance });
      });
    };
    // Router slot 0 of each MoA from this port's own gate, before the replayed routing is applied.
    const wGate = (i: number) =>
      model.network
        .referenceWeights()
        .find((w) => w.key === `multi_attention_${i}.q_proj.moe.w_gate`)!
        .variable.read() as tf.Tensor2D;
    const slotZero = (layer: string, argmax: Int32Array) => {
      const rec = intRows(aFile, `gate.${layer}.idx`);
      if (!rec) return;
      let bad = 0;
      for (let r = 0; r < rec.rows; r++) if (argmax[r] !== rec.data[r * rec.cols]) bad++;
      routing.push({ layer, check: 'slot 0 (argmax of the router)', tokens: rec.rows, mismatches: bad, ok: bad === 0 });
    };
    let qIsp: tf.Tensor | null = null;
    const record = (name: string, t: tf.Tensor) => {
      compare(name, t);
      const d = config.embedDim;
      if (name === 'q_isp') qIsp = tf.keep(tf.clone(t));
      if (name === 'k_isp' && qIsp) {
        const q = qIsp as tf.Tensor;
        slotZero(
          'multi_attention_1',
          argmaxRows(tf.tidy(() => tf.reshape(matMul(q, t, false, true), [-1, t.shape[2]!]) as tf.Tensor2D)),
        );
        q.dispose();
        qIsp = null;
      }
      const routerInput: Record<string, number> = { moe_output_1: 2, moe_output_2: 3, moe_output_3: 4 };
      const i = routerInput[name];
      if (i)
        slotZero(
          `multi_attention_${i}`,
          argmaxRows(tf.tidy(() => matMul(tf.reshape(t, [-1, d]), wGate(i)) as tf.Tensor2D)),
        );
    };
    const input = tf.tidy(() => tf.transpose(entryTensor(aFile, 'input'), [0, 2, 3, 1]) as tf.Tensor4D);
    const out = model.network.forward(input, { training: false, record });
    input.dispose();

    // MoE routing: the chosen experts per token, and moe_1's slot order (ascending expert id).
    for (const name of ['moe_1', 'moe_2', 'moe_3'] as const) {
      const rec = intRows(aFile, `gate.${name}.idx`);
      const mine = layers[name].lastRouting;
      if (!rec || !mine) continue;
      const got = mine.indices.dataSync();
      const [rows, cols] = mine.indices.shape;
      const mismatches = compareRows(rowSets(got, rows, cols, true), rowSets(rec.data, rec.rows, rec.cols, true));
      routing.push({ layer: name, check: 'chosen experts', tokens: rec.rows, mismatches, ok: mismatches === 0 });
      const slotRec = intRows(aFile, `gate.${name}.slot_expert`);
      if (slotRec) {
        const bad = compareRows(
          rowSets(got, rows, cols, false),
          rowSets(slotRec.data, slotRec.rows, slotRec.cols, false),
        );
        routing.push({
          layer: name,
          check: 'slot order (ascending expert id)',
          tokens: slotRec.rows,
          mismatches: bad,
          ok: bad === 0,
        });
      }
    }
    if (opts.replayRouting ?? true) {
      for (let i = 1; i <= 4; i++) {
        const name = `multi_attention_${i}` as 'multi_attention_1';
        const rec = intRows(aFile, `gate.${name}.idx`)!;
        const got = layers[name].lastRouting?.indices.dataSync() ?? new Int32Array(0);
        const bad = compareRows(rowSets(got, rec.rows, rec.cols, false), rowSets(rec.data, rec.rows, rec.cols, false));
        routing.push({
          layer: name,
          check: 'replayed experts (both slots)',
          tokens: rec.rows,
          mismatches: bad,
          ok: bad === 0,
        });
      }
    }
    // Aux losses per layer and the loss terms against the recorded target (dropout p = 0 in the fixture's loss).
    for (const name of ROUTING_LAYER_NAMES) {
      const key = `aux.${name}`;
      const total = layers[name].lastAux?.total;
      if (aFile.tensors.has(key) && total) {
        compared.add(key);
        const err = Math.abs(total.dataSync()[0]! - entryToFloat32(aFile.tensors.get(key)!)[0]!);
        stages.push({ name: key, shape: [], maxAbsError: err, tolerance: tokenTol, kind: 'aux', ok: err <= tokenTol });
      }
    }
    if (aFile.tensors.has('loss_target')) {
      tf.tidy(() => {
        const target = tf.transpose(entryTensor(aFile, 'loss_target'), [0, 2, 3, 1]);
        const loss = masrCompositeLoss(out.enhanced, target, out.aux, {
          weights: config.lossWeights,
          perceptual: null,
        });
        const terms = loss.terms as unknown as Record<string, tf.Scalar>;
        const pairs: [string, tf.Scalar][] = LOSS_TERMS.map(([k, t]) => [k, terms[t]!]);
        pairs.push(['loss.total_without_perceptual', loss.total]);
        for (const [key, value] of pairs) {
          if (!aFile.tensors.has(key)) continue;
          compared.add(key);
          const ref = entryToFloat32(aFile.tensors.get(key)!)[0]!;
          const err = Math.abs(value.dataSync()[0]! - ref);
          // Loss terms are means over the image in their own units (LAB is ~100): relative tolerance above 1.
          const tolerance = tokenTol * Math.max(1, Math.abs(ref));
          stages.push({ name: key, shape: [], maxAbsError: err, tolerance, kind: 'loss', ok: err <= tolerance });
        }
      });
    }
    const grid = aFile.tensors.get('grid_hw');
    if (grid) {
      compared.add('grid_hw');
      const [gh, gw] = entryToInt32(grid);
      const win = config.patchSize * config.windowSize;
      const err = Math.abs(gh! - height / win) + Math.abs(gw! - width / win);
      stages.push({ name: 'grid_hw', shape: [2], maxAbsError: err, tolerance: 0, kind: 'tokens', ok: err === 0 });
    }
    tf.dispose([out.enhanced, out.aux, ...Object.values(out.maps ?? {})]);
  } finally {
    model.dispose();
  }
  const ignored = /^(input|loss_target|gate\.|loss\.(total|perceptual|psnr_value)$)/;
  const skipped = [...aFile.tensors.keys()].filter((k) => !compared.has(k) && !ignored.test(k));
  const ok = stages.every((s) => s.ok) && routing.every((r) => r.ok) && skipped.length === 0;
  return {
    ok,
    patchSize: config.patchSize,
    windowSize: config.windowSize,
    batch,
    height,
    width,
    stages,
    routing,
    skipped,
  };
}

/** A plain-text table of a parity report (stage, shape, max abs error, tolerance, status) and the routing agreement. */
export function formatParityTable(report: ParityReport): string {
  const rows = report.stages.map((s) => [
    s.name,
    `[${s.shape.join(',')}]`,
    Number.isFinite(s.maxAbsError) ? s.maxAbsError.toExponential(2) : 'size mismatch',
    s.tolerance.toExponential(1),
    s.ok ? 'ok' : 'FAIL',
  ]);
  const head = ['stage', 'shape', 'max abs err', 'tol', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [
    `MASR-Net parity: patch ${report.patchSize}, window ${report.windowSize}, batch ${report.batch}, ${report.height}x${report.width}`,
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    'routing:',
    ...report.routing.map(
      (r) =>
        `  ${r.layer.padEnd(18)} ${r.check.padEnd(32)} ${r.tokens - r.mismatches}/${r.tokens} agree${r.ok ? '' : '  FAIL'}`,
    ),
  ];
  if (report.skipped.length) out.push('', `not compared: ${report.skipped.join(', ')}`);
  out.push('', report.ok ? 'PARITY OK' : 'PARITY FAILED');
  return out.join('\n');
}
