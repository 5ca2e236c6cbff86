/**
 * Early stopping on a validation score (higher is better), as the reference trainer's `--patience` / `--min_delta`:
 * the run is stale once `patience` steps have passed since the score last rose by at least `minDelta` over the
 * score of that reference point. A new best smaller than `minDelta` is still saved as best/, but does not reset
 * the count.
 */
export class EarlyStopping {
  constructor(
    readonly patience: number,
    readonly minDelta: number,
    /** Where a resumed run left it. */
    public step: number | null = null,
    public score: number | null = null,
  ) {}

  /** Record a validation score at `step`. */
  update(step: number, score: number): void {
    if (this.score === null || score >= this.score + this.minDelta) {
      this.step = step;
      this.score = score;
    }
  }

  /** Steps since the reference point (0 before any validation). */
  since(step: number): number {
    return this.step === null ? 0 : step - this.step;
  }

  /** True when the run should stop at `step` (never with patience 0). */
  stale(step: number): boolean {
    return this.patience > 0 && this.step !== null && this.since(step) >= this.patience;
  }
}
