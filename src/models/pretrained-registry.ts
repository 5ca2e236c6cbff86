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
  },
  "lowlight-v1-denoise": {
    "name": "lowlight-v1-denoise",
    "preset": "lolv1-denoise",
    "file": "lowlight-v1-denoise.safetensors",
    "sha256": "1b514bd3d8d38e8fd854db07c0737bba6ad920c887c5da30aab0a0a55d068759",
    "bytes": 19939276,
    "description": "MASR-Net lolv1-denoise (lolv1 plus a ResidualDenoiser after the ISP, conditioned on the ISP gain map; docs/model-card.md, The noise-aware variant): the denoiser trained alone on the frozen lowlight-v1 stage-3 ISP (recipes/lowlight-v1-denoise-stage1.json, 300 steps), then the whole model with the stage-4 recipe (recipes/lowlight-v1-denoise-stage2.json, stopped at step 615, weights of step 600): validation (McMaster + Set14, lowlight-v1) 20.91 dB / 0.635. float32"
  },
  "lowlight-v1-autoexposure": {
    "name": "lowlight-v1-autoexposure",
    "preset": "lolv1-autoexposure",
    "file": "lowlight-v1-autoexposure.safetensors",
    "sha256": "6356d96f869a76ecfb03b3f07aedff55308fb563193234082736e82cad07307c",
    "bytes": 19757860,
    "description": "MASR-Net lolv1-autoexposure (the faithful lolv1 network fed inputs brought to a common white point on the whole photo; docs/model-card.md, Auto-exposure): the shipped lowlight-v1 weights (stage 4) trained 1000 more steps with recipes/lowlight-v1-autoexposure.json (lowlight-v2 pairs, stopped after the step-1000 validation): validation (McMaster + Set14, lowlight-v1) 23.09 dB / 0.572, undarkened photos 24.7 dB. float32"
  }
};
