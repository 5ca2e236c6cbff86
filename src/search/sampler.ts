import { Rng } from '../random/rng';
import { fromUnit, toUnit, type ParamValues, type SearchSpace } from './space';

/** A finished observation the sampler learns from: its values and score (higher is better; null = pruned/failed). */
export interface Observation {
  values: ParamValues;
  score: number | null;
}

export interface SamplerOptions {
  /** Random trials before the model-based ones. */
  startup: number;
  /** Fraction of the observations in the "good" group. */
  gamma: number;
  /** Candidates drawn from the good density; the one with the highest l(x)/g(x) is suggested. */
  candidates: number;
}

export const SAMPLER_DEFAULTS: SamplerOptions = { startup: 4, gamma: 0.15, candidates: 24 };

/**
 * Suggest the next values: uniform (in the unit cube) for the first `startup` trials, then a Tree-structured Parzen
 * Estimator: observations split into good and bad by the score quantile `gamma`; each parameter gets a Parzen
 * density (truncated Gaussians on [0, 1] plus a flat prior) per group; among candidates drawn from the good
 * densities the one maximising l(x)/g(x) wins. Parameters are treated independently (as TPE's default).
 * Deterministic given `rng`'s seed and the observations.
 */
export function suggest(
  space: SearchSpace,
  observations: Observation[],
  rng: Rng,
  options: Partial<SamplerOptions> = {},
): ParamValues {
  const o = { ...SAMPLER_DEFAULTS, ...options };
  const scored = observations.filter((ob) => ob.score !== null && Number.isFinite(ob.score));
  if (scored.length < Math.max(1, o.startup)) {
    return Object.fromEntries(space.map((p) => [p.name, fromUnit(p, rng.next())]));
  }
  // Best first; pruned and failed trials are always bad (they were stopped for scoring low, or broke).
  const sorted = [...scored].sort((a, b) => b.score! - a.score!);
  const nGood = Math.max(1, Math.ceil(o.gamma * sorted.length));
  const good = sorted.slice(0, nGood);
  const bad = [...sorted.slice(nGood), ...observations.filter((ob) => !scored.includes(ob))];
  const densities = space.map((p) => ({
    p,
    l: new Parzen(good.map((ob) => toUnit(p, ob.values[p.name]!))),
    g: new Parzen(bad.map((ob) => toUnit(p, ob.values[p.name]!))),
  }));
  let best: number[] | null = null;
  let bestRatio = -Infinity;
  for (let c = 0; c < o.candidates; c++) {
    const x = densities.map((d) => d.l.sample(rng));
    const ratio = densities.reduce((acc, d, i) => acc + Math.log(d.l.pdf(x[i]!)) - Math.log(d.g.pdf(x[i]!)), 0);
    if (ratio > bestRatio) {
      bestRatio = ratio;
      best = x;
    }
  }
  return Object.fromEntries(densities.map((d, i) => [d.p.name, fromUnit(d.p, best![i]!)]));
}

/**
 * A 1-D Parzen density on [0, 1]: an equal-weight mixture of a flat prior and Gaussians truncated to [0, 1], one per
 * point, each as wide as the gap to its neighbours (Optuna-style; the widths shrink as points accumulate).
 */
export class Parzen {
  private readonly mus: number[];
  private readonly sigmas: number[];
  private readonly masses: number[];

  constructor(points: number[]) {
    const sorted = [...points].sort((a, b) => a - b);
    this.mus = sorted;
    const n = sorted.length;
    // Bounds keep a lone point from becoming a spike (no exploration) or a flat line (no information).
    const minSigma = 0.02;
    const maxSigma = 1;
    this.sigmas = sorted.map((mu, i) => {
      const left = i > 0 ? mu - sorted[i - 1]! : mu;
      const right = i < n - 1 ? sorted[i + 1]! - mu : 1 - mu;
      return Math.min(maxSigma, Math.max(minSigma, Math.max(left, right)));
    });
    this.masses = this.mus.map((mu, i) => normCdf((1 - mu) / this.sigmas[i]!) - normCdf((0 - mu) / this.sigmas[i]!));
  }

  /** Density at x in [0, 1]. */
  pdf(x: number): number {
    let sum = 1; // the flat prior
    for (let i = 0; i < this.mus.length; i++) {
      const s = this.sigmas[i]!;
      const z = (x - this.mus[i]!) / s;
      sum += Math.exp(-0.5 * z * z) / (s * Math.sqrt(2 * Math.PI) * this.masses[i]!);
    }
    return sum / (this.mus.length + 1);
  }

  /** One draw: the prior or one kernel, chosen uniformly; kernels by rejection to [0, 1]. */
  sample(rng: Rng): number {
    const k = rng.int(this.mus.length + 1);
    if (k === this.mus.length) return rng.next();
    for (let tries = 0; tries < 100; tries++) {
      const x = this.mus[k]! + this.sigmas[k]! * rng.normal();
      if (x >= 0 && x <= 1) return x;
    }
    return this.mus[k]!; // a kernel almost entirely outside [0, 1] (cannot happen with sigma <= 1 and mu in it)
  }
}

/** The standard normal CDF (Abramowitz–Stegun 7.1.26 erf, error < 1.5e-7: plenty for kernel masses). */
export function normCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
