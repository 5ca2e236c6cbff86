import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipeNames, recipePath } from '../../src/cli/recipes';
import { runCli } from '../../src/cli/run';
import { tempDir } from '../data/helpers';
import { TINY_MODEL, collectingReporter, writePhotos } from './helpers';

const tmp = tempDir('masr-cli-recipe-');
beforeAll(async () => {
  await writePhotos(join(tmp.dir, 'a'), 3, 24, 24);
  await writePhotos(join(tmp.dir, 'b'), 2, 24, 24);
  await writePhotos(join(tmp.dir, 'val'), 1, 24, 24);
});
afterAll(tmp.cleanup);

describe('train --recipe', () => {
  it('ships the lowlight-v1 recipe: lolv1 from scratch, split by source, lowlight-v2 training pairs', () => {
    expect(recipeNames()).toContain('lowlight-v1');
    const recipe = JSON.parse(readFileSync(recipePath('lowlight-v1'), 'utf8')) as { train: Record<string, unknown> };
    expect(recipe.train).toMatchObject({
      preset: 'lolv1',
      synthesis: 'lowlight-v2',
      valSynthesis: 'lowlight-v1',
      valCrop: 0,
      valMax: 28,
    });
    const folders = (v: unknown) =>
      String(v)
        .split(',')
        .map((p) => p.split('/').at(-1));
    expect(folders(recipe.train.photos)).toEqual(['CBSD68', 'Sun_Hays80']);
    expect(folders(recipe.train.valPhotos)).toEqual(['McMaster', 'Set14']);
    expect(() => recipePath('nope')).toThrow(/no such recipe: the shipped ones are .*lowlight-v1/);
  });

  it('takes its options from a recipe file; options beside it win; several photo folders and both protocols', async () => {
    const file = join(tmp.dir, 'recipe.json');
    writeFileSync(
      file,
      JSON.stringify({
        model: TINY_MODEL,
        train: {
          photos: `${join(tmp.dir, 'a')},${join(tmp.dir, 'b')}`,
          synthesis: 'lowlight-v2',
          valPhotos: join(tmp.dir, 'val'),
          valSynthesis: 'lowlight-v1',
          crop: 16,
          batch: 2,
          steps: 50,
          valCrop: 0,
        },
      }),
    );
    const out = join(tmp.dir, 'run');
    const reporter = collectingReporter();
    const code = await runCli(['train', '--recipe', file, '--steps', '2', '--out', out, '--backend', 'wasm'], {
      reporter,
    });
    expect(code).toBe(0);
    const text = reporter.lines.join('\n');
    expect(text).toMatch(/train: 5 photos in .* with synthetic lowlight-v2 darkening/);
    expect(text).toMatch(/validation: 1 photos in .* with synthetic lowlight-v1 darkening/);
    expect(text).toMatch(/, 2 steps, seed/); // --steps beside the recipe wins over its 50
    const start = JSON.parse(readFileSync(join(out, 'train_log.jsonl'), 'utf8').split('\n')[0]!) as {
      options: Record<string, unknown>;
    };
    expect(start.options).toMatchObject({ synthesis: 'lowlight-v2', valSynthesis: 'lowlight-v1', crop: 16 });
  });
});
