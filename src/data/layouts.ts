import { basename, join } from 'node:path';
import { InputError } from './errors';
import { findSubfolder, isDirectory, listImages, matchByName, type PairingReport } from './folders';

/** Paired dataset layouts the loaders recognise. */
export type PairedLayout = 'lol-v1' | 'lol-v2-real' | 'lol-v2-synthetic' | 'lsrw' | 'folders';
export type Split = 'train' | 'test';

/** A paired dataset found on disk: which layout, which folders, and the matched pairs. */
export interface PairedDataset extends PairingReport {
  layout: PairedLayout;
  root: string;
  split: Split;
  /** The `[inputFolder, targetFolder]` pairs that were matched. */
  folders: [string, string][];
}

export interface FindPairedOptions {
  /** Force a layout instead of detecting it. */
  layout?: PairedLayout | 'auto';
  /** LOL-v2 only: which subset when the root holds both. Default `real`. */
  lolv2Subset?: 'real' | 'synthetic';
}

const INPUT_NAMES = ['low', 'input', 'dark', 'lq'];
const TARGET_NAMES = ['high', 'normal', 'gt', 'target', 'reference', 'hq'];

async function sidePair(dir: string): Promise<[string, string] | undefined> {
  const input = await findSubfolder(dir, INPUT_NAMES);
  const target = await findSubfolder(dir, TARGET_NAMES);
  return input && target ? [input, target] : undefined;
}

async function lolv1(root: string, split: Split): Promise<[string, string][]> {
  const sub = await findSubfolder(root, split === 'train' ? ['our485'] : ['eval15']);
  if (!sub)
    throw new InputError(
      root,
      `LOL-v1 layout has no '${split === 'train' ? 'our485' : 'eval15'}' folder for the ${split} split`,
    );
  const pair = await sidePair(sub);
  if (!pair) throw new InputError(sub, "expected 'low' and 'high' subfolders");
  return [pair];
}

async function lolv2(root: string, split: Split, subset: 'real' | 'synthetic'): Promise<[string, string][]> {
  // Accept the dataset root (with Real_captured/Synthetic) or one subset folder (with Train/Test).
  let base = root;
  const subsetDir = await findSubfolder(root, subset === 'real' ? ['Real_captured', 'Real'] : ['Synthetic']);
  if (subsetDir) base = subsetDir;
  const splitDir = await findSubfolder(base, split === 'train' ? ['Train', 'training'] : ['Test', 'testing', 'eval']);
  if (!splitDir) throw new InputError(base, `LOL-v2 layout has no '${split === 'train' ? 'Train' : 'Test'}' folder`);
  const pair = await sidePair(splitDir);
  if (!pair) throw new InputError(splitDir, "expected 'Low' and 'Normal' subfolders");
  return [pair];
}

async function lsrw(root: string, split: Split): Promise<[string, string][]> {
  // LSRW ships as `Training data/{Huawei,Nikon}` and `Eval/{Huawei,Nikon}`; a root holding Huawei/Nikon directly is used for both splits.
  let base = root;
  const splitDir = await findSubfolder(
    root,
    split === 'train' ? ['Training data', 'Training', 'Train'] : ['Eval', 'Test', 'Testing'],
  );
  if (splitDir) base = splitDir;
  const out: [string, string][] = [];
  for (const camera of ['Huawei', 'Nikon']) {
    const dir = await findSubfolder(base, [camera]);
    if (!dir) continue;
    const pair = await sidePair(dir);
    if (!pair) throw new InputError(dir, "expected 'low' and 'high' subfolders");
    out.push(pair);
  }
  if (out.length === 0) throw new InputError(base, "LSRW layout has no 'Huawei' or 'Nikon' folder");
  return out;
}

/** Work out which paired layout a folder holds. */
export async function detectLayout(root: string): Promise<PairedLayout> {
  if (!(await isDirectory(root))) throw new InputError(root, 'dataset folder not found');
  if (await findSubfolder(root, ['our485', 'eval15'])) return 'lol-v1';
  if (await findSubfolder(root, ['Real_captured', 'Real'])) return 'lol-v2-real';
  if (await findSubfolder(root, ['Synthetic'])) return 'lol-v2-synthetic';
  const train = await findSubfolder(root, ['Train']);
  if (train && (await findSubfolder(train, ['Normal']))) return 'lol-v2-real';
  if (await findSubfolder(root, ['Huawei', 'Nikon', 'Training data', 'Eval'])) return 'lsrw';
  if (await sidePair(root)) return 'folders';
  throw new InputError(
    root,
    'unrecognised dataset layout: expected LOL-v1 (our485|eval15/{low,high}), LOL-v2 (Real_captured|Synthetic/{Train,Test}/{Low,Normal}), LSRW ({Huawei,Nikon}/{low,high}) or {low,high} subfolders',
  );
}

/**
 * Find the pairs of a paired dataset: LOL-v1, LOL-v2 (real or synthetic), LSRW, or any folder with `low`/`high`
 * (or `input`/`target`, `Low`/`Normal`, ...) subfolders, whose files are matched by name.
 */
export async function findPairedDataset(
  root: string,
  split: Split,
  options: FindPairedOptions = {},
): Promise<PairedDataset> {
  let layout = options.layout && options.layout !== 'auto' ? options.layout : await detectLayout(root);
  if (layout === 'lol-v2-real' && options.lolv2Subset === 'synthetic') layout = 'lol-v2-synthetic';
  let folders: [string, string][];
  if (layout === 'lol-v1') folders = await lolv1(root, split);
  else if (layout === 'lol-v2-real') folders = await lolv2(root, split, 'real');
  else if (layout === 'lol-v2-synthetic') folders = await lolv2(root, split, 'synthetic');
  else if (layout === 'lsrw') folders = await lsrw(root, split);
  else {
    const pair = await sidePair(root);
    if (!pair) throw new InputError(root, "expected 'low' and 'high' (or 'input' and 'target') subfolders");
    folders = [pair];
  }
  const report: PairingReport = { pairs: [], unmatchedInputs: [], unmatchedTargets: [] };
  for (const [inputDir, targetDir] of folders) {
    const r = matchByName(await listImages(inputDir), await listImages(targetDir));
    // Names repeat across LSRW cameras: prefix them so output names stay unique.
    const prefix = folders.length > 1 ? `${basename(join(inputDir, '..'))}_` : '';
    report.pairs.push(...r.pairs.map((p) => ({ ...p, name: prefix + p.name })));
    report.unmatchedInputs.push(...r.unmatchedInputs);
    report.unmatchedTargets.push(...r.unmatchedTargets);
  }
  if (report.pairs.length === 0)
    throw new InputError(root, `no input/reference file names match in ${folders.map((f) => f[0]).join(', ')}`);
  return { layout, root, split, folders, ...report };
}
