import { build, type BuildOptions } from 'esbuild';
import { builtinModules } from 'node:module';

const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** Bundles `entry` for a browser as a web app's esbuild build would: everything included, nothing external. */
export async function bundleForBrowser(entry: string, extra: BuildOptions = {}) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    outfile: 'out.js',
    ...extra,
  });
  return { errors: result.errors, metafile: result.metafile! };
}

/** The Node built-ins among a bundle's inputs and imports (should be none for a browser bundle). */
export function nodeBuiltinsIn(meta: { inputs: Record<string, { imports: { path: string }[] }> }): string[] {
  const paths = [...Object.keys(meta.inputs), ...Object.values(meta.inputs).flatMap((i) => i.imports.map((x) => x.path))];
  return paths.filter((p) => NODE_BUILTINS.has(p) || p.startsWith('node:'));
}
