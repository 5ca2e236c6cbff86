import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  describePairing,
  detectLayout,
  findPairedDataset,
  listImages,
  matchByName,
  pairFolders,
} from '../../src/data/index';
import { tempDir } from './helpers';

const tmp = tempDir('masr-layouts-');
afterAll(tmp.cleanup);

/** Create empty placeholder files (listing and matching never decode). */
function files(dir: string, names: string[]): void {
  mkdirSync(dir, { recursive: true });
  for (const n of names) writeFileSync(join(dir, n), 'x');
}
const names = (paths: string[]) => paths.map((p) => basename(p));

describe('folder listing and name matching', () => {
  it('lists images in natural order, skipping hidden and non-image files', async () => {
    const d = join(tmp.dir, 'list');
    files(d, ['10.png', '2.PNG', '1.jpg', 'a.tif', '.hidden.png', 'notes.txt', 'b.BMP']);
    expect(names(await listImages(d))).toEqual(['1.jpg', '2.PNG', '10.png', 'a.tif', 'b.BMP']);
  });

  it('names missing, empty and non-folder paths', async () => {
    const empty = join(tmp.dir, 'empty');
    files(empty, ['readme.txt']);
    await expect(listImages(empty)).rejects.toThrow(`${empty}: folder contains no images`);
    await expect(listImages(join(tmp.dir, 'missing'))).rejects.toThrow(/missing: folder not found$/);
    await expect(listImages(join(empty, 'readme.txt'))).rejects.toThrow(/is a file, expected a folder/);
  });

  it('matches identical names, then names without low/normal words, and reports the rest', () => {
    const r = matchByName(
      ['/l/1.png', '/l/low00002.png', '/l/extra.png', '/l/3.png'],
      ['/h/1.jpg', '/h/normal00002.png', '/h/3.png', '/h/orphan.png'],
    );
    expect(r.pairs.map((p) => [p.name, basename(p.input), basename(p.target)])).toEqual([
      ['1', '1.png', '1.jpg'],
      ['3', '3.png', '3.png'],
      ['low00002', 'low00002.png', 'normal00002.png'],
    ]);
    expect(r.unmatchedInputs).toEqual(['/l/extra.png']);
    expect(r.unmatchedTargets).toEqual(['/h/orphan.png']);
    expect(describePairing(r)).toBe(
      '3 pairs; 1 inputs without reference: extra.png; 1 references without input: orphan.png',
    );
  });

  it('pairFolders refuses folders with no matching names', async () => {
    files(join(tmp.dir, 'nm/a'), ['x.png']);
    files(join(tmp.dir, 'nm/b'), ['y.png']);
    await expect(pairFolders(join(tmp.dir, 'nm/a'), join(tmp.dir, 'nm/b'))).rejects.toThrow(/no file name matches/);
  });
});

describe('paired dataset layouts', () => {
  it('LOL-v1: our485 for train, eval15 for test', async () => {
    const root = join(tmp.dir, 'LOL');
    files(join(root, 'our485/low'), ['2.png', '5.png']);
    files(join(root, 'our485/high'), ['2.png', '5.png']);
    files(join(root, 'eval15/low'), ['1.png', '22.png', '23.png']);
    files(join(root, 'eval15/high'), ['1.png', '22.png']);
    expect(await detectLayout(root)).toBe('lol-v1');
    const train = await findPairedDataset(root, 'train');
    expect(train.pairs.map((p) => p.name)).toEqual(['2', '5']);
    const test = await findPairedDataset(root, 'test');
    expect(test.layout).toBe('lol-v1');
    expect(test.pairs.map((p) => p.name)).toEqual(['1', '22']);
    expect(names(test.unmatchedInputs)).toEqual(['23.png']);
  });

  it('LOL-v2: Real_captured and Synthetic, Train/Test, Low/Normal with low/normal file prefixes', async () => {
    const root = join(tmp.dir, 'LOL-v2');
    files(join(root, 'Real_captured/Train/Low'), ['low00001.png', 'low00002.png']);
    files(join(root, 'Real_captured/Train/Normal'), ['normal00001.png', 'normal00002.png']);
    files(join(root, 'Real_captured/Test/Low'), ['low00690.png']);
    files(join(root, 'Real_captured/Test/Normal'), ['normal00690.png']);
    files(join(root, 'Synthetic/Train/Low'), ['r000da4f1t.png']);
    files(join(root, 'Synthetic/Train/Normal'), ['r000da4f1t.png']);
    files(join(root, 'Synthetic/Test/Low'), ['r00816405t.png']);
    files(join(root, 'Synthetic/Test/Normal'), ['r00816405t.png']);
    expect(await detectLayout(root)).toBe('lol-v2-real');
    const real = await findPairedDataset(root, 'train');
    expect(real.pairs.map((p) => [basename(p.input), basename(p.target)])).toEqual([
      ['low00001.png', 'normal00001.png'],
      ['low00002.png', 'normal00002.png'],
    ]);
    expect((await findPairedDataset(root, 'test')).pairs.map((p) => p.name)).toEqual(['low00690']);
    const syn = await findPairedDataset(root, 'test', { lolv2Subset: 'synthetic' });
    expect(syn.layout).toBe('lol-v2-synthetic');
    expect(syn.pairs.map((p) => p.name)).toEqual(['r00816405t']);
    // A subset folder on its own (Train/Test directly inside) works too.
    expect(await detectLayout(join(root, 'Real_captured'))).toBe('lol-v2-real');
    expect((await findPairedDataset(join(root, 'Real_captured'), 'test')).pairs).toHaveLength(1);
  });

  it('LSRW: Huawei and Nikon, with or without Training data / Eval folders, names kept unique', async () => {
    const flat = join(tmp.dir, 'LSRW-flat');
    files(join(flat, 'Huawei/low'), ['1.jpg', '2.jpg']);
    files(join(flat, 'Huawei/high'), ['1.jpg', '2.jpg']);
    files(join(flat, 'Nikon/low'), ['1.jpg']);
    files(join(flat, 'Nikon/high'), ['1.jpg']);
    expect(await detectLayout(flat)).toBe('lsrw');
    const ds = await findPairedDataset(flat, 'train');
    expect(ds.pairs.map((p) => p.name)).toEqual(['Huawei_1', 'Huawei_2', 'Nikon_1']);
    const split = join(tmp.dir, 'LSRW');
    files(join(split, 'Training data/Huawei/low'), ['3.jpg']);
    files(join(split, 'Training data/Huawei/high'), ['3.jpg']);
    files(join(split, 'Eval/Nikon/low'), ['9.jpg']);
    files(join(split, 'Eval/Nikon/high'), ['9.jpg']);
    expect((await findPairedDataset(split, 'train')).pairs.map((p) => p.name)).toEqual(['3']);
    expect((await findPairedDataset(split, 'test')).pairs.map((p) => p.name)).toEqual(['9']);
  });

  it('plain folders: low/high (any case) or input/target', async () => {
    const root = join(tmp.dir, 'mine');
    files(join(root, 'Input'), ['a.png', 'b.png']);
    files(join(root, 'Target'), ['a.png', 'b.png', 'c.png']);
    expect(await detectLayout(root)).toBe('folders');
    const ds = await findPairedDataset(root, 'test');
    expect(ds.pairs).toHaveLength(2);
    expect(names(ds.unmatchedTargets)).toEqual(['c.png']);
  });

  it('unknown layouts and missing roots fail with the path in the message', async () => {
    const odd = join(tmp.dir, 'odd');
    files(join(odd, 'pictures'), ['a.png']);
    await expect(detectLayout(odd)).rejects.toThrow(new RegExp(`^${odd}: unrecognised dataset layout`));
    await expect(findPairedDataset(join(tmp.dir, 'nothing'), 'train')).rejects.toThrow(
      /nothing: dataset folder not found/,
    );
    const half = join(tmp.dir, 'half');
    files(join(half, 'our485/low'), ['1.png']);
    await expect(findPairedDataset(half, 'train')).rejects.toThrow(/our485: expected 'low' and 'high' subfolders/);
    await expect(findPairedDataset(half, 'test')).rejects.toThrow(/no 'eval15' folder/);
  });
});
