import type * as tfl from '@tensorflow/tfjs-layers';

/** The constructor options every layer accepts: tfjs-layers' own (name, trainable, inputShape, dtype, ...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

// Checks on layer options and input shapes, shared by every layer. One argument order throughout: the layer, the
// option (or input) being checked, its value, then what is expected; each error names the layer, the option, the
// expected value and what it got.

export function checkPositiveInt(layer: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${layer}: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export function checkNonNegativeInt(layer: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new Error(`${layer}: ${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/** A dropout-like rate in [0, 1). */
export function checkRate(layer: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new Error(`${layer}: ${name} must be in [0, 1), got ${String(value)}`);
  }
  return value;
}

export function checkNonNegative(layer: string, name: string, value: unknown, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new Error(`${layer}: ${name} must be a number in [0, ${max}], got ${String(value)}`);
  }
  return value;
}

export function checkOneOf<T extends string>(layer: string, name: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    throw new Error(`${layer}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got '${value}'`);
  }
  return value;
}

/** Experts per token: a positive integer no larger than the number of experts. */
export function checkTopK(layer: string, k: unknown, numExperts: number): number {
  checkPositiveInt(layer, 'k', k);
  if ((k as number) > numExperts) {
    throw new Error(`${layer}: k (${String(k)}) must not exceed numExperts (${numExperts})`);
  }
  return k as number;
}

/** Throws unless `shape` has `rank` axes and its last axis (where known) is `last` (null: any). */
export function checkShape(
  layer: string,
  what: string,
  shape: readonly (number | null)[],
  rank: number,
  last: number | null,
): void {
  if (shape.length !== rank) throw new Error(`${layer}: ${what} must have rank ${rank}, got ${shapeString(shape)}`);
  const d = shape[rank - 1];
  if (last !== null && d != null && d !== last) {
    throw new Error(`${layer}: ${what} must have last dimension ${last}, got ${shapeString(shape)}`);
  }
}

/** `[2, null, 4]`: a shape as error messages print it. */
export function shapeString(shape: readonly (number | null)[]): string {
  return `[${shape.map((s) => (s == null ? 'null' : String(s))).join(', ')}]`;
}
