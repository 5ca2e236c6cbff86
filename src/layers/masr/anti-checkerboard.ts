import { register } from '../basic/common';
import { BranchSmoother, type SmoothingOptions } from './branch-smoother';

export type { SmoothingOptions } from './branch-smoother';

/**
 * The reference AntiCheckerboardModule on an NHWC parameter map [B, H, W, C]: reflect-padded 1x3, 3x1 and 3x3
 * channel-mixing convs (no bias), concatenated [horizontal, vertical, diagonal], fused by a 1x1 conv with bias;
 * returns x + rw * fused. Same shape out. Box-filter start, as the reference: every tap 1 / (C * kh * kw).
 */
export class AntiCheckerboard extends BranchSmoother {
  static className = 'MasrAntiCheckerboard';

  constructor(options: SmoothingOptions = {}) {
    super(options, 'AntiCheckerboard', [
      { key: 'horizontal.weight', kernel: [1, 3], initial: (c) => 1 / (3 * c) },
      { key: 'vertical.weight', kernel: [3, 1], initial: (c) => 1 / (3 * c) },
      { key: 'diagonal.weight', kernel: [3, 3], initial: (c) => 1 / (9 * c) },
    ]);
  }
}
register(AntiCheckerboard);
