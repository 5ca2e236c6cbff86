// masr-net/node: Node-only parts (image files via sharp, datasets on disk, fs save/load handlers, CLI commands).
export * from '../data/index';
// Training: the browser-safe parts (also in the main entry), then the file-bound run with checkpoints.
export * from '../train/index';
export {
  saveCheckpoint,
  readTrainerState,
  resolveCheckpointDir,
  CHECKPOINT_FORMAT,
  type TrainerState,
} from '../train/checkpoint';
export { runTrain, TRAIN_DEFAULTS, type TrainOptions, type TrainHooks, type TrainResult } from '../train/run';
// Inference and evaluation on files.
export { loadModel } from '../infer/model-source';
export {
  enhanceImage,
  evaluateSamples,
  evaluateJobs,
  meanScores,
  type EvaluatedSample,
  type MeanScores,
} from '../infer/evaluate';
export { runTest, type TestOptions, type TestSummary } from '../infer/test-run';
export { runEnhance, type EnhanceOptions } from '../infer/enhance-files';
export { runDemo, bundledSamples, type DemoOptions } from '../infer/demo';
export { runCli, EXIT, type CliContext } from '../cli/run';
export { consoleReporter, memoryReporter, type Reporter } from '../reporter';
// Drawing: heatmaps, training curves, comparison images, text.
export { heatmap, viridis } from '../viz/heatmap';
export { trainingCurves } from '../viz/curves';
export { comparisonImage } from '../viz/comparison';
export { drawText } from '../viz/draw';
export { ParallelGradients, type ParallelGradientsOptions } from '../parallel/parallel-gradients';
export * from '../search/index';
