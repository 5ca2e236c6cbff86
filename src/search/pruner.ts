/**
 * Hyperband pruning over successive-halving brackets, on validation scores reported during a trial (higher is better).
 *
 * Resources are training steps. Bracket b's rungs are at minResource·eta^(b+k) steps (k = 0, 1, ...) up to
 * maxResource: at each rung a trial continues only if its score is in the top 1/eta of the scores that trials of the
 * same bracket reached at that rung. Brackets differ in how early the first cut comes (bracket 0 the most
 * aggressive), which hedges against curves that start slow; trials are dealt to brackets round-robin by number. With
 * fewer than `eta` scores at a rung nothing is cut (one or two points say too little).
 */
export interface PrunerOptions {
  /** Steps before the first cut (of bracket 0). */
  minResource: number;
  /** Steps a full trial trains. */
  maxResource: number;
  /** Reduction factor: each rung keeps the top 1/eta. */
  eta: number;
}

/** A report of trial `trial`: its validation score at `step`. */
export interface Report {
  trial: number;
  step: number;
  score: number;
}

export class HyperbandPruner {
  readonly brackets: number;

  constructor(readonly options: PrunerOptions) {
    const { minResource, maxResource, eta } = options;
    if (!(Number.isInteger(minResource) && minResource >= 1))
      throw new Error(`pruner: min resource must be an integer >= 1 step, got ${minResource}`);
    if (!(eta >= 2)) throw new Error(`pruner: reduction factor must be >= 2, got ${eta}`);
    // Brackets whose first rung falls before the end of a trial.
    this.brackets = Math.max(1, Math.floor(Math.log(maxResource / minResource) / Math.log(eta) + 1e-9) + 1);
  }

  bracketOf(trial: number): number {
    return trial % this.brackets;
  }

  /** The rung steps of a bracket (all < maxResource: at the end the trial is finished anyway). */
  rungs(bracket: number): number[] {
    const out: number[] = [];
    for (
      let r = this.options.minResource * this.options.eta ** bracket;
      r < this.options.maxResource;
      r *= this.options.eta
    )
      out.push(Math.round(r));
    return out;
  }

  /**
   * Should `trial`, which has just reported `score` at `step`, stop? `reports` holds every report of the study so
   * far (other trials' and this one's). A trial's score at a rung is its first report at or after the rung's step.
   */
  shouldPrune(trial: number, step: number, reports: Report[]): boolean {
    const bracket = this.bracketOf(trial);
    const mine = reports.filter((r) => r.trial === trial);
    for (const rung of this.rungs(bracket)) {
      if (rung > step) break;
      const at = scoreAt(mine, rung);
      // Judge each rung once: at the report that first reached it.
      if (at === undefined || at.step !== step) continue;
      const peers = new Map<number, number>();
      for (const r of reports) {
        if (this.bracketOf(r.trial) !== bracket || peers.has(r.trial)) continue;
        const s = scoreAt(
          reports.filter((x) => x.trial === r.trial),
          rung,
        );
        if (s) peers.set(r.trial, s.score);
      }
      if (peers.size < this.options.eta) continue;
      const keep = Math.max(1, Math.floor(peers.size / this.options.eta));
      const better = [...peers.entries()].filter(([t, s]) => t !== trial && s > at.score).length;
      if (better >= keep) return true;
    }
    return false;
  }
}

function scoreAt(reports: Report[], rung: number): Report | undefined {
  let first: Report | undefined;
  for (const r of reports) if (r.step >= rung && (!first || r.step < first.step)) first = r;
  return first;
}
