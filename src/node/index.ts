// masr-net/node: Node-only parts (image files via sharp, datasets on disk, fs save/load handlers, CLI commands).
export * from '../data/index';
// The pipeline behind the CLI, usable from scripts (see examples/).
export { AdamW, type AdamWOptions, type AdamWState } from '../cli/adamw';
export { warmupCosineLr, type WarmupCosineOptions } from '../cli/schedule';
export { saveCheckpoint, readTrainerState, resolveCheckpointDir, type TrainerState } from '../cli/checkpoint';
export { loadModel } from '../cli/model-source';
export {
  enhanceImage,
  evaluateSamples,
  evaluateJobs,
  meanScores,
  type EvaluatedSample,
  type MeanScores,
} from '../cli/evaluate';
export { runTrain, TRAIN_DEFAULTS, type TrainOptions, type TrainHooks, type TrainResult } from '../cli/train';
export { runTest, comparisonImage, type TestOptions, type TestSummary } from '../cli/test-run';
export { runEnhance, type EnhanceOptions } from '../cli/enhance';
export { runDemo, type DemoOptions } from '../cli/demo';
export { runCli, EXIT, type CliContext } from '../cli/run';
export { consoleReporter, memoryReporter, type Reporter } from '../cli/reporter';
export { heatmap, viridis } from '../cli/heatmap';
export { trainingCurves } from '../cli/curves';
export { drawText } from '../cli/draw';
export { ParallelGradients, type ParallelGradientsOptions } from '../parallel/parallel-gradients';
export * from '../search/index';
