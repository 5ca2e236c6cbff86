import * as tf from '@tensorflow/tfjs-core';
import { checkpoint } from '../ops/index';
import { charbonnierLoss } from './charbonnier';
import { assertImagePair } from './checks';
import { labColorLoss } from './lab';
import { psnrLoss } from './psnr';
import { ssimLoss } from './ssim';
import type { VggPerceptualLoss } from './vgg';

/** Weight of each term of the MASR training loss. */
export interface MasrLossWeights {
  charbonnier: number;
  perceptual: number;
  /** The routing layers' auxiliary (load-balancing) loss, computed by the model. */
  aux: number;
  psnr: number;
  ssim: number;
  lab: number;
}

/** The reference's defaults (config.default_config()). */
export const DEFAULT_LOSS_WEIGHTS: Readonly<MasrLossWeights> = Object.freeze({
  charbonnier: 1.523,
  perceptual: 0.2318,
  aux: 0.1067,
  psnr: 0.0981,
  ssim: 0.15,
  lab: 0.012,
});

export interface MasrCompositeLossOptions {
  /** Overrides of `DEFAULT_LOSS_WEIGHTS`. */
  weights?: Partial<MasrLossWeights>;
  /**
   * The VGG16 perceptual loss. When null/omitted the perceptual term is reported as 0 and left out of the total
   * (whatever its weight): the reference always has it, so such a total equals its `total_without_perceptual`.
   */
  perceptual?: VggPerceptualLoss | null;
}

export interface MasrCompositeLossResult {
  /** Σ weight_i · term_i. */
  total: tf.Scalar;
  /** The unweighted terms, for logging. */
  terms: {
    charbonnier: tf.Scalar;
    perceptual: tf.Scalar;
    aux: tf.Scalar;
    psnr: tf.Scalar;
    ssim: tf.Scalar;
    lab: tf.Scalar;
  };
}

/**
 * The MASR-Net training loss (the reference implementation's weights): 1.5230·Charbonnier + 0.2318·Perceptual + 0.1067·aux +
 * 0.0981·PSNR loss + 0.15·SSIM loss + 0.012·LAB, weights configurable. `pred`/`target` are NHWC RGB in [0, 1].
 * Returns new tensors (the caller disposes them); inside `optimizer.minimize` return `.total`.
 */
export function masrCompositeLoss(
  pred: tf.Tensor,
  target: tf.Tensor,
  aux: tf.Scalar | number,
  options: MasrCompositeLossOptions = {},
): MasrCompositeLossResult {
  assertImagePair('masrCompositeLoss', pred, target, true);
  const weights: MasrLossWeights = { ...DEFAULT_LOSS_WEIGHTS, ...options.weights };
  for (const [name, w] of Object.entries(weights)) {
    if (typeof w !== 'number' || !Number.isFinite(w))
      throw new Error(`masrCompositeLoss: weight '${name}' must be a finite number, got ${w}`);
  }
  if (aux instanceof tf.Tensor && aux.rank !== 0) {
    throw new Error(`masrCompositeLoss: aux must be a scalar, got shape [${aux.shape}]`);
  }
  const vgg = options.perceptual ?? null;
  return tf.tidy(() => {
    // Each image term is checkpointed: its full-resolution intermediates are recomputed in the backward pass
    // instead of being held by the tape (see ops/checkpoint).
    const term = (f: (p: tf.Tensor, t: tf.Tensor) => tf.Scalar) =>
      checkpoint((p, t) => f(p!, t!), [pred], [], [target]) as tf.Scalar;
    const terms = {
      charbonnier: term(charbonnierLoss),
      // The target's VGG taps once, off the tape. VGG(pred) is not checkpointed: the tape keeps only ~70 MB of it
      // per 256x256 image (relu outputs; the frozen convs save only their inputs), less than recomputing costs.
      perceptual: vgg ? vgg.computeAgainst(pred, vgg.targetFeatures(target as tf.Tensor4D)) : tf.scalar(0),
      aux: (typeof aux === 'number' ? tf.scalar(aux) : tf.clone(aux)) as tf.Scalar,
      psnr: term(psnrLoss),
      ssim: term(ssimLoss),
      lab: term(labColorLoss),
    };
    const weighted = (Object.keys(terms) as (keyof MasrLossWeights)[])
      .filter((k) => k !== 'perceptual' || vgg)
      .map((k) => tf.mul(terms[k], weights[k]));
    return { total: tf.addN(weighted) as tf.Scalar, terms };
  });
}
