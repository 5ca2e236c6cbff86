import { selectBackend, type BackendName } from '../backend';
import type { OptionSpecs } from './args';
import { MASRNET_PRESETS } from '../models/config';
import { TRAIN_DEFAULTS } from '../train/options';

/** Options shared by the commands that run a model. */
const BACKEND: OptionSpecs = {
  backend: {
    type: 'string',
    choices: ['auto', 'tensorflow', 'wasm', 'cpu'],
    default: 'auto',
    help: 'tfjs backend: auto picks tfjs-node if installed, else wasm, else cpu',
  },
  threads: {
    type: 'int',
    default: 1,
    help: 'wasm only: XNNPACK threads for convolutions and matrix products (2 uses both cores of a 2-core machine)',
  },
};

const SOURCE: OptionSpecs = {
  data: {
    type: 'string',
    metavar: 'DIR',
    help: 'paired dataset: LOL-v1, LOL-v2, LSRW, or a folder with low/ and high/',
  },
  layout: {
    type: 'string',
    choices: ['auto', 'lol-v1', 'lol-v2-real', 'lol-v2-synthetic', 'lsrw', 'folders'],
    help: 'dataset layout (default: detected)',
  },
  'lolv2-subset': { type: 'string', choices: ['real', 'synthetic'], help: 'LOL-v2 subset (default real)' },
  'low-dir': { type: 'string', metavar: 'DIR', help: 'low-light images (with --high-dir; files matched by name)' },
  'high-dir': { type: 'string', metavar: 'DIR', help: 'references for --low-dir' },
  photos: {
    type: 'string',
    metavar: 'DIR[,DIR...]',
    help: 'well-exposed photos (recursive; folders separated by commas): synthetic low-light pairs',
  },
  synthesis: {
    type: 'string',
    choices: ['lowlight-v1', 'lowlight-v2'],
    help: 'darkening protocol of --photos (default lowlight-v1; docs/lowlight-synthesis.md)',
  },
};

const MODEL: OptionSpecs = {
  preset: {
    type: 'string',
    choices: [...MASRNET_PRESETS],
    default: 'lolv1',
    help: 'model preset (tiny: 2 narrow blocks, for experiments)',
  },
  config: {
    type: 'string',
    metavar: 'FILE',
    help: 'JSON model overrides ({"model": {...}, "train": {...}} or bare overrides)',
  },
};

const d = TRAIN_DEFAULTS;

export const TRAIN_SPECS: OptionSpecs = {
  recipe: {
    type: 'string',
    metavar: 'NAME|FILE',
    help: 'a committed training recipe (recipes/NAME.json, e.g. lowlight-v1) or a recipe file; options given beside it win',
  },
  ...SOURCE,
  'val-data': { type: 'string', metavar: 'DIR', help: 'validation dataset (its test split)' },
  'val-photos': { type: 'string', metavar: 'DIR[,DIR...]', help: 'validation photos (synthetic pairs)' },
  'val-synthesis': {
    type: 'string',
    choices: ['lowlight-v1', 'lowlight-v2'],
    help: 'darkening protocol of --val-photos (default: as --synthesis)',
  },
  'val-count': {
    type: 'int',
    default: d.valCount,
    help: 'items held out for validation when no validation set is given',
  },
  'val-max': { type: 'int', default: d.valMax, help: 'at most this many validation images' },
  'val-crop': { type: 'int', default: d.valCrop, help: 'centre crop of validation images (0 = full size)' },
  'val-seed': { type: 'int', help: "seed of the validation photos' synthetic darkening (default: --seed)" },
  'val-undarkened': {
    type: 'boolean',
    help: 'also score the validation references fed undarkened (do no harm: PSNR of output vs photo, mean and worst)',
  },
  ...MODEL,
  batch: { type: 'int', default: d.batch, help: 'images per step' },
  crop: { type: 'int', default: d.crop, help: 'random crop size (pixels)' },
  steps: { type: 'int', help: 'training steps (default 1000, or from --epochs)' },
  epochs: { type: 'number', help: 'passes over the training set (instead of --steps)' },
  lr: { type: 'number', default: d.lr, help: 'peak learning rate (AdamW)' },
  'weight-decay': { type: 'number', default: d.weightDecay, help: 'AdamW decoupled weight decay' },
  'warmup-steps': { type: 'int', help: 'linear warm-up steps (default 5% of the steps)' },
  'min-lr-factor': { type: 'number', default: d.minLrFactor, help: 'floor of the cosine schedule, relative to --lr' },
  'lr-steepness': { type: 'number', default: d.lrSteepness, help: 'cosine steepness (the reference train.py uses 10)' },
  'lr-acceleration': {
    type: 'number',
    default: d.lrAcceleration,
    help: 'cosine speed-up (the reference train.py uses 3)',
  },
  patience: {
    type: 'int',
    default: d.patience,
    help: 'stop early when validation PSNR has not risen by --min-delta for N steps (0 = off; best/ is kept)',
  },
  'min-delta': { type: 'number', default: d.minDelta, help: 'smallest PSNR rise (dB) that resets --patience' },
  'clip-norm': { type: 'number', default: d.clipNorm, help: 'clip gradients to this global norm (0 = off)' },
  'micro-batch': {
    type: 'int',
    help: 'images per forward/backward pass, gradients accumulated (default: what fits the wasm heap, else --batch)',
  },
  'val-every': { type: 'int', default: d.valEvery, help: 'validate (PSNR/SSIM) and maybe save best/ every N steps' },
  'save-every': { type: 'int', help: 'save last/ every N steps (default: --val-every)' },
  'log-every': { type: 'int', help: 'progress line every N steps when output is not a terminal' },
  seed: { type: 'int', default: d.seed, help: 'seed of sample order, augmentation and synthetic darkening' },
  workers: { type: 'int', default: d.workers, help: 'decode worker threads (0 = decode on the training thread)' },
  'grad-workers': {
    type: 'int',
    default: d.gradWorkers,
    help: 'worker threads computing gradients beside the training thread (data-parallel; 1 uses both cores of a 2-core machine, ~2 GB more memory on wasm)',
  },
  prefetch: { type: 'int', default: d.prefetch, help: 'batches decoded ahead' },
  out: {
    type: 'string',
    metavar: 'DIR',
    default: d.out,
    help: 'run folder: best/, last/, train_log.jsonl, curves.png',
  },
  resume: {
    type: 'string',
    metavar: 'DIR',
    help: 'continue a run (its folder or a checkpoint folder) exactly where it stopped',
  },
  'freeze-base': {
    type: 'boolean',
    help: 'train only the denoiser of a model with one (e.g. --preset lolv1-denoise --init ISP-ONLY-WEIGHTS)',
  },
  overwrite: {
    type: 'boolean',
    default: false,
    help: 'start a new run in an --out folder that already holds one, replacing its checkpoints and log',
  },
  init: {
    type: 'string',
    metavar: 'PATH',
    help: 'start from these weights (checkpoint, run folder or reference .safetensors)',
  },
  'vgg-weights': {
    type: 'string',
    metavar: 'FILE',
    help: 'VGG16 features safetensors for the perceptual term (off without)',
  },
  ...BACKEND,
};

export const SEARCH_SPECS: OptionSpecs = {
  study: {
    type: 'string',
    metavar: 'DIR',
    default: 'runs/search',
    help: 'study folder: study.jsonl (continued if there), trials/, trials.txt, trials.json, search.png, best-config.json',
  },
  recipe: {
    type: 'string',
    metavar: 'NAME|FILE',
    help: 'the training recipe the trials share (data, split, validation, model), e.g. lowlight-v1',
  },
  config: {
    type: 'string',
    metavar: 'FILE',
    help: 'a {"model": {...}, "train": {...}} file over the recipe (or instead of it)',
  },
  trials: { type: 'int', default: 12, help: 'trials the study should hold (finished ones count when continuing)' },
  seed: { type: 'int', default: 3407, help: 'study seed (each trial draws from hash(seed, trial number))' },
  space: {
    type: 'string',
    metavar: 'SPEC',
    help: "searched options, name=low:high[:log],... (default the reference's: lr=6.5e-5:7.8e-5:log,lossWeights.psnr=0.08:0.12,lossWeights.lab=0.006:0.015,lossWeights.charbonnier=1.48:1.58)",
  },
  steps: { type: 'int', default: 243, help: 'training steps of a full trial' },
  crop: { type: 'int', default: 64, help: 'training crop of the trials' },
  batch: { type: 'int', help: "images per step (default: the recipe's)" },
  'val-max': { type: 'int', default: 8, help: 'validation images per check (the first ones of the recipe set)' },
  'val-crop': { type: 'int', default: 128, help: 'centre crop of validation images (0 = full size)' },
  'val-every': { type: 'int', default: 27, help: 'validate (and report to the pruner) every N steps' },
  'min-resource': {
    type: 'int',
    default: 27,
    help: 'steps before the first pruning cut (a multiple of --val-every; 0 = no pruning)',
  },
  'reduction-factor': { type: 'int', default: 3, help: 'Hyperband: each rung keeps the best 1/N' },
  'startup-trials': { type: 'int', default: 4, help: 'random trials before the TPE sampler takes over' },
  'grad-workers': {
    type: 'int',
    default: 0,
    help: 'as train --grad-workers: 1 trains each trial on both cores of a 2-core machine',
  },
  ...BACKEND,
};

export const TEST_SPECS: OptionSpecs = {
  ...SOURCE,
  split: { type: 'string', choices: ['train', 'test'], default: 'test', help: 'dataset split to evaluate' },
  checkpoint: {
    type: 'string',
    metavar: 'PATH',
    help: 'run folder, checkpoint folder, or reference .safetensors (default: the shipped --pretrained weights)',
  },
  pretrained: {
    type: 'string',
    metavar: 'NAME',
    help: 'shipped weights to use when no --checkpoint is given (default lowlight-v1; docs/model-card.md)',
  },
  ...MODEL,
  seed: { type: 'int', default: 0, help: 'seed of the synthetic darkening (with --photos)' },
  'max-images': { type: 'int', help: 'evaluate only the first N pairs (default: all)' },
  'save-images': { type: 'boolean', default: true, help: 'write enhanced_XXXX.png and comparison_XXXX.png' },
  workers: { type: 'int', default: 1, help: 'decode worker threads' },
  out: { type: 'string', metavar: 'DIR', default: 'runs/test', help: 'output folder' },
  ...BACKEND,
};

export const ENHANCE_SPECS: OptionSpecs = {
  input: { type: 'string', metavar: 'PATH', help: 'an image or a folder of images (required)' },
  checkpoint: {
    type: 'string',
    metavar: 'PATH',
    help: 'run folder, checkpoint folder, or reference .safetensors (default: the shipped --pretrained weights)',
  },
  pretrained: {
    type: 'string',
    metavar: 'NAME',
    help: 'shipped weights to use when no --checkpoint is given (default lowlight-v1; docs/model-card.md)',
  },
  ...MODEL,
  out: {
    type: 'string',
    metavar: 'DIR',
    default: 'runs/enhanced',
    help: 'output folder (inputs are never overwritten)',
  },
  maps: { type: 'boolean', default: false, help: 'also write gamma / colour-correction / saturation heatmaps' },
  format: { type: 'string', choices: ['png', 'jpeg', 'tiff'], default: 'png', help: 'output format' },
  'bit-depth': {
    type: 'string',
    choices: ['auto', '8', '16'],
    default: 'auto',
    help: 'output bits per channel (auto: as the input, PNG)',
  },
  suffix: { type: 'string', default: '', help: 'appended to output file names' },
  tile: {
    type: 'int',
    help: 'enhance in overlapping tiles of N pixels to bound memory (default: 512 above 1.5 MP, else 0 = whole image)',
  },
  ...BACKEND,
};

export const DEMO_SPECS: OptionSpecs = {
  out: { type: 'string', metavar: 'DIR', default: 'runs/demo', help: 'where everything goes' },
  samples: { type: 'string', metavar: 'DIR', help: "the sample images (default: the package's samples/)" },
  steps: { type: 'int', default: 60, help: 'training steps' },
  crop: { type: 'int', default: 64, help: 'training crop' },
  batch: { type: 'int', default: 2, help: 'batch size' },
  lr: { type: 'number', default: 5e-4, help: 'peak learning rate' },
  ...BACKEND,
};

export const PARITY_SPECS: OptionSpecs = {
  weights: { type: 'string', metavar: 'FILE', help: 'reference state_dict safetensors (or first positional)' },
  activations: { type: 'string', metavar: 'FILE', help: 'reference activations safetensors (or second positional)' },
  ...BACKEND,
};

export const BENCH_SPECS: OptionSpecs = {
  ...MODEL,
  size: { type: 'string', default: '256x256', metavar: 'HxW', help: 'image size for the forward pass' },
  batch: { type: 'int', default: 1, help: 'batch size' },
  runs: { type: 'int', default: 3, help: 'timed runs (after one warm-up)' },
  train: { type: 'boolean', default: false, help: 'also time a training step (loss + gradients + AdamW)' },
  ...BACKEND,
};

/** Start the backend a command asked for and say which one and why. */
export async function startBackend(name: string, threads: number, info: (line: string) => void): Promise<void> {
  const choice = await selectBackend(name as BackendName | 'auto', { threads });
  info(`backend: ${choice.name} (${choice.reason})`);
}
