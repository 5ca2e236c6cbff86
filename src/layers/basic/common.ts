import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { scopedRandomSeed } from '../../ops/index';

/** The keyword arguments tfjs-layers passes to `call` (`training` among them). */
export type Kwargs = Parameters<tfl.layers.Layer['call']>[1];
export type Shape = tfl.Shape;
export type LayerVariable = tfl.LayerVariable;
/** A plain-JSON layer config (what getConfig returns). */
export type LayerConfig = tf.serialization.ConfigDict;

/**
 * How a PyTorch tensor maps onto a tfjs weight:
 * - `linear`: nn.Linear weight [out, in] -> [in, out];
 * - `conv`: nn.Conv2d weight [out, in, kh, kw] -> [kh, kw, in, out];
 * - `same`: identical layout (biases, norms, scalars, stacked experts [E, in, out], w_gate [d, E]).
 */
export type ReferenceLayout = 'linear' | 'conv' | 'same';

/** One weight of a layer as the reference PyTorch state_dict names it (key relative to the module). */
export interface ReferenceWeight {
  key: string;
  variable: LayerVariable;
  layout: ReferenceLayout;
}

/** Layers whose weights have names in the reference state_dict. */
export interface HasReferenceWeights {
  referenceWeights(): ReferenceWeight[];
}

/** `training` from the tfjs-layers kwargs (false when absent). */
export function isTraining(kwargs: Kwargs | undefined): boolean {
  return !!(kwargs && kwargs['training']);
}

/** Inverted dropout, only when training and rate > 0 (PyTorch nn.Dropout semantics). */
export function dropout<T extends tf.Tensor>(x: T, rate: number, training: boolean): T {
  if (!training || rate <= 0) return x;
  // Seeded inside a checkpointed function so its recomputation in the backward pass draws the same mask.
  return tf.dropout(x, rate, undefined, scopedRandomSeed()) as T;
}

/** A single tensor from the layer inputs, with a clear error otherwise. */
export function singleInput(inputs: tf.Tensor | tf.Tensor[], layer: string): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new Error(`${layer}: expected one input tensor, got ${inputs.length}`);
    return inputs[0]!;
  }
  return inputs;
}

/** The single input shape of a layer (tfjs-layers may wrap it in a list). */
export function singleShape(inputShape: Shape | Shape[], layer: string): Shape {
  if (Array.isArray(inputShape[0])) {
    const list = inputShape as Shape[];
    if (list.length !== 1) throw new Error(`${layer}: expected one input shape, got ${list.length}`);
    return list[0]!;
  }
  return inputShape as Shape;
}

/** Symbolic inputs for `shapes`, to build a nested layer through `apply` (its weights then get scoped names). */
export function buildNested(layer: tfl.layers.Layer, shapes: Shape | Shape[]): void {
  if (layer.built) return;
  const list = Array.isArray(shapes[0]) ? (shapes as Shape[]) : [shapes as Shape];
  const inputs = list.map((s) => tfl.input({ batchShape: s }));
  layer.apply(inputs.length === 1 ? inputs[0]! : inputs);
}

/** PyTorch-like default initialisers (the values only matter for models trained from scratch). */
export const init = {
  /** nn.Linear / nn.Conv2d default: U(-1/sqrt(fanIn), 1/sqrt(fanIn)) ~ heUniform(scale 1/3). */
  kaiming: (seed?: number) =>
    tfl.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed }),
  glorot: (seed?: number) => tfl.initializers.glorotUniform({ seed }),
  zeros: () => tfl.initializers.zeros(),
  ones: () => tfl.initializers.ones(),
  constant: (value: number) => tfl.initializers.constant({ value }),
  normal: (stddev: number, seed?: number) => tfl.initializers.randomNormal({ mean: 0, stddev, seed }),
};

/** Register a layer class for tfjs (de)serialisation. */
export function register(cls: tf.serialization.SerializableConstructor<tf.serialization.Serializable>): void {
  tf.serialization.registerClass(cls);
}
