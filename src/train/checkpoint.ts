import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError, writeFileAtomic } from '../data/index';
import { firstLine } from '../data/errors';
import { entryToFloat32, float32Entry, readSafetensors, writeSafetensors } from '../io/safetensors';
import type { MASRNet } from '../models/index';
import { directoryHandler } from '../models/fs-handler';
import type { AdamW, AdamWState } from './adamw';

export const CHECKPOINT_FORMAT = 'masr-net-checkpoint';

/** What a training checkpoint records besides the weights and the optimizer moments. */
export interface TrainerState {
  format: typeof CHECKPOINT_FORMAT;
  version: 1;
  /** Completed optimisation steps: a resumed run continues at this step. */
  step: number;
  /** Best validation PSNR so far and its step (null before the first validation). */
  bestPsnr: number | null;
  bestStep: number | null;
  /**
   * Early stopping's reference point: the step of the last validation that beat the previous reference by at least
   * `minDelta` dB, and its score. Absent in older checkpoints (then the best step and score are used).
   */
  patienceStep?: number | null;
  patiencePsnr?: number | null;
  /** The resolved training options (data, schedule, seed, ...), so `--resume` continues the same run. */
  options: Record<string, unknown>;
  /** Why this checkpoint was written: 'best', 'last', 'interrupted'. */
  reason: string;
  savedAt: string;
}

/**
 * Save model + optimizer + trainer state into `dir` as one unit: everything is written to a temporary sibling
 * folder `.NAME.PID.TAG.tmp` (trainer.json last: a temporary folder with it is complete), which then replaces `dir`
 * (`dir` → `.NAME.PID.TAG.old`, tmp → `dir`, old removed). A crash or kill at any point leaves either `dir` or a complete
 * temporary folder; {@link recoverCheckpoints} puts the newest complete one back in place.
 */
export async function saveCheckpoint(
  dir: string,
  model: MASRNet,
  optimizer: AdamW,
  state: TrainerState,
): Promise<void> {
  // The last line of defence: a checkpoint is for continuing, and NaN weights cannot continue.
  const variables = model.trainableVariables;
  if (!optimizer.allFinite(variables))
    throw new Error(`not saving ${dir}: the weights or optimizer moments hold NaN or Inf values`);
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const tag = `${process.pid}.${randomBytes(3).toString('hex')}`;
  const tmp = join(parent, `.${basename(dir)}.${tag}.tmp`);
  const old = join(parent, `.${basename(dir)}.${tag}.old`);
  try {
    await model.save(directoryHandler(tmp));
    const s = optimizer.getState(variables);
    const entries: [string, ReturnType<typeof float32Entry>][] = [];
    variables.forEach((v, i) => {
      entries.push([`m.${i}`, float32Entry(s.m[i]!, v.shape as number[])]);
      entries.push([`v.${i}`, float32Entry(s.v[i]!, v.shape as number[])]);
    });
    // Variables are identified by position (model.trainableVariables order); tfjs names get per-process suffixes.
    const meta = { t: String(s.t), count: String(variables.length) };
    await writeFileAtomic(join(tmp, 'optimizer.safetensors'), writeSafetensors(entries, meta));
    await writeFileAtomic(join(tmp, 'trainer.json'), JSON.stringify(state, null, 2) + '\n');
    if (existsSync(dir)) await rename(dir, old);
    await rename(tmp, dir);
    await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (!existsSync(dir) && existsSync(old)) await rename(old, dir);
    throw e;
  }
}

/** The checkpoint folder a path refers to: the folder itself (with model.json), or a run folder's `best/` then `last/`. */
export function resolveCheckpointDir(path: string, prefer: 'best' | 'last' = 'best'): string {
  if (existsSync(join(path, 'model.json'))) return path;
  const order = prefer === 'best' ? ['best', 'last'] : ['last', 'best'];
  for (const sub of order) if (existsSync(join(path, sub, 'model.json'))) return join(path, sub);
  if (!existsSync(path)) throw new InputError(path, 'checkpoint not found');
  throw new InputError(path, "not a checkpoint: no model.json here or in 'best/' or 'last/'");
}

/** Read a checkpoint's trainer state and optimizer moments (the model is loaded separately with {@link loadModel}). */
export async function readTrainerState(dir: string): Promise<{ state: TrainerState; optimizer: AdamWState }> {
  let state: TrainerState;
  try {
    state = JSON.parse(await readFile(join(dir, 'trainer.json'), 'utf8')) as TrainerState;
  } catch (e) {
    throw new InputError(
      join(dir, 'trainer.json'),
      `cannot read trainer state (${firstLine(e)}); resume needs a checkpoint written by 'masr-net train'`,
    );
  }
  if (state.format !== CHECKPOINT_FORMAT)
    throw new InputError(
      join(dir, 'trainer.json'),
      `not a masr-net training checkpoint (format '${String(state.format)}')`,
    );
  const file = join(dir, 'optimizer.safetensors');
  let st;
  try {
    st = readSafetensors(await readFile(file));
  } catch (e) {
    throw new InputError(file, `cannot read optimizer state (${firstLine(e)})`);
  }
  const m: Float32Array[] = [];
  const v: Float32Array[] = [];
  for (let i = 0; st.tensors.has(`m.${i}`); i++) {
    m.push(entryToFloat32(st.tensors.get(`m.${i}`)!));
    const ve = st.tensors.get(`v.${i}`);
    if (!ve) throw new InputError(file, `optimizer state has m.${i} but no v.${i}`);
    v.push(entryToFloat32(ve));
  }
  const t = Number(st.metadata.t);
  if (!Number.isInteger(t) || t < 0)
    throw new InputError(file, `optimizer state has an invalid step counter '${st.metadata.t}'`);
  if (st.metadata.count !== undefined && Number(st.metadata.count) !== m.length)
    throw new InputError(file, `optimizer state holds ${m.length} moments, its header says ${st.metadata.count}`);
  // One bad moment makes the next update NaN: a corrupt state must stop the resume here, not poison the weights.
  for (let i = 0; i < m.length; i++) {
    if (m[i]!.length !== v[i]!.length)
      throw new InputError(file, `optimizer state: m.${i} has ${m[i]!.length} values, v.${i} has ${v[i]!.length}`);
    if (!m[i]!.every(Number.isFinite)) throw new InputError(file, `optimizer state: m.${i} holds NaN or Inf values`);
    if (!v[i]!.every((x) => Number.isFinite(x) && x >= 0))
      throw new InputError(file, `optimizer state: v.${i} (a second moment) holds negative, NaN or Inf values`);
  }
  return { state, optimizer: { t, m, v } };
}
