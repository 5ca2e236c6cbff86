import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { VggPerceptualLoss } from '../losses/index';
import { batchGradients, type BatchGradients, type MASRNet } from '../models/index';
import { firstMessage, workerSpec } from '../data/worker-script';
import { hashSeed } from '../data/index';
import { withSeededRandom } from '../random/seeded-math-random';
import type { PlainTensor, StepReply, VggSource, WorkerReply, WorkerRequest } from './protocol';

export interface ParallelGradientsOptions {
  /** Gradient workers besides the calling thread (default 1: two engines on a 2-core machine). */
  workers?: number;
  /**
   * The perceptual term for the workers' replicas: the loss whose weights they copy, or `{ random: seed }` (tests,
   * benchmarks). Must be the same term the calling thread passes to `gradients`. Default none.
   */
  perceptual?: VggPerceptualLoss | { random: number } | null;
  /** The workers' backend (default wasm). */
  backend?: 'wasm' | 'cpu';
  /** XNNPACK threads per wasm worker (default 1). */
  threads?: number;
  /** How long a worker may take to start (ms). */
  startTimeoutMs?: number;
}

function plain(t: tf.Tensor): PlainTensor {
  return { shape: [...t.shape], data: new Float32Array(t.dataSync()) };
}

function vggSource(p: ParallelGradientsOptions['perceptual']): VggSource | null {
  if (!p) return null;
  if ('random' in p) return { random: p.random };
  return { convs: p.convWeights().map((c) => ({ kernel: plain(c.kernel), bias: plain(c.bias) })) };
}

/**
 * Data-parallel gradients on one machine: the batch's micro-batches are shared between the calling thread and
 * `workers` worker threads, each with its own tfjs engine and a replica of the model (weights copied in each step),
 * and the gradients are combined exactly as `batchGradients` combines micro-batches (weighted by their share).
 *
 * Why: tfjs runs wasm on one thread in Node, so a training step uses one core; XNNPACK threads (`threads: 2`) only
 * split the convolutions and products, while this splits everything. Each engine holds its own ~2 GB working set.
 * Node only.
 */
export class ParallelGradients {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: StepReply) => void; reject: (e: Error) => void }>();
  /** Set when a worker fails or exits: every later call rejects with it. */
  private broken: Error | null = null;
  /** Each worker engine's tensor count after its last step (tests check it does not grow). */
  readonly workerTensors: number[];

  private constructor(
    private readonly workers: Worker[],
    private readonly model: MASRNet,
  ) {
    this.workerTensors = workers.map(() => 0);
    workers.forEach((w, i) => {
      w.on('message', (msg: WorkerReply) => {
        if (msg.type === 'ready' || msg.id === undefined) return;
        const waiter = this.pending.get(msg.id);
        if (!waiter) return;
        this.pending.delete(msg.id);
        if (msg.type === 'step') {
          this.workerTensors[i] = msg.numTensors;
          waiter.resolve(msg);
        } else waiter.reject(new Error(`gradient worker: ${msg.message}`));
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => this.fail(new Error(`gradient worker exited (code ${code})`)));
    });
  }

  /** Start the workers with replicas of `model` (its config; weights travel with each step). */
  static async start(model: MASRNet, options: ParallelGradientsOptions = {}): Promise<ParallelGradients> {
    const count = options.workers ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new Error(`ParallelGradients: workers must be >= 1, got ${count}`);
    const spec = workerSpec('gradient-worker', import.meta.url);
    const shapes = model.trainableVariables.map((v) => v.shape);
    const init: WorkerRequest = {
      type: 'init',
      config: model.config,
      vgg: vggSource(options.perceptual),
      backend: options.backend ?? 'wasm',
      threads: options.threads ?? 1,
    };
    const workers: Worker[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const w = new Worker(spec.script, { eval: spec.eval });
        // A worker that fails while others still start must not crash the process; it is caught as exited below.
        w.on('error', () => undefined);
        workers.push(w);
      }
      await Promise.all(workers.map((w) => ready(w, init, shapes, options.startTimeoutMs ?? 120_000)));
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    // Synchronously after the last `ready`: no worker event can arrive in between without a listener.
    return new ParallelGradients(workers, model);
  }

  /** Engines computing gradients: the workers and the calling thread. */
  get engines(): number {
    return this.workers.length + 1;
  }

  /**
   * `batchGradients(model.computeLoss(training, perceptual), trainableVariables, input, target, microBatch)` with
   * the micro-batches shared out: the calling thread takes the first share, each worker the next. With `seed`, every
   * share runs with Math.random (dropout masks, sampled experts) seeded from it, so the step repeats exactly (for
   * the same number of engines); without, the workers' seeds come from Math.random. Returns what batchGradients
   * returns.
   */
  async gradients(
    input: tf.Tensor4D,
    target: tf.Tensor4D,
    options: { microBatch?: number; perceptual?: VggPerceptualLoss | null; seed?: number } = {},
  ): Promise<BatchGradients> {
    if (!this.broken && this.workers.some((w) => w.threadId < 0)) this.fail(new Error('a gradient worker has exited'));
    if (this.broken) throw this.broken;
    const batch = input.shape[0];
    const micro = options.microBatch ?? 1;
    if (!tf.util.arraysEqual(input.shape, target.shape)) {
      throw new Error(`input [${input.shape}] and target [${target.shape}] differ in shape`);
    }
    // Whole micro-batches per engine, as evenly as they go; the calling thread takes the first share.
    const chunks = Math.ceil(batch / micro);
    const shares: [number, number][] = [];
    let start = 0;
    for (let e = 0; e < this.engines; e++) {
      const take = Math.floor(chunks / this.engines) + (e < chunks % this.engines ? 1 : 0);
      const n = Math.min(batch - start, take * micro);
      if (n > 0) shares.push([start, n]);
      start += n;
    }
    const vars = this.model.trainableVariables;
    const weights = vars.map((v) => new Float32Array(v.dataSync()));
    const sent = shares.slice(1).map(([s, n], i) => {
      const id = this.nextId++;
      const piece = (t: tf.Tensor4D) => {
        const part = tf.slice(t, [s, 0, 0, 0], [n, -1, -1, -1]);
        const out = plain(part);
        part.dispose();
        return out;
      };
      const req: WorkerRequest = {
        type: 'step',
        id,
        weights: i === shares.length - 2 ? weights : weights.map((w) => w.slice()),
        input: piece(input),
        target: piece(target),
        microBatch: micro,
        seed: options.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : hashSeed(options.seed, 'share', i + 1),
      };
      const done = new Promise<StepReply>((resolve, reject) => this.pending.set(id, { resolve, reject }));
      // Handled here too: if this thread's own share throws first, nobody awaits `done` when dispose() rejects it.
      done.catch(() => undefined);
      this.workers[i]!.postMessage(req, [
        ...req.weights.map((w) => w.buffer as ArrayBuffer),
        req.input.data.buffer as ArrayBuffer,
        req.target.data.buffer as ArrayBuffer,
      ]);
      return { done, frac: n / batch };
    });
    const [s0, n0] = shares[0]!;
    const own = tf.tidy(() => {
      const x = n0 === batch ? input : (tf.slice(input, [s0, 0, 0, 0], [n0, -1, -1, -1]) as tf.Tensor4D);
      const y = n0 === batch ? target : (tf.slice(target, [s0, 0, 0, 0], [n0, -1, -1, -1]) as tf.Tensor4D);
      const run = () =>
        batchGradients(
          (a, b) => this.model.computeLoss(a, b, { training: true, perceptual: options.perceptual ?? null }),
          vars,
          x,
          y,
          micro,
        );
      const out = options.seed === undefined ? run() : withSeededRandom(hashSeed(options.seed, 'share', 0), run);
      return out as unknown as tf.TensorContainer;
    }) as unknown as BatchGradients;
    try {
      const replies = await Promise.all(sent.map((s) => s.done));
      const f0 = n0 / batch;
      const terms: Record<string, number> = {};
      for (const [k, v] of Object.entries(own.terms)) terms[k] = v * f0;
      let loss = own.loss * f0;
      const grads: tf.NamedTensorMap = {};
      tf.tidy(() => {
        vars.forEach((v, i) => {
          let g: tf.Tensor | null = own.grads[v.name] ? tf.mul(own.grads[v.name]!, f0) : null;
          replies.forEach((r, j) => {
            const data = r.grads[i];
            if (!data) return;
            const part = tf.mul(tf.tensor(data, v.shape), sent[j]!.frac);
            g = g ? tf.add(g, part) : part;
          });
          if (g) grads[v.name] = tf.keep(g);
        });
      });
      replies.forEach((r, j) => {
        loss += r.loss * sent[j]!.frac;
        for (const [k, v] of Object.entries(r.terms)) terms[k] = (terms[k] ?? 0) + v * sent[j]!.frac;
      });
      return { loss, terms, grads };
    } finally {
      tf.dispose(Object.values(own.grads));
    }
  }

  /** Stop the workers. */
  async dispose(): Promise<void> {
    this.fail(new Error('ParallelGradients disposed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private fail(e: Error): void {
    this.broken ??= e;
    for (const [, waiter] of this.pending) waiter.reject(e);
    this.pending.clear();
  }
}

/** Send `init` and wait for the worker's replica to report the same variable shapes as the model's. */
async function ready(w: Worker, init: WorkerRequest, shapes: number[][], timeoutMs: number): Promise<void> {
  const reply = firstMessage(w, timeoutMs, 'gradient worker');
  w.postMessage(init);
  const msg = (await reply) as WorkerReply;
  if (msg.type === 'error') throw new Error(`gradient worker failed to start: ${msg.message}`);
  const same =
    msg.type === 'ready' &&
    msg.shapes.length === shapes.length &&
    msg.shapes.every((s, i) => tf.util.arraysEqual(s, shapes[i]!));
  if (!same) throw new Error('gradient worker: its replica does not match the model');
}
