// Written by scripts/ship-weights.ts: the weights in the package's weights/ folder. Do not edit by hand.
import type { PretrainedEntry } from './pretrained';

export const SHIPPED: Record<string, PretrainedEntry> = {
  'lowlight-v1': {
    name: 'lowlight-v1',
    preset: 'lolv1',
    file: 'lowlight-v1.safetensors',
    sha256: 'def2653af5687f456dff6e4aff4b2f2d2d3e81ed8e2cd59edb01849b1c029ed2',
    bytes: 19757780,
    description:
      'MASR-Net lolv1 (the faithful preset) trained from scratch with recipes/lowlight-v1.json: lowlight-v2 pairs of CBSD68 + Sun_Hays80; best validation (McMaster + Set14, lowlight-v1) at step 1250 of 6000 (training continues). float32: float16 storage moved outputs by up to 11/255',
  },
};
