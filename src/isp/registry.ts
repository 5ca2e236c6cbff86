import { colorOp } from './color-matrix';
import { gammaOp } from './gamma';
import type { IspOp } from './op';
import { saturationOp } from './saturation';

/**
 * The ISP ops of MASR-Net, in decoder-slot order (slot j of the encoder's ISP tokens feeds op j's decoder): gamma,
 * colour, saturation, as the reference. Register a new op by adding its descriptor here (and one ISP slot: the
 * config's qkGenerator.numHeads must equal the number of ops).
 */
export const ISP_OPS: readonly IspOp[] = [gammaOp, colorOp, saturationOp];

/** The ops in the order the ISP applies them (the reference: colour matrix, gamma, saturation). */
export function ispOpsInApplyOrder(): IspOp[] {
  return [...ISP_OPS].sort((a, b) => a.applyOrder - b.applyOrder);
}
