import type { MASRNetConfig } from '../models/index';

/** Messages between ParallelGradients (main thread) and its gradient workers. Plain data: Float32Arrays move. */

export interface PlainTensor {
  shape: number[];
  data: Float32Array;
}

/** The perceptual term's weights, or how to make them. */
export type VggSource = { random: number } | { convs: { kernel: PlainTensor; bias: PlainTensor }[] };

export interface InitRequest {
  type: 'init';
  config: MASRNetConfig;
  vgg: VggSource | null;
  backend: 'wasm' | 'cpu';
  /** XNNPACK threads of the worker's wasm engine. */
  threads: number;
}

export interface StepRequest {
  type: 'step';
  id: number;
  /** The replica's trainable weights, in `trainableVariables` order. */
  weights: Float32Array[];
  input: PlainTensor;
  target: PlainTensor;
  microBatch: number;
  /** Seeds Math.random for the step (dropout masks, sampled experts), as the CLI does on the main thread. */
  seed: number;
}

export type WorkerRequest = InitRequest | StepRequest;

export interface StepReply {
  type: 'step';
  id: number;
  loss: number;
  terms: Record<string, number>;
  /** Gradients in `trainableVariables` order; null where a variable got none. */
  grads: (Float32Array | null)[];
  /** The worker engine's tensor count after the step (it must not grow from step to step). */
  numTensors: number;
}

export type WorkerReply =
  { type: 'ready'; shapes: number[][] } | StepReply | { type: 'error'; id?: number; message: string };
