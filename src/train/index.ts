// Training without files (browser-safe): the optimizer, the schedule, early stopping and the step loop.
// The file-bound parts (runTrain, checkpoints) are exported from masr-net/node.
export { AdamW, type AdamWOptions, type AdamWState } from './adamw';
export { warmupCosineLr, type WarmupCosineOptions } from './schedule';
export { EarlyStopping } from './early-stopping';
export {
  Trainer,
  namedGradients,
  type TrainerOptions,
  type StepGradients,
  type StepOutcome,
  type GradientSource,
} from './trainer';
