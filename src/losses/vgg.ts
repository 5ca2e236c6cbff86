import * as tf from '@tensorflow/tfjs-core';
import { meanAll } from './reduce';
import { conv2d, maxPool2x2, stopGradientOf } from '../ops';
import { entryToFloat32, readSafetensors } from '../io/safetensors';
import { assertImagePair } from './checks';

/** One 3x3 convolution of VGG16 in tfjs layout: kernel [3, 3, in, out], bias [out]. */
export interface VggConvWeights {
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/** torchvision `vgg16().features` indices of the 7 convolutions in `features[:16]`. */
export const VGG16_CONV_INDICES = [0, 2, 5, 7, 10, 12, 14] as const;
/** Input/output channels of those convolutions. */
export const VGG16_CONV_CHANNELS: ReadonlyArray<readonly [number, number]> = [
  [3, 64],
  [64, 64],
  [64, 128],
  [128, 128],
  [128, 256],
  [256, 256],
  [256, 256],
];
/**
 * The block structure of `features[:16]`: conv, relu, conv, relu* | pool, conv, relu, conv, relu* | pool, conv, relu,
 * conv, relu, conv, relu*. `*` marks the taps relu1_2, relu2_2, relu3_3 (modules 3, 8, 15).
 */
const BLOCKS = [2, 2, 3];

export interface VggPerceptualLossOptions {
  /** The 7 convolutions in order (see `VGG16_CONV_CHANNELS`). The loss takes ownership and disposes them. */
  weights?: VggConvWeights[];
  /** Random weights (tests only): a deterministic He-uniform initialisation from this seed. */
  randomForTesting?: { seed: number };
}

/** mulberry32: a small deterministic PRNG for the test-only random weights. */
function uniformArray(n: number, seed: number, bound: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (2 * (((t ^ (t >>> 14)) >>> 0) / 4294967296) - 1) * bound;
  }
  return out;
}

/**
 * VGG16 perceptual loss as the reference uses it: `torchvision.models.vgg16().features[:16]` (3x3 convs with zero
 * padding 1, ReLU, 2x2 max-pooling), features tapped at relu1_2, relu2_2 and relu3_3, mean squared error per tap,
 * averaged over the three taps. Inputs are NHWC RGB in [0, 1] and are fed as they are: like the reference, no ImageNet
 * mean/std normalisation. The weights are constants (never tf.Variables), so optimisers cannot train them.
 *
 * Weights are required: `fromSafetensors` (torchvision key names), `fromWeights` (e.g. kernels read from a tfjs model),
 * or `randomForTesting` (tests only). `new VggPerceptualLoss()` without weights throws.
 */
export class VggPerceptualLoss {
  private readonly convs: VggConvWeights[];
  private disposed = false;

  constructor(options: VggPerceptualLossOptions = {}) {
    if (options.weights && options.randomForTesting) {
      throw new Error('VggPerceptualLoss: give either weights or randomForTesting, not both');
    }
    if (options.weights) {
      VggPerceptualLoss.checkWeights(options.weights);
      this.convs = options.weights.map((w) => ({ kernel: tf.keep(w.kernel), bias: tf.keep(w.bias) }));
    } else if (options.randomForTesting) {
      this.convs = VggPerceptualLoss.randomWeights(options.randomForTesting.seed);
    } else {
      throw new Error(
        'VggPerceptualLoss: no VGG16 weights given. Load ImageNet weights with VggPerceptualLoss.fromSafetensors(bytes) ' +
          '(torchvision vgg16 state_dict keys features.N.weight/bias) or VggPerceptualLoss.fromWeights(convs); ' +
          'random weights are for tests only: VggPerceptualLoss.randomForTesting(seed).',
      );
    }
  }

  /** From tfjs-layout convolutions (kernel [3, 3, in, out], bias [out]); the loss takes ownership of the tensors. */
  static fromWeights(weights: VggConvWeights[]): VggPerceptualLoss {
    return new VggPerceptualLoss({ weights });
  }

  /** The 7 convolutions (tfjs layout), e.g. to copy into another engine. Owned by the loss: do not dispose. */
  convWeights(): readonly VggConvWeights[] {
    this.assertAlive();
    return this.convs;
  }

  /** Deterministic random weights (He-uniform, small random biases). For tests: the loss is meaningless without ImageNet weights. */
  static randomForTesting(seed: number): VggPerceptualLoss {
    return new VggPerceptualLoss({ randomForTesting: { seed } });
  }

  /**
   * From a safetensors file holding torchvision VGG16 weights: `features.N.weight` [out, in, 3, 3] and
   * `features.N.bias` [out] for N in 0, 2, 5, 7, 10, 12, 14 (any float dtype). Other keys (the classifier, deeper
   * convs) are ignored. Throws listing every missing or mis-shaped key. A `features.` prefix such as
   * `perceptual_loss.vgg_layers.` is not stripped: rename keys first if needed.
   */
  static fromSafetensors(bytes: Uint8Array | ArrayBuffer): VggPerceptualLoss {
    const file = readSafetensors(bytes);
    const problems: string[] = [];
    const raw: { w: Float32Array; b: Float32Array }[] = [];
    VGG16_CONV_INDICES.forEach((n, i) => {
      const [cin, cout] = VGG16_CONV_CHANNELS[i]!;
      const get = (key: string, shape: number[]): Float32Array => {
        const e = file.tensors.get(key);
        if (!e) {
          problems.push(`${key} missing (expected [${shape}])`);
          return new Float32Array(0);
        }
        if (!tf.util.arraysEqual(e.shape, shape)) {
          problems.push(`${key} has shape [${e.shape}], expected [${shape}]`);
          return new Float32Array(0);
        }
        if (!['F32', 'F64', 'F16', 'BF16'].includes(e.dtype)) {
          problems.push(`${key} has dtype ${e.dtype}, expected a float type`);
          return new Float32Array(0);
        }
        return entryToFloat32(e);
      };
      raw.push({ w: get(`features.${n}.weight`, [cout, cin, 3, 3]), b: get(`features.${n}.bias`, [cout]) });
    });
    if (problems.length) {
      throw new Error(`VggPerceptualLoss.fromSafetensors: unusable VGG16 weights:\n  ${problems.join('\n  ')}`);
    }
    const weights = raw.map(({ w, b }, i) => {
      const [cin, cout] = VGG16_CONV_CHANNELS[i]!;
      return tf.tidy(() => ({
        // PyTorch [out, in, kh, kw] -> tfjs [kh, kw, in, out]
        kernel: tf.transpose(tf.tensor4d(w, [cout, cin, 3, 3]), [2, 3, 1, 0]) as tf.Tensor4D,
        bias: tf.tensor1d(b),
      }));
    });
    return new VggPerceptualLoss({ weights });
  }

  private static checkWeights(weights: VggConvWeights[]): void {
    if (weights.length !== VGG16_CONV_CHANNELS.length) {
      throw new Error(`VggPerceptualLoss: expected ${VGG16_CONV_CHANNELS.length} convolutions, got ${weights.length}`);
    }
    const problems: string[] = [];
    weights.forEach((w, i) => {
      const [cin, cout] = VGG16_CONV_CHANNELS[i]!;
      if (!tf.util.arraysEqual(w.kernel.shape, [3, 3, cin, cout]))
        problems.push(
          `conv ${i} (features.${VGG16_CONV_INDICES[i]}): kernel [${w.kernel.shape}], expected [3,3,${cin},${cout}]`,
        );
      if (!tf.util.arraysEqual(w.bias.shape, [cout]))
        problems.push(`conv ${i} (features.${VGG16_CONV_INDICES[i]}): bias [${w.bias.shape}], expected [${cout}]`);
    });
    if (problems.length) throw new Error(`VggPerceptualLoss: mis-shaped weights:\n  ${problems.join('\n  ')}`);
  }

  private static randomWeights(seed: number): VggConvWeights[] {
    return VGG16_CONV_CHANNELS.map(([cin, cout], i) => {
      const bound = Math.sqrt(6 / (9 * cin));
      return {
        kernel: tf.keep(tf.tensor4d(uniformArray(9 * cin * cout, seed * 7919 + i, bound), [3, 3, cin, cout])),
        bias: tf.keep(tf.tensor1d(uniformArray(cout, seed * 7919 + 100 + i, 0.01))),
      };
    });
  }

  /** Number of (frozen) parameters: 1,735,488 for VGG16 `features[:16]`. */
  get paramCount(): number {
    return this.convs.reduce((s, c) => s + c.kernel.size + c.bias.size, 0);
  }

  /** The three tapped feature maps (relu1_2 [B,H,W,64], relu2_2 [B,H/2,W/2,128], relu3_3 [B,H/4,W/4,256]). */
  features(x: tf.Tensor4D): tf.Tensor4D[] {
    this.assertAlive();
    if (x.rank !== 4 || x.shape[3] !== 3)
      throw new Error(`VggPerceptualLoss: expected NHWC RGB [B, H, W, 3], got [${x.shape}]`);
    if (x.shape[1] < 4 || x.shape[2] < 4)
      throw new Error(`VggPerceptualLoss: image ${x.shape[1]}x${x.shape[2]} is smaller than 4x4`);
    return tf.tidy(() => {
      const taps: tf.Tensor4D[] = [];
      let h = x;
      let k = 0;
      BLOCKS.forEach((convs, block) => {
        // Max-pool 2x2 / stride 2 (PyTorch floor mode = 'valid') between blocks.
        if (block > 0) h = maxPool2x2(h);
        for (let j = 0; j < convs; j++, k++) {
          const { kernel, bias } = this.convs[k]!;
          h = conv2d(h, kernel, { padding: 1, filterGradient: false, bias, activation: 'relu' });
        }
        taps.push(h);
      });
      return taps;
    });
  }

  /** mean over the three taps of MSE(features(pred), features(target)). Differentiable in pred (and target). */
  compute(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
    assertImagePair('VggPerceptualLoss.compute', pred, target, true);
    return tf.tidy(() => {
      const fp = this.features(pred as tf.Tensor4D);
      const ft = this.features(target as tf.Tensor4D);
      return this.tapMse(fp, ft);
    });
  }

  /**
   * The target's three taps packed into one 1-D tensor, computed off the gradient tape (no gradient, and none of
   * its intermediates are held by an enclosing `tf.grads`). Pair with `computeAgainst` when the target is fixed.
   */
  targetFeatures(target: tf.Tensor4D): tf.Tensor1D {
    return stopGradientOf(() =>
      tf.concat(
        this.features(target).map((f) => tf.reshape(f, [-1])),
        0,
      ),
    ) as tf.Tensor1D;
  }

  /** `compute(pred, target)` with the target's taps from `targetFeatures(target)`; differentiable in pred only. */
  computeAgainst(pred: tf.Tensor, packedTarget: tf.Tensor1D): tf.Scalar {
    return tf.tidy(() => {
      const fp = this.features(pred as tf.Tensor4D);
      const total = fp.reduce((n, f) => n + f.size, 0);
      if (total !== packedTarget.size) {
        throw new Error(
          `VggPerceptualLoss.computeAgainst: target features (${packedTarget.size} values) do not match pred [${pred.shape}] (${total})`,
        );
      }
      let offset = 0;
      const ft = fp.map((f) => {
        const t = tf.reshape(tf.slice(packedTarget, [offset], [f.size]), f.shape);
        offset += f.size;
        return t;
      });
      return this.tapMse(fp, ft);
    });
  }

  private tapMse(fp: tf.Tensor[], ft: tf.Tensor[]): tf.Scalar {
    const mses = fp.map((f, i) => meanAll(tf.squaredDifference(f, ft[i]!)));
    return tf.div(tf.addN(mses), mses.length) as tf.Scalar;
  }

  /** Frees the weights; the loss cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.convs) {
      c.kernel.dispose();
      c.bias.dispose();
    }
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error('VggPerceptualLoss: used after dispose()');
  }
}
