import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { HostRng } from '../../random/host-rng';
import { MasrLayer } from '../basic/masr-layer';
import { readOverride } from './selection';
import type { LayerArgs } from '../validate';
import type { AuxLosses, RoutingDecision } from './types';

type Initializer = ReturnType<typeof tfl.initializers.randomNormal>;

/**
 * The base of a routed layer: what MixtureOfExperts and MixtureOfAttention share, and what a new routed layer extends
 * (with route, sparseDispatch and the experts of the routing toolkit): the latest auxiliary losses and routing (kept tensors,
 * replaced and disposed on every call), a routing override for replay, the host RNG for sampled experts, and the
 * `addLoss` closure that hands the latest aux total to `fit`.
 */
export abstract class RoutingLayer extends MasrLayer {
  /**
   * Auxiliary losses of the latest call (eager custom loops add `lastAux.total` to their loss inside the same
   * `optimizer.minimize` closure). Owned by the layer: valid until the next call or `dispose()`.
   */
  lastAux: AuxLosses | null = null;
  /** Routing of the latest call (expert ids and gates per token and slot). Owned by the layer, like lastAux. */
  lastRouting: RoutingDecision | null = null;
  protected override: { rows: number; data: Int32Array } | null = null;
  protected readonly rng: HostRng;
  private auxLossRegistered = false;

  constructor(
    args: LayerArgs,
    protected readonly seed?: number,
  ) {
    super(args);
    this.rng = new HostRng(seed);
  }

  /**
   * `lastAux` without the null check: the aux losses of the latest call, or an error when the layer has not been
   * called since it was created or disposed. Owned by the layer, like lastAux.
   */
  auxLosses(): AuxLosses {
    if (!this.lastAux) {
      throw new Error(`${this.getClassName()}: no aux losses yet: call the layer (apply) before reading them`);
    }
    return this.lastAux;
  }

  abstract readonly numExperts: number;
  abstract readonly k: number;

  /**
   * Replays a routing: `indices` [N, k] expert ids (copied; the caller keeps ownership) are used on every following
   * call instead of the router's choice, until `setRoutingOverride(null)`. The gates and aux losses are still
   * computed from this layer's router probabilities at those experts.
   */
  setRoutingOverride(indices: tf.Tensor2D | null): void {
    this.override = indices == null ? null : readOverride(this.getClassName(), indices, this.k, this.numExperts);
  }

  /** Registers the aux-loss closure once (from build), so `fit` adds the latest weighted aux total to the loss. */
  protected registerAuxLoss(): void {
    if (this.auxLossRegistered) return;
    this.auxLossRegistered = true;
    // A clone: the training loop owns (and disposes) what the closure returns, the layer keeps lastAux.
    this.addLoss(() => (this.lastAux ? tf.clone(this.lastAux.total) : tf.scalar(0)));
  }

  /** Normal(0, std) and uniform(±bound) initialisers; with a seed, each weight gets its own reproducible stream. */
  protected initializers(): {
    normal: (std: number) => Initializer;
    uniform: (bound: number) => Initializer;
  } {
    const seeds = this.seed == null ? null : new HostRng(this.seed ^ 0x5eed);
    return {
      normal: (std) => tfl.initializers.randomNormal({ mean: 0, stddev: std, seed: seeds?.nextSeed() }),
      uniform: (bound) => tfl.initializers.randomUniform({ minval: -bound, maxval: bound, seed: seeds?.nextSeed() }),
    };
  }

  /** The override for a call over n tokens, checking it matches. */
  protected overrideFor(n: number): Int32Array | null {
    if (!this.override) return null;
    if (this.override.rows !== n) {
      throw new Error(
        `${this.getClassName()}: routing override has ${this.override.rows} rows but this call routes ${n} tokens`,
      );
    }
    return this.override.data;
  }

  /**
   * Keeps the new aux losses and routing (called inside the call's tidy) and disposes the previous ones. A subclass
   * calls it once per call with its route's `aux`, `indexTensor` and `gates`, and `registerAuxLoss()` from build.
   */
  protected record(aux: AuxLosses, indices: tf.Tensor2D, gates: tf.Tensor2D): void {
    this.releaseRecords();
    this.lastAux = {
      cv: tf.keep(aux.cv),
      switch: tf.keep(aux.switch),
      z: tf.keep(aux.z),
      total: tf.keep(aux.total),
    };
    this.lastRouting = { indices: tf.keep(indices), gates: tf.keep(gates) };
  }

  private releaseRecords(): void {
    if (this.lastAux) tf.dispose([this.lastAux.cv, this.lastAux.switch, this.lastAux.z, this.lastAux.total]);
    if (this.lastRouting) tf.dispose([this.lastRouting.indices, this.lastRouting.gates]);
    this.lastAux = null;
    this.lastRouting = null;
  }

  override dispose(): ReturnType<tfl.layers.Layer['dispose']> {
    this.releaseRecords();
    return super.dispose();
  }
}
