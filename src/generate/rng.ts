/**
 * The seeded PRNG of the scenario generator (and of the fuzzers in test/): xorshift32, so a
 * generated scenario or a failing fuzz case is reproducible from its seed alone. No Math.random,
 * no clock: the same seed gives the same sequence on every machine and Node version.
 */

/** Deterministic xorshift32: floats in [0, 1). One home for the generator and the test fuzzers. */
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

/** A 32-bit seed for item `index` of a run seeded `seed` (murmur3 finaliser: nearby inputs, unrelated outputs; never 0). */
export function deriveSeed(seed: number, index: number): number {
  let h = (seed >>> 0) ^ Math.imul(index + 1, 0x9e37_79b9);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0 || 1;
}

/** Drawing helpers over xorshift32. Every choice goes through `float`, so a seed fixes them all. */
export class Rng {
  readonly float: () => number;
  constructor(readonly seed: number) {
    this.float = xorshift32(seed);
  }
  /** Integer in [lo, hi] (inclusive), uniform. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
  /** Integer in [lo, hi], with `edge` probability one of lo, lo+1, hi-1, hi (limits are where bugs live). */
  edgeInt(lo: number, hi: number, edge = 0.4): number {
    if (this.float() < edge) return this.pick([lo, Math.min(hi, lo + 1), Math.max(lo, hi - 1), hi]);
    return this.int(lo, hi);
  }
  bool(p = 0.5): boolean {
    return this.float() < p;
  }
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError('Cannot pick from an empty list');
    return xs[Math.floor(this.float() * xs.length)] as T;
  }
  /** One value by weight: `[[3, 'a'], [1, 'b']]` picks 'a' three times as often. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (let i = 0; i < choices.length; i++) total += (choices[i] as readonly [number, T])[0];
    let r = this.float() * total;
    for (let i = 0; i < choices.length; i++) {
      const c = choices[i] as readonly [number, T];
      if (r < c[0]) return c[1];
      r -= c[0];
    }
    return (choices[choices.length - 1] as readonly [number, T])[1];
  }
  /** A uniform bigint in [0, 2^bits): 16-bit draws, the first the most significant. */
  bits(bits: number): bigint {
    if (bits <= 48) {
      // at most three draws: exact as a number
      let n = 0;
      for (let done = 0; done < bits; done += 16) n = n * 0x1_0000 + this.int(0, 0xffff);
      return bits <= 0 ? 0n : BigInt(n % 2 ** bits);
    }
    let v = 0n;
    for (let done = 0; done < bits; done += 16) v = (v << 16n) | BigInt(this.int(0, 0xffff));
    return v & ((1n << BigInt(bits)) - 1n);
  }
  /** A uniform bigint in [lo, hi]. */
  range(lo: bigint, hi: bigint): bigint {
    if (hi <= lo) return lo;
    const span = hi - lo + 1n;
    return lo + (this.bits(bitLength(span) + 8) % span);
  }
}

/** Bits needed to write v > 0 in binary (its toString(2) length). */
function bitLength(v: bigint): number {
  let n = 0;
  for (; v > 0xffff_ffffn; v >>= 32n) n += 32;
  return n + 32 - Math.clz32(Number(v));
}
