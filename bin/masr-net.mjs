#!/usr/bin/env node
// The `masr-net` command in a clone of the repository (linked into node_modules/.bin by `npm install`'s prepare
// step, since npm does not link a package's own bin into itself): runs the CLI from src/ through tsx, in this one
// process, so Ctrl-C reaches the trainer directly (a wrapper process relaying signals could kill it mid-step).
// Installed from the registry, the package's bin is dist/cli.js instead.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const source = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(new URL('../dist/cli.js', import.meta.url).href);
}
