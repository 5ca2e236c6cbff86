// Hyperparameter search over training runs (masr-net search).
export { DEFAULT_SPACE, parseSpace, formatSpace, searchableNames, toUnit, fromUnit } from './space';
export type { SearchParam, SearchSpace, ParamValues } from './space';
export { suggest, Parzen, SAMPLER_DEFAULTS, type Observation, type SamplerOptions } from './sampler';
export { HyperbandPruner, type PrunerOptions, type Report } from './pruner';
export { readStudy, type StudyRecord, type StudyState, type TrialState, type TrialStatus } from './study-file';
export {
  runStudy,
  bestTrial,
  type Objective,
  type StudyOptions,
  type TrialContext,
  type TrialOutcome,
} from './run-study';
export { trainObjective, trialOptions, type SearchBase } from './train-objective';
export { runSearch, writeSearchOutputs, type SearchOptions, type SearchResult } from './search';
