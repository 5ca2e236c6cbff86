import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The CI drift check (npm run kernels:check): passes on the committed src/kernels/generated and fails, naming each
// file, on an edited, a missing and an extra file.
const GENERATED = 'src/kernels/generated';
const check = (...args: string[]) =>
  spawnSync(process.execPath, ['scripts/check-kernels.mjs', ...args], { encoding: 'utf8' });

describe('generated kernels drift check', () => {
  const tampered = mkdtempSync(join(tmpdir(), 'masr-kernels-test-'));
  afterAll(() => rmSync(tampered, { recursive: true, force: true }));

  it('passes on the committed generated files', () => {
    const run = check();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/match their generators \(6 files\)/);
  });

  it('fails on an edited, a missing and an extra file, naming each', () => {
    cpSync(GENERATED, tampered, { recursive: true });
    // A hand edit of the module's bytes (its first base64 character).
    const gelu = join(tampered, 'gelu-simd.ts');
    writeFileSync(gelu, readFileSync(gelu, 'utf8').replace("  'A", "  'B"));
    unlinkSync(join(tampered, 'layer-norm.wat'));
    writeFileSync(join(tampered, 'stray.ts'), 'export {};\n');
    const run = check('--against', tampered);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/gelu-simd\.ts: differs from the generated text at line 3/);
    expect(run.stderr).toMatch(/layer-norm\.wat: missing/);
    expect(run.stderr).toMatch(/stray\.ts: not made by any generator/);
    expect(run.stderr).not.toMatch(/batch-matmul/);
  });
});
