// Routing layers: sparse top-k Mixture-of-Experts and asymmetric Mixture-of-Attention, their shared types, and the
// loader for reference (PyTorch) weights.
export { MixtureOfExperts, type MixtureOfExpertsOptions } from './routing/moe';
export { MixtureOfAttention, type MixtureOfAttentionOptions } from './routing/moa';
export { RoutingLayer } from './routing/routing-layer';
export { DEFAULT_AUX_WEIGHTS, type AuxLossWeights, type AuxLosses, type RoutingDecision } from './routing/types';
export type { PositionBiasLayout } from './routing/position-bias';
export { loadReferenceWeights, referenceTensors, type ReferenceLoadResult } from './routing/reference-weights';
export { computeAuxLosses } from './routing/aux-losses';
export { setRoutingPlacement, routingOnHost, type RoutingPlacement } from './routing/router';
