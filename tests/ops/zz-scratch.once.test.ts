import * as tf from '@tensorflow/tfjs-core';
import { test } from "vitest";
import { stopGradient } from '../../src/ops';
test("x", async () => {
  const x = tf.tensor1d([0.2, 0.4, 0.6]);
  const tries: Record<string, (a: tf.Tensor) => tf.Tensor> = {
    addN: (a) => tf.addN([a, a]),
    addNmask: (a) => { const m = tf.cast(tf.greaterEqual(stopGradient(a), 0.3), 'float32'); return tf.addN([tf.mul(m, a), a]); },
    addNmask2: (a) => { const m = tf.cast(tf.greaterEqual(a, 0.3), 'float32'); return tf.addN([tf.mul(m, a), a]); },
    castEq: (a) => tf.mul(tf.cast(tf.equal(stopGradient(a), 0.4), 'float32'), a),
    logicalAnd: (a) => tf.mul(tf.cast(tf.logicalAnd(tf.greaterEqual(stopGradient(a), 0.3), tf.greaterEqual(stopGradient(a), 0.1)), 'float32'), a),
    sgonly: (a) => tf.mul(stopGradient(a), a),
    sgaddN: (a) => tf.addN([stopGradient(a), a]),
  };
  for (const [k, f] of Object.entries(tries)) {
    try { console.log(k, tf.grad((a: tf.Tensor) => tf.sum(f(a)))(x).dataSync()); } catch (e) { console.log(k, 'ERR', (e as Error).message); }
  }
});
