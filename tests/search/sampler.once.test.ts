import { describe, expect, it } from 'vitest';
import { Rng, hashSeed } from '../../src/random/rng';
import { Parzen, suggest, type Observation } from '../../src/search/sampler';
import { DEFAULT_SPACE, fromUnit, toUnit, type ParamValues, type SearchSpace } from '../../src/search/space';

// A known objective: a smooth peak off-centre in the unit cube of a 4-parameter space (one log-scale), max 0.
const SPACE: SearchSpace = DEFAULT_SPACE;
const PEAK = [0.8, 0.25, 0.65, 0.1];
function objective(v: ParamValues): number {
  return -SPACE.reduce((acc, p, i) => acc + (toUnit(p, v[p.name]!) - PEAK[i]!) ** 2, 0);
}

function bestAfter(n: number, seed: number, startup: number): number {
  const obs: Observation[] = [];
  for (let t = 0; t < n; t++) {
    const values = suggest(SPACE, obs, new Rng(hashSeed(seed, 'trial', t)), { startup });
    obs.push({ values, score: objective(values) });
  }
  return Math.max(...obs.map((o) => o.score!));
}

describe('TPE sampler', () => {
  // Margin: over 8 blocks of 10 other seeds, TPE's mean squared distance to the peak after 30 trials was 0.20-0.56
  // times random search's, and it won on 7-10 seeds of each block; the bounds below leave room for that spread.
  it('beats random search on a synthetic objective, over 20 seeds', () => {
    const n = 30;
    const seeds = Array.from({ length: 20 }, (_, i) => 1000 + i);
    // startup >= n: every trial random, the same draws as the sampler's random phase.
    const random = seeds.map((s) => bestAfter(n, s, n));
    const tpe = seeds.map((s) => bestAfter(n, s, 5));
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    // Distance to the peak (squared) is -score: TPE's mean must be clearly smaller, and it must win on most seeds.
    expect(mean(tpe)).toBeGreaterThan(mean(random));
    expect(-mean(tpe)).toBeLessThan(0.7 * -mean(random));
    expect(tpe.filter((x, i) => x > random[i]!).length).toBeGreaterThanOrEqual(14);
  });

  it('is deterministic from the seed and stays in range', () => {
    const obs: Observation[] = [];
    for (let t = 0; t < 12; t++) {
      const a = suggest(SPACE, obs, new Rng(t), { startup: 3 });
      const b = suggest(SPACE, obs, new Rng(t), { startup: 3 });
      expect(a).toEqual(b);
      for (const p of SPACE) {
        expect(a[p.name]).toBeGreaterThanOrEqual(p.low);
        expect(a[p.name]).toBeLessThanOrEqual(p.high * (1 + 1e-12));
      }
      obs.push({ values: a, score: t % 4 === 0 ? null : objective(a) });
    }
  });

  it('maps log-scale values through the unit cube', () => {
    const lr = SPACE[0]!;
    expect(fromUnit(lr, 0.5)).toBeCloseTo(Math.sqrt(lr.low * lr.high), 12);
    expect(toUnit(lr, fromUnit(lr, 0.3))).toBeCloseTo(0.3, 12);
  });

  it('Parzen densities integrate to 1 on [0, 1]', () => {
    const d = new Parzen([0.05, 0.5, 0.52, 0.97]);
    let sum = 0;
    const n = 10000;
    for (let i = 0; i < n; i++) sum += d.pdf((i + 0.5) / n) / n;
    expect(sum).toBeCloseTo(1, 3);
  });
});
