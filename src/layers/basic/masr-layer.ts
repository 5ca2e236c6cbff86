import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildNested } from './common';
import { assertSingleTfjs } from './tfjs-copies';

type Kwargs = Parameters<tfl.layers.Layer['apply']>[1];
type Shape = tfl.Shape;

/**
 * The base of masr-net's layers: a tfjs-layers Layer with typed eager helpers.
 *
 * - `apply(tensor)` is typed `Out` (a `tf.Tensor` for single-output layers, `tf.Tensor[]` for the two generators
 *   with several outputs), `apply(symbolic)` a `SymbolicTensor`: eager code needs no cast.
 * - `buildFor(shape)` creates the weights now. Layers otherwise build on their first call, so an eager
 *   `optimizer.minimize(() => loss(layer.apply(x)))` as the very first use fails with tfjs's "Cannot find a
 *   connection between any variable and the result of the loss function" (or "none of the 0 variables is
 *   trainable": the optimizer lists the variables before the closure creates them). Call `buildFor` (or run one
 *   forward pass) before the first `minimize`.
 * - Every call checks that its inputs come from the same TensorFlow.js copy as masr-net (see DuplicateTfjsError).
 */
export abstract class MasrLayer<Out extends tf.Tensor | tf.Tensor[] = tf.Tensor> extends tfl.layers.Layer {
  override apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: Kwargs): Out;
  override apply(
    inputs: tfl.SymbolicTensor | tfl.SymbolicTensor[],
    kwargs?: Kwargs,
  ): Out extends tf.Tensor[] ? tfl.SymbolicTensor[] : tfl.SymbolicTensor;
  override apply(
    inputs: tf.Tensor | tf.Tensor[] | tfl.SymbolicTensor | tfl.SymbolicTensor[],
    kwargs?: Kwargs,
  ): tf.Tensor | tf.Tensor[] | tfl.SymbolicTensor | tfl.SymbolicTensor[];
  override apply(
    inputs: tf.Tensor | tf.Tensor[] | tfl.SymbolicTensor | tfl.SymbolicTensor[],
    kwargs?: Kwargs,
  ): tf.Tensor | tf.Tensor[] | tfl.SymbolicTensor | tfl.SymbolicTensor[] {
    assertSingleTfjs(inputs, this.getClassName());
    return super.apply(inputs, kwargs);
  }

  /**
   * Creates the weights for inputs of `inputShape` (with the batch axis, `null` for unknown sizes; a list for
   * multi-input layers) and returns the layer. Weights get the names they get in a `tf.model`. Use it before the
   * first eager `optimizer.minimize`. Not for a layer that will be added to a `tf.sequential` (it is then already
   * connected); in a functional `tf.model` it is fine.
   */
  buildFor(inputShape: Shape | Shape[]): this {
    buildNested(this, inputShape);
    return this;
  }
}
