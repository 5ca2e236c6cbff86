// prepare step: link the `masr-net` command into this clone's node_modules/.bin so `npx masr-net …` works in a
// fresh clone after `npm install` (npm links the bins of dependencies, never the package's own). Never fails an
// install: a file system without symlinks only loses the shortcut (`npm run cli -- …` still works).
import { chmodSync, existsSync, lstatSync, mkdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

try {
  if (existsSync('node_modules') && existsSync('bin/masr-net.mjs') && existsSync('src/cli/main.ts')) {
    const dir = join('node_modules', '.bin');
    mkdirSync(dir, { recursive: true });
    const link = join(dir, 'masr-net');
    try {
      if (lstatSync(link)) unlinkSync(link);
    } catch {
      /* no old link */
    }
    symlinkSync(join('..', '..', 'bin', 'masr-net.mjs'), link);
    chmodSync('bin/masr-net.mjs', 0o755);
  }
} catch (e) {
  console.warn(
    `masr-net: could not link the masr-net command into node_modules/.bin (${e.message}); use npm run cli -- …`,
  );
}
