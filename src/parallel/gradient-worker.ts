// A gradient worker: its own tfjs engine and MASR-Net replica; computes the gradients of its share of a batch.
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend';
import { VggPerceptualLoss } from '../losses/index';
import { batchGradients, MASRNet } from '../models/index';
import { withSeededRandom } from '../random/seeded-math-random';
import type { StepReply, VggSource, WorkerReply, WorkerRequest } from './protocol';

const port = parentPort!;
let model: MASRNet | null = null;
let vgg: VggPerceptualLoss | null = null;

function makeVgg(source: VggSource | null): VggPerceptualLoss | null {
  if (!source) return null;
  if ('random' in source) return VggPerceptualLoss.randomForTesting(source.random);
  return VggPerceptualLoss.fromWeights(
    source.convs.map((c) => ({
      kernel: tf.tensor4d(c.kernel.data, c.kernel.shape as [number, number, number, number]),
      bias: tf.tensor1d(c.bias.data),
    })),
  );
}

function step(req: Extract<WorkerRequest, { type: 'step' }>): StepReply {
  const m = model!;
  const vars = m.trainableVariables;
  // assign() keeps the new values but not the tensor that carried them: dispose those (tidy).
  tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(req.weights[i]!, v.shape))));
  // Everything the step creates (inputs, gradient tensors) is released by the tidy; plain arrays come out.
  const out = tf.tidy(() => {
    const x = tf.tensor4d(req.input.data, req.input.shape as [number, number, number, number]);
    const y = tf.tensor4d(req.target.data, req.target.shape as [number, number, number, number]);
    const r = withSeededRandom(req.seed, () =>
      batchGradients((a, b) => m.computeLoss(a, b, { training: true, perceptual: vgg }), vars, x, y, req.microBatch),
    );
    // Copies: a backend may hand out its own storage, and these buffers are transferred.
    const grads = vars.map((v) => (r.grads[v.name] ? new Float32Array(r.grads[v.name]!.dataSync()) : null));
    return { loss: r.loss, terms: r.terms, grads } as unknown as tf.TensorContainer;
  }) as unknown as Pick<StepReply, 'loss' | 'terms' | 'grads'>;
  return { type: 'step', id: req.id, ...out, numTensors: tf.memory().numTensors };
}

function reply(msg: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

port.on('message', (req: WorkerRequest) => {
  void (async () => {
    try {
      if (req.type === 'init') {
        await selectBackend(req.backend, req.backend === 'wasm' ? { threads: req.threads } : {});
        model = MASRNet.fromConfig(req.config);
        vgg = makeVgg(req.vgg);
        reply({ type: 'ready', shapes: model.trainableVariables.map((v) => v.shape) });
      } else {
        const out = step(req);
        reply(
          out,
          out.grads.filter((g): g is Float32Array => g !== null).map((g) => g.buffer as ArrayBuffer),
        );
      }
    } catch (e) {
      reply({
        type: 'error',
        id: req.type === 'step' ? req.id : undefined,
        message: e instanceof Error ? e.message : String(e),
      });
    }
  })();
});
