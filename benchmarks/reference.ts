// Reference figures (PyTorch 1.13, CPU, 2 threads) measured on this kind of machine: shared/docs/performance.md.
export const REFERENCE_SECONDS: Record<string, number> = {
  'forward-lolv1-400x600': 1.38,
  'forward-lolv1-256x256': 0.6,
  'forward-lolv2-400x600': 1.84,
  'train-lolv1-b4-256-full': 5.85,
  'train-lolv1-b4-256-noperceptual': 4.34,
  'train-lolv1-b4-256-full-parallel': 5.85,
  'train-lolv1-b4-256-noperceptual-parallel': 4.34,
};
export const REFERENCE_RSS_GB: Record<string, number> = {
  'forward-lolv1-400x600': 0.87,
  'forward-lolv1-256x256': 0.49,
  'forward-lolv2-400x600': 1.1,
  'train-lolv1-b4-256-full': 3.9,
  'train-lolv1-b4-256-noperceptual': 3.2,
  'train-lolv1-b4-256-full-parallel': 3.9,
  'train-lolv1-b4-256-noperceptual-parallel': 3.2,
};
