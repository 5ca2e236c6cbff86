import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The root of the installed masr-net package (where its package.json, samples/, recipes/ and weights/ are): found by
 * walking up from this module, so it works from src/ (tsx), dist/ and node_modules alike. Node only.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'masr-net') return (cached = dir);
      } catch {
        /* keep looking */
      }
    }
    dir = dirname(dir);
  }
  return (cached = resolve('.'));
}

/** A file or folder shipped with the package (e.g. `packagePath('samples')`). */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
