/**
 * Deterministic xorshift32 for the fuzzers in test/, so a failing case is reproducible from its
 * seed. One home: the generator's PRNG (src/generate/rng.ts); the loader fuzz and the scenario
 * mutation fuzz draw from the same sequences as before.
 */
export { xorshift32 } from '../src/generate/rng.ts';
