// The library's one seeded random source: every reproducible draw (synthetic darkening, augmentation, sample order,
// routing samples, weight initialisers and dropout through Math.random) comes from the generator in rng.ts.
export { Rng, hashSeed } from './rng';
export { HostRng } from './host-rng';
export { withSeededRandom } from './seeded-math-random';
