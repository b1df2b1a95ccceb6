/**
 * Translation-table geometries drawn from what VMSAv8-64 and the STE/CD allow: granule, input
 * size and start level (stage 2: a deeper start with up to 16 concatenated tables, §5.2 S2SL0),
 * weighted towards the limits. Whether a geometry exists is decided by the one home of that rule,
 * src/pgtable/builder.ts tableGeometry (the validator uses it too).
 */
import { GRANULE_BYTES, type GranuleName as Granule, blockAllowed, granuleShift, levelShift, sl0ForLevel } from '../arch/ttd.ts';
import { tableGeometry } from '../pgtable/builder.ts';
import type { Rng } from './rng.ts';

export interface Geometry {
  readonly stage: 1 | 2;
  readonly granule: Granule;
  readonly gBytes: bigint;
  readonly bits: number;
  readonly start: number;
  /** S2SL0 to write in the scenario (stage 2, when not the derived default). */
  readonly sl0?: number;
  /** Leaf sizes a mapping can use: the granule, then every block size the geometry allows. */
  readonly leafSizes: readonly bigint[];
}

export function pickGranule(rng: Rng): Granule {
  return rng.weighted<Granule>([
    [3, '4k'],
    [1, '16k'],
    [2, '64k'],
  ]);
}

/** Input sizes: the extremes, the bits where the start level changes, and anything between. */
export function pickGeometry(rng: Rng, stage: 1 | 2, opts: { granule?: Granule; minBits?: number; maxBits?: number } = {}): Geometry {
  const granule = opts.granule ?? pickGranule(rng);
  const gb = GRANULE_BYTES[granule];
  const g = granuleShift(gb);
  const lo = Math.max(opts.minBits ?? 25, 25);
  const hi = Math.min(opts.maxBits ?? 48, 48);
  // level boundaries: bits = g + k*(g-3) and one more
  const boundaries: number[] = [];
  for (let k = 1; k <= 4; k++) for (const b of [g + k * (g - 3), g + k * (g - 3) + 1]) if (b >= lo && b <= hi) boundaries.push(b);
  for (let attempt = 0; attempt < 20; attempt++) {
    const bits = rng.weighted<number>([
      [2, lo],
      [3, hi],
      [2, boundaries.length > 0 ? rng.pick(boundaries) : hi],
      [3, rng.int(lo, hi)],
    ]);
    const natural = tableGeometry(stage, gb, bits);
    if (typeof natural === 'string') continue;
    let start = natural;
    let sl0: number | undefined;
    if (stage === 2) {
      // deeper start levels concatenate 2..16 tables (§5.2 S2SL0); prefer the deepest one sometimes
      const starts = [0, 1, 2, 3].filter((l) => tableGeometry(2, gb, bits, l) === l);
      if (starts.length > 0 && rng.bool(0.5)) start = rng.bool(0.6) ? (starts[starts.length - 1] as number) : rng.pick(starts);
      if (start !== natural || rng.bool(0.2)) sl0 = sl0ForLevel(g, start);
    }
    const leafSizes: bigint[] = [BigInt(gb)];
    for (let l = 2; l >= Math.max(1, start); l--) {
      const bs = 1n << BigInt(levelShift(g, l));
      if (blockAllowed(g, l, false) && bs < 1n << BigInt(bits)) leafSizes.push(bs);
    }
    return { stage, granule, gBytes: BigInt(gb), bits, start, ...(sl0 !== undefined ? { sl0 } : {}), leafSizes };
  }
  // 48 bits exist for every granule at its natural start level
  return pickGeometry(rng, stage, { granule, minBits: 48, maxBits: 48 });
}
