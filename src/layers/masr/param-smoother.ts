import { register } from '../basic/common';
import { BranchSmoother, type SmoothingOptions } from './branch-smoother';

/**
 * The reference MultiScaleParamSmoother on an NHWC map [B, H, W, C]: reflect-padded 5x5 and 7x7 convs (no bias),
 * concatenated [5x5, 7x7], fused by a 1x1 conv with bias; returns x + rw * fused.
 */
export class MultiScaleParamSmoother extends BranchSmoother {
  static className = 'MasrMultiScaleParamSmoother';

  constructor(options: SmoothingOptions = {}) {
    super(options, 'MultiScaleParamSmoother', [
      { key: 'conv5.weight', kernel: [5, 5], initial: () => 1 / 25 },
      { key: 'conv7.weight', kernel: [7, 7], initial: () => 1 / 49 },
    ]);
  }
}
register(MultiScaleParamSmoother);
