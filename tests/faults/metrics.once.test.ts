import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meanScores } from '../../src/infer/evaluate';
import { MASRNet } from '../../src/models/index';
import { TINY_MODEL, runCliWasm, writePairs } from '../cli/helpers';
import { tempDir } from '../data/helpers';

// Issue 13 item 11: a mean over 0 images is never reported as a score.

const tmp = tempDir('masr-faults-metrics-');
let ckpt = '';
beforeAll(async () => {
  const model = MASRNet.create('lolv1', TINY_MODEL as never);
  ckpt = join(tmp.dir, 'ckpt');
  await model.save(`file://${ckpt}`);
  model.dispose();
  await writePairs(join(tmp.dir, 'pairs'), ['a.png', 'b.png'], 'low', 'high', 32, 24);
});
afterAll(tmp.cleanup);

function testCli(maxImages: string, out: string) {
  const [low, high] = [join(tmp.dir, 'pairs/low'), join(tmp.dir, 'pairs/high')];
  const args = ['--low-dir', low, '--high-dir', high, '--checkpoint', ckpt, '--max-images', maxImages, '--out', out];
  return runCliWasm(['test', ...args]);
}

describe('no fake metrics', () => {
  it('test --max-images -1 is a usage error (exit 2), and writes no results', async () => {
    const out = join(tmp.dir, 'neg');
    const r = await testCli('-1', out);
    expect(r.lines.join('\n')).not.toMatch(/mean over/);
    expect(r.code).toBe(2);
    expect(r.last).toBe(
      "warning: error: --max-images must be an integer >= 1 (omit it to evaluate all), got -1 (see 'masr-net test --help')",
    );
    expect(existsSync(join(out, 'test_results.json'))).toBe(false);
  });

  it('test --max-images 0 is a usage error (exit 2)', async () => {
    const r = await testCli('0', join(tmp.dir, 'zero'));
    expect(r.code).toBe(2);
    expect(r.last).toMatch(/^warning: error: --max-images must be an integer >= 1 .*got 0/);
  });

  it('test --max-images 1 scores exactly one image (the option still works)', async () => {
    const r = await testCli('1', join(tmp.dir, 'one'));
    expect(r.code, r.lines.join('\n')).toBe(0);
    expect(r.lines.some((l) => /^mean over 1: PSNR \d+\.\d\d dB/.test(l))).toBe(true);
  });

  it('meanScores of an empty list throws instead of returning 0 dB', () => {
    expect(() => meanScores([])).toThrow('meanScores: no images were scored, so there is no mean to report');
    const s = { psnr: 20, ssim: 0.5, psnrGtMean: 22, ssimGtMean: 0.6, ssimUniform7: 0.4 };
    expect(meanScores([s, { ...s, psnr: 30 }])).toEqual({ ...s, psnr: 25, count: 2 });
  });
});
