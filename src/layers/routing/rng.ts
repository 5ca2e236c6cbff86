/**
 * A small seedable host RNG (mulberry32). Routing samples experts on the host (it needs the integer choices there
 * anyway to plan the sparse dispatch), so the sampling is reproducible from a seed without touching tfjs's RNG.
 */
export class HostRng {
  private state: number;

  /**
   * Without a seed every draw comes from `Math.random`, so whoever controls that (the CLI trainer seeds it per step)
   * controls the sampling, and a resumed run draws what the uninterrupted one would have.
   */
  constructor(private readonly seed?: number) {
    this.state = (seed ?? 0) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    if (this.seed === undefined) return Math.random();
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A 31-bit integer, used to seed tfjs random ops (dropout, gate noise) reproducibly. */
  nextSeed(): number {
    return Math.floor(this.next() * 2 ** 31);
  }
}
