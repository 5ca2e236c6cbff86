import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeImage, readImage, writeImage } from '../../src/data/index';
import { MASRNet } from '../../src/models/index';
import { tempDir } from '../data/helpers';
import { TINY_MODEL, photo, runCliWasm, writePairs, writeTinyConfig } from './helpers';

const tmp = tempDir('masr-cli-test-');
let ckpt = '';
let config = '';
let stFile = '';

beforeAll(async () => {
  config = writeTinyConfig(tmp.dir);
  const model = MASRNet.create('lolv1', TINY_MODEL as never);
  ckpt = join(tmp.dir, 'ckpt');
  await model.save(`file://${ckpt}`);
  stFile = join(tmp.dir, 'tiny.safetensors');
  writeFileSync(stFile, model.toSafetensors());
  model.dispose();
  await writePairs(
    join(tmp.dir, 'pairs'),
    ['a.png', 'b.png', 'c.png', 'extra_low_only.png'].slice(0, 3),
    'low',
    'high',
    32,
    24,
  );
  await writeImage(join(tmp.dir, 'pairs/low/orphan.png'), photo(32, 24, 1));
  await writePairs(join(tmp.dir, 'LOL/eval15'), ['1.png', '2.png']);
  await writePairs(join(tmp.dir, 'LOL/our485'), ['5.png']);
  mkdirSync(join(tmp.dir, 'imgs'));
  await writeImage(join(tmp.dir, 'imgs/one.png'), photo(20, 28, 2)); // not a multiple of the 8-pixel window
  await writeImage(join(tmp.dir, 'imgs/two.jpg'), photo(33, 17, 5));
});
afterAll(tmp.cleanup);

const cli = runCliWasm;

describe('masr-net test', () => {
  it('writes per-image and mean PSNR/SSIM (plain and GT-mean), enhanced and comparison images', async () => {
    const out = join(tmp.dir, 'test-out');
    const r = await cli([
      'test',
      '--low-dir',
      join(tmp.dir, 'pairs/low'),
      '--high-dir',
      join(tmp.dir, 'pairs/high'),
      '--checkpoint',
      ckpt,
      '--out',
      out,
    ]);
    expect(r.code, r.lines.join('\n')).toBe(0);
    expect(r.lines.join('\n')).toMatch(/warning: unmatched files: 3 pairs; 1 inputs without reference: orphan.png/);
    expect(readdirSync(out).sort()).toEqual([
      'comparison_0000.png',
      'comparison_0001.png',
      'comparison_0002.png',
      'enhanced_0000.png',
      'enhanced_0001.png',
      'enhanced_0002.png',
      'test_results.json',
      'test_results.txt',
    ]);
    const json = JSON.parse(readFileSync(join(out, 'test_results.json'), 'utf8'));
    expect(json.count).toBe(3);
    expect(json.per_image.map((p: { name: string }) => p.name)).toEqual(['a', 'b', 'c']);
    const mean = (k: string) => json.per_image.reduce((s: number, p: Record<string, number>) => s + p[k]!, 0) / 3;
    for (const k of ['psnr', 'ssim', 'psnr_gt_mean', 'ssim_gt_mean']) expect(json.mean[k]).toBeCloseTo(mean(k), 10);
    expect(json.input_mean.psnr).toBeCloseTo(mean('input_psnr'), 10);
    // The saved enhanced image scores what the JSON says (PSNR recomputed here on 8-bit RGB).
    const enhanced = await readImage(join(out, 'enhanced_0000.png'));
    const target = await readImage(join(tmp.dir, 'pairs/high/a.png'));
    let se = 0;
    for (let i = 0; i < target.data.length; i++) se += (255 * (enhanced.data[i]! - target.data[i]!)) ** 2;
    expect(10 * Math.log10((255 * 255) / (se / target.data.length))).toBeCloseTo(json.per_image[0].psnr, 1);
    const cmp = await sharp(join(out, 'comparison_0000.png')).metadata();
    expect([cmp.width, cmp.height]).toEqual([3 * 32 + 2 * 4, 24]);
    const txt = readFileSync(join(out, 'test_results.txt'), 'utf8');
    expect(txt).toMatch(/Enhanced mean PSNR: \d+\.\d\d dB/);
    expect(txt).toMatch(/Enhanced mean SSIM \(GT-mean\): \d\.\d{4}/);
  });

  it('uses the test split of a LOL-v1 layout; --max-images limits it', async () => {
    const out = join(tmp.dir, 'test-lol');
    const r = await cli([
      'test',
      '--data',
      join(tmp.dir, 'LOL'),
      '--checkpoint',
      ckpt,
      '--out',
      out,
      '--max-images',
      '1',
      '--no-save-images',
    ]);
    expect(r.code, r.lines.join('\n')).toBe(0);
    expect(r.lines.join('\n')).toMatch(/2 test pairs, lol-v1 layout/);
    expect(readdirSync(out).sort()).toEqual(['test_results.json', 'test_results.txt']);
    expect(JSON.parse(readFileSync(join(out, 'test_results.json'), 'utf8')).count).toBe(1);
  });

  it('refuses mismatched pair sizes, a wrong preset and a missing checkpoint with one-line errors', async () => {
    await writePairs(join(tmp.dir, 'bad'), ['x.png']);
    await writeImage(join(tmp.dir, 'bad/high/x.png'), photo(32, 31, 0));
    const out = join(tmp.dir, 'bad-out');
    let r = await cli(['test', '--data', join(tmp.dir, 'bad'), '--checkpoint', ckpt, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.last).toBe(
      `warning: error: ${join(tmp.dir, 'bad/low/x.png')}: size 32x32 differs from its reference ${join(tmp.dir, 'bad/high/x.png')} (32x31)`,
    );
    expect(existsSync(out)).toBe(false); // nothing half-written
    r = await cli(['test', '--data', join(tmp.dir, 'LOL'), '--checkpoint', ckpt, '--preset', 'lolv2', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.last).toMatch(
      /ckpt: checkpoint is for patch 4 \/ window 2 .* but --preset lolv2 means patch 2 \/ window 4/,
    );
    r = await cli(['test', '--data', join(tmp.dir, 'LOL'), '--checkpoint', join(tmp.dir, 'nope'), '--out', out]);
    expect(r.last).toBe(`warning: error: ${join(tmp.dir, 'nope')}: checkpoint not found`);
    r = await cli(['test', '--data', join(tmp.dir, 'LOL'), '--pretrained', 'nope', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.last).toMatch(/--pretrained: no shipped weights named 'nope' \(available: lowlight-v1/);
    r = await cli(['test', '--data', join(tmp.dir, 'LOL'), '--checkpoint', ckpt, '--pretrained', 'lowlight-v1']);
    expect([r.code, r.last]).toEqual([
      2,
      "warning: error: give --checkpoint or --pretrained, not both (see 'masr-net test --help')",
    ]);
  });
});

describe('masr-net enhance', () => {
  it('enhances a folder of any-size images and writes the maps as heatmaps', async () => {
    const out = join(tmp.dir, 'enh');
    const r = await cli(['enhance', '--input', join(tmp.dir, 'imgs'), '--checkpoint', ckpt, '--out', out, '--maps']);
    expect(r.code, r.lines.join('\n')).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'one.png',
      'one_color.png',
      'one_gamma.png',
      'one_saturation.png',
      'two.png',
      'two_color.png',
      'two_gamma.png',
      'two_saturation.png',
    ]);
    const tiled = join(tmp.dir, 'enh-tiled');
    const t = await cli([
      'enhance',
      '--input',
      join(tmp.dir, 'imgs'),
      '--checkpoint',
      ckpt,
      '--out',
      tiled,
      '--maps',
      '--tile',
      '16',
    ]);
    expect(t.code, t.lines.join('\n')).toBe(0);
    expect(t.lines.join('\n')).toMatch(/two.jpg \(33x17, 16px tiles\)/);
    for (const dir of [out, tiled]) {
      for (const [name, w, h] of [
        ['one', 20, 28],
        ['two', 33, 17],
      ] as const) {
        for (const suffix of ['', '_gamma', '_color', '_saturation']) {
          const m = await sharp(join(dir, `${name}${suffix}.png`)).metadata();
          expect([m.width, m.height], name + suffix).toEqual([w, h]);
        }
      }
    }
  });

  it('never overwrites inputs, keeps 16-bit inputs 16-bit, and accepts a reference .safetensors', async () => {
    const dir = join(tmp.dir, 'inplace');
    cpSync(join(tmp.dir, 'imgs'), dir, { recursive: true });
    const before = readFileSync(join(dir, 'one.png'));
    let r = await cli(['enhance', '--input', dir, '--checkpoint', ckpt, '--out', dir]);
    expect(r.code).toBe(1);
    expect(r.last).toBe(
      `warning: error: ${join(dir, 'one.png')}: would overwrite the input image; choose another --out or a --suffix`,
    );
    expect(Buffer.compare(readFileSync(join(dir, 'one.png')), before)).toBe(0);
    r = await cli(['enhance', '--input', dir, '--checkpoint', ckpt, '--out', dir, '--suffix', '_enhanced']);
    expect(r.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['one.png', 'one_enhanced.png', 'two.jpg', 'two_enhanced.png']);

    const deep = join(tmp.dir, 'deep.png');
    writeFileSync(deep, await encodeImage(photo(16, 16, 3), { bitDepth: 16 }));
    r = await cli(['enhance', deep, '--checkpoint', stFile, '--config', config, '--out', join(tmp.dir, 'deep-out')]);
    expect(r.code, r.lines.join('\n')).toBe(0);
    expect((await sharp(join(tmp.dir, 'deep-out/deep.png')).metadata()).depth).toBe('ushort');
    r = await cli([
      'enhance',
      deep,
      '--checkpoint',
      stFile,
      '--preset',
      'lolv2',
      '--config',
      config,
      '--out',
      join(tmp.dir, 'deep-out2'),
    ]);
    expect(r.code).toBe(1);
    expect(r.last).toMatch(new RegExp(`^warning: error: ${stFile}: does not fit preset 'lolv2': `));
    expect(r.lines.filter((l) => l.startsWith('warning: error')).length).toBe(1);
  });

  it('fails with one line naming the file for missing, corrupt and NaN inputs, leaving no partial files', async () => {
    let r = await cli([
      'enhance',
      '--input',
      join(tmp.dir, 'missing.png'),
      '--checkpoint',
      ckpt,
      '--out',
      join(tmp.dir, 'e1'),
    ]);
    expect([r.code, r.last]).toEqual([1, `warning: error: ${join(tmp.dir, 'missing.png')}: file or folder not found`]);

    const dir = join(tmp.dir, 'corrupt');
    mkdirSync(dir);
    copyFileSync(join(tmp.dir, 'imgs/one.png'), join(dir, 'a.png'));
    const good = readFileSync(join(tmp.dir, 'imgs/one.png'));
    writeFileSync(join(dir, 'b.png'), good.subarray(0, 60));
    const out = join(tmp.dir, 'e2');
    r = await cli(['enhance', '--input', dir, '--checkpoint', ckpt, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.last).toMatch(new RegExp(`^warning: error: ${join(dir, 'b.png')}: cannot decode image \\(`));
    expect(readdirSync(out)).toEqual(['a.png']); // the good one is complete; no temporary files

    const empty = join(tmp.dir, 'empty-dir');
    mkdirSync(empty);
    r = await cli(['enhance', '--input', empty, '--checkpoint', ckpt, '--out', join(tmp.dir, 'e3')]);
    expect(r.last).toMatch(/empty-dir: folder contains no images/);

    const nanCkpt = join(tmp.dir, 'nan-ckpt');
    cpSync(ckpt, nanCkpt, { recursive: true });
    const weights = readFileSync(join(nanCkpt, 'weights.bin'));
    const f32 = new Float32Array(weights.buffer, weights.byteOffset, 4);
    f32.fill(NaN);
    writeFileSync(join(nanCkpt, 'weights.bin'), weights);
    r = await cli(['enhance', '--input', join(tmp.dir, 'imgs'), '--checkpoint', nanCkpt, '--out', join(tmp.dir, 'e4')]);
    expect(r.code).toBe(1);
    expect(r.last).toMatch(
      new RegExp(`^warning: error: ${join(nanCkpt, 'weights.bin')}: weights contain NaN or Inf \\(variable '.+'\\)$`),
    );
    expect(existsSync(join(tmp.dir, 'e4'))).toBe(false);
  });
});

describe('command line', () => {
  it('prints help, and rejects unknown commands and options with status 2', async () => {
    let r = await cli(['train', '--help']);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatch(/^usage: masr-net train/);
    expect(r.lines[0]).toMatch(/--resume DIR/);
    r = await cli(['frobnicate']);
    expect(r.code).toBe(2);
    r = await cli(['enhance', '--inputt', 'x']);
    expect([r.code, r.last]).toEqual([2, "warning: error: unknown option --inputt (see 'masr-net enhance --help')"]);
  });
});
