/** Option checks shared by the routing layers; each error names the option and what was expected. */

export function checkPositiveInt(layer: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${layer}: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export function checkTopK(layer: string, k: unknown, numExperts: number): number {
  checkPositiveInt(layer, 'k', k);
  if ((k as number) > numExperts) {
    throw new Error(`${layer}: k (${String(k)}) must not exceed numExperts (${numExperts})`);
  }
  return k as number;
}

export function checkOneOf<T extends string>(layer: string, name: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    throw new Error(`${layer}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got '${value}'`);
  }
  return value;
}

export function checkNonNegative(layer: string, name: string, value: number, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new Error(`${layer}: ${name} must be a number in [0, ${max}], got ${String(value)}`);
  }
  return value;
}

export function shapeString(shape: readonly (number | null)[]): string {
  return `[${shape.map((s) => (s == null ? 'null' : String(s))).join(', ')}]`;
}
