import * as tfl from '@tensorflow/tfjs-layers';
import { MasrLayer } from './masr-layer';
import type { LayerVariable } from './common';

/**
 * Base for a layer built from other layers. tfjs-layers does not track nested layers, so their weights and losses are
 * surfaced here (as tfjs-layers' own wrapper layers do): `trainableWeights`, `nonTrainableWeights`, `weights`,
 * `getWeights`/`setWeights`, `losses`, `countParams` and `dispose` all include the sublayers.
 */
export abstract class CompositeLayer extends MasrLayer {
  /** The sublayers owned by this layer (built in `build`). */
  protected abstract sublayers(): tfl.layers.Layer[];

  override get trainable(): boolean {
    return super.trainable;
  }

  override set trainable(value: boolean) {
    super.trainable = value;
    // The base constructor sets `trainable` before subclasses can list sublayers.
    if (this.built) for (const l of this.sublayers()) l.trainable = value;
  }

  override get trainableWeights(): LayerVariable[] {
    if (!this.trainable) return [];
    return [...super.trainableWeights, ...this.sublayers().flatMap((l) => l.trainableWeights)];
  }

  override set trainableWeights(weights: LayerVariable[]) {
    super.trainableWeights = weights;
  }

  override get nonTrainableWeights(): LayerVariable[] {
    const nested = this.sublayers().flatMap((l) =>
      this.trainable ? l.nonTrainableWeights : [...l.trainableWeights, ...l.nonTrainableWeights],
    );
    return [...super.nonTrainableWeights, ...nested];
  }

  override set nonTrainableWeights(weights: LayerVariable[]) {
    super.nonTrainableWeights = weights;
  }

  override get losses(): tfl.layers.Layer['losses'] {
    return [...super.losses, ...this.sublayers().flatMap((l) => l.losses)];
  }

  /** Disposes the sublayers too (each releases its own weights and kept tensors). */
  override dispose(): ReturnType<tfl.layers.Layer['dispose']> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0) {
      for (const l of this.sublayers()) {
        if (l.built) l.dispose();
      }
    }
    return result;
  }

  /** Only this layer's own weights: the sublayers dispose theirs in `dispose`. */
  protected override disposeWeights(): number {
    const own = [...super.trainableWeights, ...super.nonTrainableWeights];
    own.forEach((w) => w.dispose());
    return own.length;
  }
}
