import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** A JSON-serialisable description of an expert type: `type` names it in the registry, the rest are its options. */
export interface ExpertConfig {
  type: string;
  [option: string]: tf.serialization.ConfigDictValue;
}

/** What a MixtureOfExperts gives its experts to create their weights. */
export interface ExpertBuildContext {
  /** Number of experts E: every weight holds all E experts stacked on axis 0. */
  numExperts: number;
  /** Width d of the routed rows. */
  inputDim: number;
  /** Width of each expert's output. */
  outputDim: number;
  /** The layer's `useBias` option. */
  useBias: boolean;
  /** Creates a trainable weight of the layer (`name` relative to the layer, e.g. 'experts.layers.0.weight'). */
  addWeight(name: string, shape: number[], init: 'zeros' | { normalStd: number }): tfl.LayerVariable;
}

/**
 * One expert type of a MixtureOfExperts: E experts of the same architecture whose weights are stacked on axis 0.
 * The layer routes the tokens, calls `forward(rows, e)` on the rows routed to expert e only (sparse dispatch) or on
 * all rows (dense dispatch), and combines the outputs with the gates.
 */
export interface Expert {
  /** Creates the weights (called once, from the layer's build). */
  build(context: ExpertBuildContext): void;
  /** Expert e on its rows [M, inputDim] -> [M, outputDim]. Must be deterministic (it is recomputed in the backward pass). */
  forward(rows: tf.Tensor2D, expert: number): tf.Tensor2D;
  /** Every weight `forward` reads (they are checkpointed: the backward pass recomputes forward). */
  weights(): tfl.LayerVariable[];
  /** The config that recreates this expert type through {@link createExpert}. */
  getConfig(): ExpertConfig;
}

/** Makes an expert from its config; `layer` holds the MixtureOfExperts options an expert type may default to. */
export type ExpertFactory = (config: ExpertConfig, layer: ExpertLayerDefaults) => Expert;

/** The MixtureOfExperts options an expert type may use as defaults. */
export interface ExpertLayerDefaults {
  hiddenSizes: readonly number[];
  outputProjection: boolean;
}

const registry = new Map<string, ExpertFactory>();

/**
 * Registers an expert type under `type`, so `new MixtureOfExperts({ expert: { type, ...options } })` and a saved
 * model's config can create it. Built in: 'ffn' (the default) and 'glu'.
 */
export function registerExpertType(type: string, factory: ExpertFactory): void {
  registry.set(type, factory);
}

/** The expert of `config` (an error lists the registered types when `config.type` is unknown). */
export function createExpert(config: ExpertConfig, layer: ExpertLayerDefaults): Expert {
  const factory = registry.get(config.type);
  if (!factory) {
    throw new Error(
      `MixtureOfExperts: unknown expert type '${String(config.type)}' (registered: ${[...registry.keys()].join(', ')}); ` +
        'register it with registerExpertType',
    );
  }
  return factory(config, layer);
}
