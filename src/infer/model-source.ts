import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../data/index';
import { firstLine } from '../data/errors';
import { readSafetensors } from '../io/safetensors';
import { recordedAutoExposure, type AutoExposureConfig } from '../isp/auto-exposure';
import { MASRNet, type MASRNetOverrides, type MASRNetPreset } from '../models/index';
import { directoryHandler } from '../models/fs-handler';
import { resolveCheckpointDir } from '../train/checkpoint';

/** Throws an InputError naming `file` if any weight is NaN or infinite. */
export function assertFiniteWeights(model: MASRNet, file: string): void {
  for (const v of model.trainableVariables) {
    const bad = tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(v))).dataSync()[0]);
    if (bad) throw new InputError(file, `weights contain NaN or Inf (variable '${v.name}')`);
  }
}

/** Read a JSON file of model settings: `{ "model": {...} }` or a bare overrides object. */
export async function readModelConfigFile(
  path: string,
): Promise<{ model?: MASRNetOverrides; train?: Record<string, unknown> }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(path, code === 'ENOENT' ? 'config file not found' : `invalid JSON (${firstLine(e)})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new InputError(path, 'config must be a JSON object');
  const obj = raw as Record<string, unknown>;
  if ('model' in obj || 'train' in obj) {
    return {
      model: obj.model as MASRNetOverrides | undefined,
      train: obj.train as Record<string, unknown> | undefined,
    };
  }
  return { model: obj as MASRNetOverrides };
}

/** A fresh model from a preset and optional overrides; config errors become one-line errors naming the config file. */
export function createModel(
  preset: MASRNetPreset,
  overrides: MASRNetOverrides | undefined,
  configFile?: string,
): MASRNet {
  try {
    return MASRNet.create(preset, overrides);
  } catch (e) {
    throw new InputError(configFile ?? `--preset ${preset}`, firstLine(e));
  }
}

/** The weights the commands run when no checkpoint is given. */
export const DEFAULT_PRETRAINED = 'lowlight-v1';
/** `loadModel('pretrained:NAME')` loads shipped weights (the commands' --pretrained). */
export const PRETRAINED_PREFIX = 'pretrained:';

/**
 * Load a model to run: shipped weights (`pretrained:NAME`), a checkpoint folder written by `train` or `MASRNet.save` (or a run folder: its best/ or last/),
 * or a reference PyTorch state_dict (`.safetensors`) into the given preset. Checks the preset matches the checkpoint
 * and that no weight is NaN/Inf.
 */
export async function loadModel(
  path: string,
  options: {
    preset?: MASRNetPreset;
    presetGiven?: boolean;
    overrides?: MASRNetOverrides;
    configFile?: string;
    /** Key prefixes a .safetensors file may lack (MASRNet.loadSafetensors). */
    allowMissing?: readonly string[];
  } = {},
): Promise<{ model: MASRNet; source: string }> {
  if (path.startsWith(PRETRAINED_PREFIX)) {
    const name = path.slice(PRETRAINED_PREFIX.length);
    return { model: await MASRNet.pretrained(name), source: `the shipped pretrained weights '${name}'` };
  }
  if (!existsSync(path)) throw new InputError(path, 'checkpoint not found');
  if (statSync(path).isFile()) {
    if (extname(path).toLowerCase() !== '.safetensors') {
      throw new InputError(path, 'expected a checkpoint folder (model.json) or a .safetensors reference state_dict');
    }
    const bytes = await readFile(path);
    let trainedWith: AutoExposureConfig | undefined;
    try {
      // A malformed file is the file's fault, not the preset's.
      trainedWith = recordedAutoExposure(readSafetensors(bytes).metadata);
    } catch (e) {
      throw new InputError(path, firstLine(e));
    }
    // Weights trained on white-point-normalised inputs keep that normalisation; overrides of autoExposure change the
    // fields they name (null: none), and then the weights load with the setting they give (to run or fine-tune so).
    const given = options.overrides?.autoExposure;
    const overrides = trainedWith
      ? ({
          ...options.overrides,
          autoExposure: given === null ? null : { ...trainedWith, ...given },
        } as MASRNetOverrides)
      : options.overrides;
    const model = createModel(options.preset ?? 'lolv1', overrides, options.configFile);
    try {
      model.loadSafetensors(bytes, { allowMissing: options.allowMissing, anyAutoExposure: given !== undefined });
      assertFiniteWeights(model, path);
    } catch (e) {
      model.dispose();
      if (e instanceof InputError) throw e;
      throw new InputError(path, `does not fit preset '${options.preset ?? 'lolv1'}': ${firstLine(e)}`);
    }
    return { model, source: `${path} (reference state_dict, preset ${options.preset ?? 'lolv1'})` };
  }
  const dir = resolveCheckpointDir(path);
  let model: MASRNet;
  try {
    model = await MASRNet.load(directoryHandler(dir)); // a path, not a URL: `%` in names stays as it is
  } catch (e) {
    if (e instanceof InputError) throw e; // already names the file at fault (e.g. a truncated weights.bin)
    throw new InputError(join(dir, 'model.json'), `cannot load model (${firstLine(e)})`);
  }
  if (options.presetGiven && options.preset) {
    const want = MASRNet.create(options.preset, options.overrides);
    const w = want.config;
    want.dispose();
    const c = model.config;
    if (c.patchSize !== w.patchSize || c.windowSize !== w.windowSize || c.embedDim !== w.embedDim) {
      model.dispose();
      throw new InputError(
        dir,
        `checkpoint is for patch ${c.patchSize} / window ${c.windowSize} / width ${c.embedDim} (preset ${c.preset ?? '?'}), but --preset ${options.preset} means patch ${w.patchSize} / window ${w.windowSize} / width ${w.embedDim}`,
      );
    }
  }
  try {
    assertFiniteWeights(model, join(dir, 'weights.bin'));
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, source: dir };
}
