/**
 * Node's built-in modules without an `import` statement: the main entry must bundle for browsers, where a static
 * (or string-literal dynamic) import of `node:fs` stops esbuild, webpack and vite. Callers check `isNode` first.
 */
export const isNode = typeof process !== 'undefined' && !!process.versions?.node;

type GetBuiltin = (name: string) => unknown;

export async function nodeBuiltin<T>(
  name: 'module' | 'path' | 'url' | 'fs' | 'fs/promises' | 'os' | 'crypto',
): Promise<T> {
  if (!isNode) throw new Error(`node:${name} is only available in Node`);
  // Node >= 20.16 hands built-ins out synchronously; older ones take a computed specifier bundlers do not follow.
  const get = (process as unknown as { getBuiltinModule?: GetBuiltin }).getBuiltinModule;
  if (get) return get(`node:${name}`) as T;
  const spec = `node:${name}`;
  return (await import(/* @vite-ignore */ /* webpackIgnore: true */ spec)) as T;
}
