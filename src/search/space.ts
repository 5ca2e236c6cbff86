import { DEFAULT_LOSS_WEIGHTS } from '../losses/composite';

/**
 * One searched option: a numeric training option (`lr`, `weightDecay`, ...) or a loss weight (`lossWeights.psnr`),
 * drawn from [low, high], uniformly or (log) uniformly in its logarithm.
 */
export interface SearchParam {
  name: string;
  low: number;
  high: number;
  log: boolean;
}

export type SearchSpace = SearchParam[];
/** A trial's values, by parameter name. */
export type ParamValues = Record<string, number>;

/** The reference trainer's Optuna space (lr, and the psnr / LAB / reconstruction loss weights; the others fixed). */
export const DEFAULT_SPACE: SearchSpace = [
  { name: 'lr', low: 6.5e-5, high: 7.8e-5, log: true },
  { name: 'lossWeights.psnr', low: 0.08, high: 0.12, log: false },
  { name: 'lossWeights.lab', low: 0.006, high: 0.015, log: false },
  // The reference's "reconstruction" weight is its Charbonnier term's.
  { name: 'lossWeights.charbonnier', low: 1.48, high: 1.58, log: false },
];

const LOSS_PREFIX = 'lossWeights.';

/**
 * The continuous training options (integer ones such as batch or crop change what a step costs, so trials would not
 * be comparable on the same budget).
 */
const TRAIN_PARAMS = ['lr', 'weightDecay', 'minLrFactor', 'lrSteepness', 'lrAcceleration', 'clipNorm'];

/** The names a space may use: the continuous training options and every loss weight. */
export function searchableNames(): string[] {
  return [...TRAIN_PARAMS, ...Object.keys(DEFAULT_LOSS_WEIGHTS).map((k) => LOSS_PREFIX + k)];
}

/** Throws one line naming the parameter at fault. */
export function validateSpace(space: SearchSpace, label = 'search space'): void {
  if (space.length === 0) throw new Error(`${label}: no parameters`);
  const names = searchableNames();
  const seen = new Set<string>();
  for (const p of space) {
    if (!names.includes(p.name))
      throw new Error(`${label}: unknown parameter '${p.name}' (expected one of ${names.join(', ')})`);
    if (seen.has(p.name)) throw new Error(`${label}: '${p.name}' is given twice`);
    seen.add(p.name);
    if (!(Number.isFinite(p.low) && Number.isFinite(p.high) && p.low < p.high))
      throw new Error(`${label}: '${p.name}' needs finite low < high, got ${p.low}..${p.high}`);
    if (p.log && !(p.low > 0)) throw new Error(`${label}: '${p.name}' on a log scale needs low > 0, got ${p.low}`);
  }
}

/**
 * Parse `name=low:high[:log],...` (e.g. `lr=6.5e-5:7.8e-5:log,lossWeights.psnr=0.08:0.12`). Throws one line naming
 * the bad entry and the expected form.
 */
export function parseSpace(text: string): SearchSpace {
  const space = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^([\w.]+)=([^:]+):([^:]+)(?::(log|linear))?$/.exec(entry);
      const low = m ? Number(m[2]) : NaN;
      const high = m ? Number(m[3]) : NaN;
      if (!m || !Number.isFinite(low) || !Number.isFinite(high))
        throw new Error(`--space: cannot read '${entry}' (expected name=low:high or name=low:high:log)`);
      return { name: m[1]!, low, high, log: m[4] === 'log' };
    });
  validateSpace(space, '--space');
  return space;
}

/** The space as `--space` text. */
export function formatSpace(space: SearchSpace): string {
  return space.map((p) => `${p.name}=${p.low}:${p.high}${p.log ? ':log' : ''}`).join(',');
}

/** A value -> [0, 1] (in its logarithm for log-scale parameters): the sampler works in this unit cube. */
export function toUnit(p: SearchParam, value: number): number {
  const u = p.log
    ? (Math.log(value) - Math.log(p.low)) / (Math.log(p.high) - Math.log(p.low))
    : (value - p.low) / (p.high - p.low);
  return Math.min(1, Math.max(0, u));
}

export function fromUnit(p: SearchParam, u: number): number {
  const c = Math.min(1, Math.max(0, u));
  return p.log ? Math.exp(Math.log(p.low) + c * (Math.log(p.high) - Math.log(p.low))) : p.low + c * (p.high - p.low);
}

/** Split values into training options and loss weights (which go in the model config's `lossWeights`). */
export function splitValues(values: ParamValues): {
  train: Record<string, number>;
  lossWeights: Record<string, number>;
} {
  const train: Record<string, number> = {};
  const lossWeights: Record<string, number> = {};
  for (const [k, v] of Object.entries(values)) {
    if (k.startsWith(LOSS_PREFIX)) lossWeights[k.slice(LOSS_PREFIX.length)] = v;
    else train[k] = v;
  }
  return { train, lossWeights };
}
