// Fails (exit 1) when the committed generated kernels differ from what their generators give: regenerates into a
// temporary folder and compares it file by file with src/kernels/generated (or `--against DIR`), both ways, so an
// edited, missing or extra file is caught. Run: npm run kernels:check (CI runs it); fix with npm run kernels.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GENERATED_DIR, buildKernels } from './build-kernels.mjs';

const i = process.argv.indexOf('--against');
const committed = i >= 0 ? resolve(process.argv[i + 1] ?? '') : GENERATED_DIR;
const fresh = mkdtempSync(join(tmpdir(), 'masr-kernels-'));
try {
  await buildKernels(fresh);
  const names = new Set([...readdirSync(fresh), ...(existsSync(committed) ? readdirSync(committed) : [])]);
  const problems = [];
  for (const name of [...names].sort()) {
    const want = join(fresh, name);
    const have = join(committed, name);
    if (!existsSync(have)) problems.push(`${name}: missing (the generators make it)`);
    else if (!existsSync(want)) problems.push(`${name}: not made by any generator (stale or hand-written)`);
    else {
      const a = readFileSync(want, 'utf8').split('\n');
      const b = readFileSync(have, 'utf8').split('\n');
      const line = a.findIndex((l, n) => l !== b[n]);
      if (line >= 0 || a.length !== b.length) {
        const n = line >= 0 ? line : Math.min(a.length, b.length);
        problems.push(`${name}: differs from the generated text at line ${n + 1}`);
      }
    }
  }
  if (problems.length) {
    console.error(`generated kernels in ${committed} are out of date:\n  ${problems.join('\n  ')}`);
    console.error(
      'regenerate them with `npm run kernels` and commit the result (edit scripts/kernels/*.mjs, not the output)',
    );
    process.exitCode = 1;
  } else {
    console.log(`generated kernels in ${committed} match their generators (${names.size} files)`);
  }
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
