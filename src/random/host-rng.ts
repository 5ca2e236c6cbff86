import { Rng } from './rng';

/**
 * The host-side random draws of routing (sampled experts, seeds of tfjs's dropout and gate noise). Routing needs its
 * integer choices on the host anyway to plan the sparse dispatch, so it draws there rather than from tfjs's RNG.
 */
export class HostRng {
  private readonly rng: Rng | null;

  /**
   * With a seed, draws come from the library's one generator ({@link Rng}). Without, every draw comes from
   * `Math.random`, so whoever controls that (the trainer seeds it per step with `withSeededRandom`) controls the
   * sampling, and a resumed run draws what the uninterrupted one would have.
   */
  constructor(seed?: number) {
    this.rng = seed === undefined ? null : new Rng(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.rng ? this.rng.next() : Math.random();
  }

  /** A 31-bit integer, used to seed tfjs random ops (dropout, gate noise) reproducibly. */
  nextSeed(): number {
    return Math.floor(this.next() * 2 ** 31);
  }
}
