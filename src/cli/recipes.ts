import { existsSync, readdirSync } from 'node:fs';
import { InputError } from '../data/index';
import { packagePath } from '../package-files';

/** The recipes shipped in the package's recipes/ folder, by name. */
export function recipeNames(): string[] {
  const dir = packagePath('recipes');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** `--recipe` value -> file: a shipped recipe's name (`lowlight-v1`), else a path to a recipe file. */
export function recipePath(value: string): string {
  if (/^[\w.-]+$/.test(value) && !value.endsWith('.json')) {
    const file = packagePath('recipes', `${value}.json`);
    if (existsSync(file)) return file;
    throw new InputError(
      value,
      `no such recipe: the shipped ones are ${recipeNames().join(', ') || '(none)'}; or give a recipe file path`,
    );
  }
  return value;
}
