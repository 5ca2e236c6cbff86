import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImage } from '../../src/data/index';
import { readStudy } from '../../src/search/study-file';
import { TINY_MODEL, runCliWasm, writePhotos } from '../cli/helpers';

describe('masr-net search', () => {
  it('runs a tiny study end to end and writes a best config that train --config accepts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'masr-search-'));
    await writePhotos(join(dir, 'photos'), 6);
    const config = join(dir, 'base.json');
    // The base stands in for a recipe: data, hold-out validation and the (tiny) model.
    writeFileSync(
      config,
      JSON.stringify({ model: TINY_MODEL, train: { photos: join(dir, 'photos'), valCount: 2, batch: 2 } }),
    );
    const study = join(dir, 'study');
    const args = ['search', '--config', config, '--study', study, '--trials', '3', '--steps', '3', '--crop', '16'];
    const budget = [
      '--val-every',
      '1',
      '--val-max',
      '2',
      '--val-crop',
      '16',
      '--min-resource',
      '1',
      '--startup-trials',
      '2',
    ];
    const r = await runCliWasm([...args, ...budget]);
    expect(r.code, r.lines.join('\n')).toBe(0);
    for (const f of ['study.jsonl', 'trials.txt', 'trials.json', 'search.png', 'best-config.json'])
      expect(existsSync(join(study, f)), f).toBe(true);
    const state = await readStudy(join(study, 'study.jsonl'));
    expect(state.trials).toHaveLength(3);
    expect(state.trials.every((t) => t.status === 'complete' || t.status === 'pruned')).toBe(true);
    expect(state.trials[0]!.reports.map((x) => x.step)).toEqual([0, 1, 2, 3]);
    const table = readFileSync(join(study, 'trials.txt'), 'utf8');
    expect(table).toMatch(/trial +status +score .*lossWeights\.psnr/);
    expect(table.trim().split('\n')).toHaveLength(4);
    const json = JSON.parse(readFileSync(join(study, 'trials.json'), 'utf8'));
    expect(json.trials).toHaveLength(3);
    const png = await readImage(join(study, 'search.png'));
    expect(png.width).toBeGreaterThan(500);

    const best = JSON.parse(readFileSync(join(study, 'best-config.json'), 'utf8'));
    const bestTrial = state.trials[json.best]!;
    expect(best.train.lr).toBe(bestTrial.values.lr);
    expect(best.model.lossWeights.psnr).toBe(bestTrial.values['lossWeights.psnr']);
    expect(best.model.embedDim).toBe(TINY_MODEL.embedDim);
    const train = await runCliWasm([
      'train',
      '--config',
      join(study, 'best-config.json'),
      '--steps',
      '1',
      '--crop',
      '16',
      '--val-crop',
      '16',
      '--out',
      join(dir, 'train'),
    ]);
    expect(train.code, train.lines.join('\n')).toBe(0);

    // Running the same command again continues the study: 3 trials are there, nothing runs.
    const again = await runCliWasm([...args, ...budget]);
    expect(again.code).toBe(0);
    expect(again.lines.some((l) => /continuing, 3 trial\(s\) finished/.test(l))).toBe(true);
    expect((await readStudy(join(study, 'study.jsonl'))).trials).toHaveLength(3);
  });

  it('names the bad option in one line', async () => {
    const r = await runCliWasm(['search', '--config', 'x.json', '--space', 'lr=1:0.5']);
    expect(r.code).toBe(2);
    expect(r.last).toMatch(/error: --space: 'lr' needs finite low < high, got 1\.\.0\.5/);
    for (const [flag, value, message] of [
      ['--trials', '0', /--trials must be an integer >= 1, got 0/],
      ['--reduction-factor', '1', /--reduction-factor must be an integer >= 2, got 1/],
      ['--min-resource', '5', /--min-resource 5 must be a multiple of --val-every 27/],
    ] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'masr-search-bad-'));
      writeFileSync(join(dir, 'base.json'), '{"train": {}}');
      const bad = await runCliWasm([
        'search',
        '--config',
        join(dir, 'base.json'),
        '--study',
        join(dir, 's'),
        flag,
        value,
      ]);
      expect(bad.code).toBe(2);
      expect(bad.last).toMatch(message);
      expect(existsSync(join(dir, 's'))).toBe(false);
    }
    const none = await runCliWasm(['search']);
    expect(none.last).toMatch(/search needs --recipe or --config/);
    const unknown = await runCliWasm(['search', '--config', 'x.json', '--space', 'foo=1:2']);
    expect(unknown.last).toMatch(/unknown parameter 'foo' \(expected one of lr, /);
  });
});
