// Written by scripts/ship-weights.ts: the weights in the package's weights/ folder. Do not edit by hand.
import type { PretrainedEntry } from './pretrained';

export const SHIPPED: Record<string, PretrainedEntry> = {
  'lowlight-v1': {
    name: 'lowlight-v1',
    preset: 'lolv1',
    file: 'lowlight-v1.safetensors',
    sha256: '7ba29b7d670f9235f40dd23faf50a181e309d8d725def7e354006adef84fb0af',
    bytes: 9887322,
    description:
      'MASR-Net lolv1 trained from scratch on synthetic lowlight-v2 pairs (recipes/lowlight-v1.json); interim checkpoint',
  },
};
