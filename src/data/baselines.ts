import type { RgbImage } from './image';

/**
 * Classic global enhancement baselines, the yardsticks of the model card (docs/lowlight-synthesis.md gives their
 * scores on a held-back lowlight-v1 set). Plain arrays in [0, 1], no tfjs.
 */

/** The global gamma γ with mean(x^γ) = `target` over all pixels and channels (bisection on log γ), applied. */
export function gammaToMean(img: RgbImage, target = 0.45): RgbImage {
  if (!(target > 0 && target < 1)) throw new Error(`gammaToMean: target must be in (0, 1), got ${target}`);
  const x = img.data;
  const meanAt = (g: number) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += Math.pow(Math.min(1, Math.max(0, x[i]!)), g);
    return s / x.length;
  };
  // mean(x^γ) falls as γ grows: bisect log γ in [log 1e-3, log 1e3].
  let lo = Math.log(1e-3);
  let hi = Math.log(1e3);
  for (let it = 0; it < 50; it++) {
    const mid = (lo + hi) / 2;
    if (meanAt(Math.exp(mid)) > target) lo = mid;
    else hi = mid;
  }
  const g = Math.exp((lo + hi) / 2);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.pow(Math.min(1, Math.max(0, x[i]!)), g);
  return { width: img.width, height: img.height, data: out };
}

/**
 * Histogram equalisation of V = max(R, G, B) on 256 levels, RGB scaled by V'/V so each pixel keeps its channel
 * ratios (hue and saturation); black pixels stay black, results clipped to [0, 1].
 */
export function equalizeValue(img: RgbImage): RgbImage {
  const n = img.width * img.height;
  const x = img.data;
  const level = new Uint8Array(n);
  const hist = new Float64Array(256);
  for (let p = 0; p < n; p++) {
    const v = Math.max(x[3 * p]!, x[3 * p + 1]!, x[3 * p + 2]!);
    const l = Math.min(255, Math.max(0, Math.round(v * 255)));
    level[p] = l;
    hist[l]! += 1;
  }
  // The CDF mapped so the lowest occupied level goes to 0 and the highest to 1 (the textbook equaliser).
  const cdf = new Float64Array(256);
  let acc = 0;
  for (let l = 0; l < 256; l++) cdf[l] = acc += hist[l]!;
  let first = 0;
  while (first < 255 && hist[first] === 0) first++;
  const cdfMin = cdf[first]!;
  const span = Math.max(1, n - cdfMin);
  const out = new Float32Array(x.length);
  for (let p = 0; p < n; p++) {
    const l = level[p]!;
    const v = Math.max(x[3 * p]!, x[3 * p + 1]!, x[3 * p + 2]!);
    if (v <= 0) continue;
    const scale = Math.max(0, cdf[l]! - cdfMin) / span / v;
    for (let c = 0; c < 3; c++) out[3 * p + c] = Math.min(1, x[3 * p + c]! * scale);
  }
  return { width: img.width, height: img.height, data: out };
}
