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
// The routing toolkit, to write a new routed layer (see RoutingLayer): router logits -> route (top-k choice, gates,
// aux losses) -> sparseDispatch / denseDispatch (gather each expert's rows, run the expert, gate and scatter back).
export { route, routerLogits, noisyLogits, type Route, type RouteOptions } from './routing/router';
export { planDispatch, perExpert, type DispatchPlan } from './routing/dispatch';
export {
  sparseDispatch,
  denseDispatch,
  checkpointedExpert,
  type DispatchOptions,
  type ExpertFn,
} from './routing/moe-forward';
export { HostRng } from '../random/host-rng';
// Expert types of MixtureOfExperts: the interface, the registry, the two shipped types.
export {
  registerExpertType,
  createExpert,
  type Expert,
  type ExpertBuildContext,
  type ExpertConfig,
  type ExpertFactory,
  type ExpertLayerDefaults,
} from './routing/experts';
export { FfnExpert } from './routing/ffn-expert';
export { GluExpert, type GluExpertOptions } from './routing/glu-expert';
export type { MoeExpertOption } from './routing/moe';
