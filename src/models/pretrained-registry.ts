// Written by scripts/ship-weights.ts: the weights in the package's weights/ folder. Do not edit by hand.
import type { PretrainedEntry } from './pretrained';

export const SHIPPED: Record<string, PretrainedEntry> = {
  'lowlight-v1': {
    name: 'lowlight-v1',
    preset: 'lolv1',
    file: 'lowlight-v1.safetensors',
    sha256: 'a17aa6d1978c8a21679bf95c0299424385268d1f56b0c3727df818cad5ab987f',
    bytes: 9887322,
    description:
      'MASR-Net lolv1 (the faithful preset) trained from scratch with recipes/lowlight-v1.json: lowlight-v2 pairs of CBSD68 + Sun_Hays80; best validation (McMaster + Set14, lowlight-v1) at step 1250 of 6000 (training continues)',
  },
};
