import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run';
import { readImage } from '../../src/data/index';
import { MASRNet } from '../../src/models/index';
import { enhanceImage } from '../../src/infer/evaluate';
import { collectingReporter } from '../cli/helpers';
import { tempDir } from '../data/helpers';
import { packagePath } from '../../src/package-files';

const tmp = tempDir('masr-pretrained-cli-');
afterAll(tmp.cleanup);

describe('the CLI without --checkpoint', () => {
  it('enhance uses the shipped lowlight-v1 weights, says so first, and writes what MASRNet.pretrained() gives', async () => {
    const input = join(packagePath('samples'), 'lowlight', 'lol_eval15_22.png');
    const reporter = collectingReporter();
    const out = join(tmp.dir, 'out');
    const code = await runCli(['enhance', input, '--out', out, '--backend', 'wasm'], { reporter });
    expect(code).toBe(0);
    expect(reporter.lines[0]).toBe(
      "weights: the shipped pretrained 'lowlight-v1' (no --checkpoint given); see docs/model-card.md",
    );
    const written = join(out, 'lol_eval15_22.png');
    expect(existsSync(written)).toBe(true);
    const model = await MASRNet.pretrained();
    const want = enhanceImage(model, await readImage(input));
    model.dispose();
    const got = await readImage(written);
    let worst = 0;
    for (let i = 0; i < got.data.length; i++) worst = Math.max(worst, Math.abs(got.data[i]! - want.data[i]!));
    expect(worst).toBeLessThanOrEqual(0.5 / 255 + 1e-6); // 8-bit rounding of the same output
  });
});
