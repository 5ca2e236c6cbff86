/**
 * A small, dependency-free command-line parser: `--name value`, `--name=value`, boolean `--flag` / `--no-flag`, and
 * positionals. Every option is declared (type, default, help), so `--help` is generated and unknown or malformed
 * options are errors naming the option.
 */
import { UsageError } from '../data/errors';

export { UsageError };

export type OptionType = 'string' | 'number' | 'int' | 'boolean';

export interface OptionSpec {
  type: OptionType;
  help: string;
  default?: string | number | boolean;
  /** Allowed values for string options. */
  choices?: readonly string[];
  /** Shown in help instead of the type, e.g. `DIR`. */
  metavar?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;
export type ParsedValues = Record<string, string | number | boolean | undefined>;

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function convert(name: string, spec: OptionSpec, raw: string): string | number | boolean {
  if (spec.type === 'string') {
    if (spec.choices && !spec.choices.includes(raw)) {
      throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}, got '${raw}'`);
    }
    return raw;
  }
  if (spec.type === 'boolean') {
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    throw new UsageError(`--${name} expects true or false, got '${raw}'`);
  }
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${name} expects a number, got '${raw}'`);
  if (spec.type === 'int' && !Number.isInteger(v)) throw new UsageError(`--${name} expects an integer, got '${raw}'`);
  return v;
}

/**
 * Parse `argv` against `specs`. Returns the values under camel-cased names (defaults filled in), the positionals,
 * and which options were given explicitly.
 */
export function parseArgs(
  argv: string[],
  specs: OptionSpecs,
): { values: ParsedValues; positionals: string[]; given: Set<string> } {
  const values: ParsedValues = {};
  const given = new Set<string>();
  const positionals: string[] = [];
  for (const [name, spec] of Object.entries(specs)) values[camel(name)] = spec.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg);
      continue;
    }
    let name = arg.slice(2);
    let raw: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      raw = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    let spec = specs[name];
    if (!spec && name.startsWith('no-') && specs[name.slice(3)]?.type === 'boolean' && raw === undefined) {
      name = name.slice(3);
      spec = specs[name]!;
      raw = 'false';
    }
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (raw === undefined) {
      if (spec.type === 'boolean') raw = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('--') && next.length > 2))
          throw new UsageError(`--${name} needs a value`);
        raw = next;
        i++;
      }
    }
    values[camel(name)] = convert(name, spec, raw);
    given.add(camel(name));
  }
  return { values, positionals, given };
}

/** The help text of a command: usage line, description, then one line per option. */
export function formatHelp(usage: string, description: string, specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const meta =
      s.type === 'boolean' ? '' : ` ${s.metavar ?? (s.choices ? s.choices.join('|') : s.type.toUpperCase())}`;
    const def = s.default === undefined ? '' : ` (default ${String(s.default)})`;
    return [`  --${name}${meta}`, `${s.help}${def}`] as const;
  });
  const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2);
  const lines = rows.map(([l, r]) => (l.length >= width ? `${l}\n${' '.repeat(width)}${r}` : l.padEnd(width) + r));
  return `usage: ${usage}\n\n${description}\n\noptions:\n${lines.join('\n')}\n`;
}
