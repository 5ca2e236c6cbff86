/** `value` if it is one of `choices`, else an error naming the option and the accepted values. */
export function checkChoice<T extends string>(value: unknown, choices: readonly T[], name: string, layer: string): T {
  if (!choices.includes(value as T)) {
    throw new Error(`${layer}: ${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${String(value)}`);
  }
  return value as T;
}
