import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleForBrowser, nodeBuiltinsIn } from '../helpers/browser-bundle';

// Issue 16: the main entry must bundle for browsers with no `external` flags, as a web developer's esbuild / vite /
// webpack build would do it. Any import of a Node built-in (static, or a dynamic import with a literal name) fails
// the build; the metafile is checked as well, so a built-in that slipped through as a polyfill stub fails too.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('main entry in a browser bundle (issue 16)', () => {
  it('bundles src/index.ts for --platform=browser with tfjs included and no Node built-in', async () => {
    const result = await bundleForBrowser(resolve(root, 'src/index.ts'));
    expect(result.errors).toEqual([]);
    expect(nodeBuiltinsIn(result.metafile)).toEqual([]);
    // tfjs itself went in: nothing was left external.
    expect(Object.keys(result.metafile.inputs).some((i) => i.includes('tfjs-core'))).toBe(true);
  });

  it('a Node built-in in the main entry would fail the same check (the check can fail)', async () => {
    const failed = await bundleForBrowser(resolve(root, 'tests/browser/fixtures/imports-node.ts')).then(
      () => null,
      (e: { errors?: { text: string }[] }) => e.errors?.map((x) => x.text).join('\n') ?? String(e),
    );
    expect(failed).toMatch(/Could not resolve "node:fs"/);
  });
});
