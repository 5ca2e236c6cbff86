// The routing toolkit is enough to write a new routed layer: this one is written from the main entry's exports only.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_AUX_WEIGHTS,
  RoutingLayer,
  denseDispatch,
  ops,
  planDispatch,
  route,
  routerLogits,
  sparseDispatch,
  type Route,
} from '../../../src/index';
import { maxAbsDiff, randomTensor } from '../../helpers/gradcheck';

/** A routed linear layer: each token goes through its top-k of E square matrices, gate-weighted and summed. */
class RoutedLinear extends RoutingLayer {
  static className = 'TestRoutedLinear';
  readonly numExperts = 4;
  readonly k = 2;
  dispatch: 'sparse' | 'dense' = 'sparse';
  lastRoute: { indices: Int32Array | null } | null = null;
  private gate!: tfl.LayerVariable;
  private experts!: tfl.LayerVariable;

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const d = (inputShape as tfl.Shape)[1]!;
    const init = this.initializers().normal;
    this.gate = this.addWeight('gate', [d, this.numExperts], 'float32', init(0.5));
    this.experts = this.addWeight('experts', [this.numExperts, d, d], 'float32', init(0.5));
    this.registerAuxLoss();
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor2D;
      const d = x.shape[1];
      const logits = routerLogits(x, this.gate.read() as tf.Tensor2D, 10);
      const r: Route = route(logits, {
        k: this.k,
        sampleCount: 0,
        override: null,
        slotOrder: 'selection',
        rng: this.rng,
        auxWeights: DEFAULT_AUX_WEIGHTS,
      });
      this.lastRoute = { indices: r.indices };
      const w = this.experts.read();
      const expert = (rows: tf.Tensor2D, e: number) =>
        ops.matMul(rows, tf.reshape(tf.slice(w, [e, 0, 0], [1, d, d]), [d, d]) as tf.Tensor2D) as tf.Tensor2D;
      const options = { numExperts: this.numExperts, k: this.k, mode: 'sum' as const };
      const y =
        this.dispatch === 'sparse' ? sparseDispatch(x, r, expert, options) : denseDispatch(x, r, expert, options);
      this.record(r.aux, r.indexTensor, r.gates);
      return y;
    });
  }
}
tf.serialization.registerClass(RoutedLinear);

const cleanup: tf.TensorContainer[] = [];
afterEach(() => {
  tf.dispose(cleanup.splice(0));
});

describe(`a routed layer written from the exported toolkit (${tf.getBackend()})`, () => {
  it('computes Σ_k gate · x W_e over each token’s chosen experts, sparse = dense, with aux losses', () => {
    const layer = new RoutedLinear({});
    expect(() => layer.auxLosses()).toThrow(/no aux losses yet/);
    const x = randomTensor([7, 3], 11);
    const y = layer.apply(x);
    cleanup.push(x, y);
    const indices = layer.lastRoute!.indices!;
    const gates = layer.lastRouting!.gates.arraySync();
    const w = layer.getWeights()[1]!.arraySync() as number[][][];
    const xs = x.arraySync() as number[][];
    const want = xs.map((row, n) =>
      [0, 1, 2].map((j) =>
        [0, 1].reduce((acc, s) => {
          const e = indices[n * 2 + s]!;
          return acc + gates[n]![s]! * row.reduce((a, v, i) => a + v * w[e]![i]![j]!, 0);
        }, 0),
      ),
    );
    expect(maxAbsDiff(y.dataSync(), Float32Array.from(want.flat()))).toBeLessThan(1e-5);
    expect(layer.auxLosses().total.dataSync()[0]).toBeGreaterThan(0);
    // The dispatch plan groups the 7 * 2 routed entries by expert.
    const plan = planDispatch(indices, 2, 4);
    expect(Array.from(plan.counts).reduce((a, b) => a + b)).toBe(14);
    layer.dispatch = 'dense';
    const dense = layer.apply(x);
    cleanup.push(dense);
    expect(maxAbsDiff(dense.dataSync(), y.dataSync())).toBeLessThan(1e-5);
    layer.dispose();
  });

  it('trains in tf.model + fit, its aux loss counted', async () => {
    const input = tfl.input({ shape: [3] });
    const layer = new RoutedLinear({ name: 'routed' });
    const model = tfl.model({ inputs: input, outputs: layer.apply(input) });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = randomTensor([16, 3], 12);
    const t = tf.neg(x);
    cleanup.push(x, t);
    const before = layer.getWeights().map((v) => v.dataSync().slice());
    const h = await model.fit(x, t, { epochs: 3, batchSize: 16, verbose: 0 });
    const loss = h.history['loss'] as number[];
    expect(loss[2]!).toBeLessThan(loss[0]!);
    layer.getWeights().forEach((v, i) => expect(maxAbsDiff(v.dataSync(), before[i]!)).toBeGreaterThan(1e-5));
    model.dispose();
  });
});
