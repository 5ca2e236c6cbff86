import * as tf from '@tensorflow/tfjs-core';
import type { ReferenceWeight } from '../../../src/layers/basic/common';
import { fixtureTensor, loadFixture } from '../../helpers/fixtures';

const PERM = { linear: [1, 0], conv: [2, 3, 1, 0], same: null } as const;

/** Writes the fixture's reference weights `${prefix}.${key}` into a built layer's weights (layouts converted). */
export function loadReferenceInto(weights: ReferenceWeight[], prefix: string): void {
  const file = loadFixture('weights');
  for (const w of weights) {
    tf.tidy(() => {
      const t = fixtureTensor(file, `${prefix}.${w.key}`);
      const perm = PERM[w.layout];
      w.variable.write(perm ? tf.transpose(t, [...perm]) : t);
    });
  }
}

/** A fixture activation, NCHW images moved to NHWC when `nhwc`. */
export function activation(key: string, nhwc = false): tf.Tensor {
  const t = fixtureTensor(loadFixture('activations'), key);
  if (!nhwc) return t;
  const out = tf.transpose(t, [0, 2, 3, 1]);
  t.dispose();
  return out;
}

/** The recorded routing of a layer as an int32 [N, k] tensor. */
export function recordedRouting(layer: string): tf.Tensor2D {
  const t = fixtureTensor(loadFixture('activations'), `gate.${layer}.idx`);
  const out = tf.cast(t, 'int32') as tf.Tensor2D;
  t.dispose();
  return out;
}
