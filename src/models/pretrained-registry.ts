// Written by scripts/ship-weights.ts: the weights in the package's weights/ folder. Do not edit by hand.
import type { PretrainedEntry } from './pretrained';

export const SHIPPED: Record<string, PretrainedEntry> = {
  "lowlight-v1": {
    "name": "lowlight-v1",
    "preset": "lolv1",
    "file": "lowlight-v1.safetensors",
    "sha256": "9fae0cdc4dcf551039b8c0662ebbfc4dde3ea73a7b0908112341938a08fd28cc",
    "bytes": 19757780,
    "description": "MASR-Net lolv1 (the faithful preset) trained with recipes/lowlight-v1.json (stage 1, lowlight-v2 pairs), recipes/lowlight-v1-stage2.json (stage 2, plain lowlight-v1 pairs) and recipes/lowlight-v1-stage3.json (stage 3, lowlight-v2 pairs again, stopped at step 344): validation (McMaster + Set14, lowlight-v1) 20.29 dB / 0.613, undarkened photos 23.8 dB. float32"
  }
};
