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
    "overrides": {
      "autoExposure": {
        "quantile": 0.999,
        "target": 0.929,
        "maxGain": 64,
        "pool": 4
      }
    },
    "file": "lowlight-v1-autoexposure.safetensors",
    "sha256": "d94b6b61db37817c49185525590aeab1b9172370a694b475855a7760dea4d432",
    "bytes": 19757868,
    "description": "MASR-Net lolv1-autoexposure (the faithful lolv1 network fed inputs brought to a common white point on the whole photo, taken over 4x4 box means: autoExposure pool 4, target 0.929; docs/model-card.md, Auto-exposure): the shipped lowlight-v1 weights (stage 4) trained 1000 steps with recipes/lowlight-v1-autoexposure.json (per-pixel white point), then 450 steps with recipes/lowlight-v1-autoexposure-pooled.json (stopped at step 847; the step-450 weights, the best validation): validation (McMaster + Set14, lowlight-v1) 23.07 dB / 0.571, undarkened photos 26.0 dB. float32"
  },
  "lowlight-v1-denoise-autoexposure": {
    "name": "lowlight-v1-denoise-autoexposure",
    "preset": "lolv1-denoise-autoexposure",
    "file": "lowlight-v1-denoise-autoexposure.safetensors",
    "sha256": "0a531b63f0811f544b4986d96582ae742ccc3d13edb6725e8770c3de1e67ede0",
    "bytes": 22749436,
    "description": "MASR-Net lolv1-denoise-autoexposure (lolv1 with the pooled white point of lowlight-v1-autoexposure and a blind 747,408-parameter ResidualDenoiser on the normalised input before the ISP; docs/model-card.md, A denoiser pre-trained alone, on auto-exposure): the lowlight-v1-autoexposure weights, unchanged, plus the denoiser pre-trained alone with scripts/pretrain-denoiser.ts (3500 steps of 8 crops of lowlight-v2 darkenings, its last weights): validation (McMaster + Set14, lowlight-v1) 23.91 dB / 0.657. float32"
  }
};
