/**
 * Deterministic xorshift32 for the fuzzers in test/, so a failing case is reproducible from its
 * seed. One home: the loader fuzz and the scenario mutation fuzz both draw from it.
 */
export function xorshift32(state: number): () => number {
  let x = state >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}
