/**
 * Learning-rate schedule of the reference trainer (train.py `warmup_cosine_schedule`), per step instead of per epoch:
 * linear warm-up, then a cosine decay with optional steepness and acceleration, floored at `minLrFactor * baseLr`.
 */
export interface WarmupCosineOptions {
  baseLr: number;
  /** Steps of linear warm-up (factor (step+1)/warmupSteps). */
  warmupSteps: number;
  totalSteps: number;
  /** Floor of the factor. Reference 0.001. */
  minLrFactor?: number;
  /** Exponent on |cos|: 1 = plain cosine; the reference's train.py uses 10 (stays high, then drops fast). Default 1. */
  steepness?: number;
  /** Speed-up of the cosine phase: 1 = one half period over the run; the reference uses 3. Default 1. */
  acceleration?: number;
}

/** The learning rate for step `step` (0-based). */
export function warmupCosineLr(step: number, o: WarmupCosineOptions): number {
  const minFactor = o.minLrFactor ?? 0.001;
  if (step < o.warmupSteps) return (o.baseLr * (step + 1)) / o.warmupSteps;
  const span = Math.max(1, o.totalSteps - o.warmupSteps);
  const progress = ((step - o.warmupSteps) * (o.acceleration ?? 1)) / span;
  const c = Math.cos(Math.PI * progress);
  const shaped = Math.sign(c) * Math.pow(Math.abs(c), o.steepness ?? 1);
  return o.baseLr * Math.max(minFactor, 0.5 * (1 + shaped));
}
