// Written by scripts/ship-weights.ts: the weights in the package's weights/ folder. Do not edit by hand.
import type { PretrainedEntry } from './pretrained';

export const SHIPPED: Record<string, PretrainedEntry> = {
  "lowlight-v1": {
    "name": "lowlight-v1",
    "preset": "lolv1",
    "file": "lowlight-v1.safetensors",
    "sha256": "1cf817e192cf51108130ca006b086c12a8f6ace76360d2f0eec68cb889f45f4e",
    "bytes": 19757780,
    "description": "MASR-Net lolv1 (the faithful preset) trained from scratch in two stages: recipes/lowlight-v1.json (lowlight-v2 pairs of CBSD68 + Sun_Hays80, 1258 steps), then recipes/lowlight-v1-stage2.json (plain lowlight-v1 pairs, fresh AdamW, best validation at its step 1000). Validation: McMaster + Set14, lowlight-v1, 21.21 dB. float32."
  }
};
