import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { shapeString } from '../validate';

const NAME = 'MixtureOfAttention';

type AnyShape = readonly (number | null)[];

/** The roles of the MixtureOfAttention inputs: query, key, value and (attention-gate routing) the expert keys. */
export interface MoaInputs<T> {
  query: T;
  key: T;
  value: T;
  gateKeys: T | null;
}

/**
 * Accepted input lists: query | [query] (self-attention) | [query, keyValue] | [query, key, value];
 * attention-gate routing needs exactly [query, key, value, gateKeys].
 */
export function splitMoaInputs<T>(list: T[], attentionGate: boolean): MoaInputs<T> {
  if (attentionGate) {
    if (list.length !== 4) {
      throw new Error(
        `${NAME}: routing 'attentionGate' expects [query, key, value, gateKeys [B, P, E, d]], got ${list.length} input(s)`,
      );
    }
    return { query: list[0]!, key: list[1]!, value: list[2]!, gateKeys: list[3]! };
  }
  if (list.length < 1 || list.length > 3) {
    throw new Error(
      `${NAME}: expects query | [query, keyValue] | [query, key, value] (gateKeys only with routing 'attentionGate'), got ${list.length} inputs`,
    );
  }
  const query = list[0]!;
  const key = list[1] ?? query;
  return { query, key, value: list[2] ?? key, gateKeys: null };
}

function same(a: number | null | undefined, b: number | null | undefined): boolean {
  return a == null || b == null || a === b;
}

/**
 * Shape checks (symbolic shapes may hold nulls): query [B, P, Tq, d]; key and value [B, P, Tk, d] with the same Tk;
 * gateKeys [B, P, E, d]. `d` is the layer's model width when known; `keyWidth` is the width key and value must have
 * instead of d (the head width, for key and value already projected).
 */
export function checkMoaShapes(
  shapes: MoaInputs<AnyShape>,
  numExperts: number,
  d: number | null,
  keyWidth: number | null = null,
): void {
  const { query, key, value, gateKeys } = shapes;
  const rank4 = (what: string, s: AnyShape, expect: string) => {
    if (s.length !== 4) throw new Error(`${NAME}: ${what} must be ${expect}, got ${shapeString(s)}`);
  };
  rank4('query', query, '[B, P, Tq, d]');
  rank4('key', key, '[B, P, Tk, d]');
  rank4('value', value, '[B, P, Tk, d]');
  const dq = d ?? query[3];
  if (!same(query[3], dq)) throw new Error(`${NAME}: query width ${query[3]} does not match the layer's d = ${dq}`);
  for (const [what, s] of [
    ['key', key],
    ['value', value],
  ] as const) {
    if (!same(s[0], query[0]) || !same(s[1], query[1]) || !same(s[3], keyWidth ?? dq)) {
      const width = keyWidth == null ? 'd' : `headDim=${keyWidth}`;
      throw new Error(
        `${NAME}: ${what} ${shapeString(s)} must be [B, P, Tk, ${width}] with B, P${keyWidth == null ? ' and d' : ''} of the query ${shapeString(query)}`,
      );
    }
  }
  if (!same(key[2], value[2])) {
    throw new Error(`${NAME}: key ${shapeString(key)} and value ${shapeString(value)} must have the same length Tk`);
  }
  if (gateKeys) {
    rank4('gateKeys', gateKeys, `[B, P, E=${numExperts}, d]`);
    if (
      !same(gateKeys[0], query[0]) ||
      !same(gateKeys[1], query[1]) ||
      !same(gateKeys[2], numExperts) ||
      !same(gateKeys[3], dq)
    ) {
      throw new Error(
        `${NAME}: gateKeys ${shapeString(gateKeys)} must be [B, P, E=${numExperts}, d] matching the query ${shapeString(query)}`,
      );
    }
  }
}

/** A layer's input shape(s) as a list (tfjs-layers passes one shape or a list of shapes). */
export function shapeList(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape[] {
  return Array.isArray(inputShape[0]) ? (inputShape as tfl.Shape[]) : [inputShape as tfl.Shape];
}

export function tensorShapes(t: MoaInputs<tf.Tensor>): MoaInputs<AnyShape> {
  return { query: t.query.shape, key: t.key.shape, value: t.value.shape, gateKeys: t.gateKeys?.shape ?? null };
}
