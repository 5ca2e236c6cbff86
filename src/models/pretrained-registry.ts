// Written by scripts/ship-weights.ts: the weights in the package's weights/ folder. Do not edit by hand.
import type { PretrainedEntry } from './pretrained';

export const SHIPPED: Record<string, PretrainedEntry> = {
  "lowlight-v1": {
    "name": "lowlight-v1",
    "preset": "lolv1",
    "file": "lowlight-v1.safetensors",
    "sha256": "d8200b65261fb32d7a8e02d08df3f81fe353a3d82650f0e4af5f50e86d57bb79",
    "bytes": 19757780,
    "description": "MASR-Net lolv1 (the faithful preset) trained with recipes/lowlight-v1.json (stage 1, lowlight-v2 pairs), recipes/lowlight-v1-stage2.json (stage 2, plain lowlight-v1 pairs), recipes/lowlight-v1-stage3.json (stage 3, lowlight-v2 pairs, stopped at step 344) and recipes/lowlight-v1-stage4.json (stage 4, lowlight-v2 pairs, 1500 steps): validation (McMaster + Set14, lowlight-v1) 20.67 dB / 0.616, undarkened photos 29.6 dB. float32"
  }
};
