/**
 * Random mappings for one table: pages and blocks of every size the geometry allows, placed at
 * the bottom, at the top of the input range and anywhere between, never overlapping within the
 * table (one input address has one translation). Output addresses come from a caller-supplied
 * chooser, so stage-1 outputs can land inside, across or outside stage-2 mappings.
 */
import type { Perm } from '../scenario/types.ts';
import type { Geometry } from './geometry.ts';
import type { Rng } from './rng.ts';
import type { Mutable } from './draft.ts';

export interface GenMapping {
  /** Input address (VA or IPA). */
  readonly from: bigint;
  readonly size: bigint;
  /** Output address (PA, or IPA for a nested stage 1). */
  readonly out: bigint;
  readonly perm: Perm;
  readonly af?: boolean;
  readonly attr?: 'normal' | 'normal_nc' | 'device';
  readonly page_only?: boolean;
  readonly priv?: boolean;
  readonly xn?: boolean;
  readonly ng?: boolean;
}

export const U64_TOP = 1n << 64n;

/** The input window of a table: [0, 2^bits), or the TTB1 range [2^64 - 2^bits, 2^64). */
export function inputWindow(geo: Geometry, high: boolean): { lo: bigint; hi: bigint } {
  const span = 1n << BigInt(geo.bits);
  return high ? { lo: U64_TOP - span, hi: U64_TOP } : { lo: 0n, hi: span };
}

const S1_PERMS: readonly (readonly [number, Perm])[] = [
  [4, 'rw'],
  [3, 'r'],
  [2, 'rx'],
  [2, 'rwx'],
];
const S2_PERMS: readonly (readonly [number, Perm])[] = [
  [4, 'rw'],
  [2, 'r'],
  [2, 'w'],
  [1, 'none'],
  [2, 'rwx'],
  [1, 'rx'],
  [1, 'x'],
];

export interface MappingOptions {
  readonly count: number;
  readonly high?: boolean;
  /** Output address for a leaf of `size` that must be aligned to `align`; undefined = skip this one. */
  readonly out: (size: bigint, align: bigint) => bigint | undefined;
  /** Avoid input addresses in these ranges (e.g. the guest-structure IPA window). */
  readonly avoid?: readonly { lo: bigint; hi: bigint }[];
  /**
   * Stage 1 may map global (nG=0) pages: only when no other stream's tables share the TLB
   * namespace, since a global entry matches every ASID (Arm ARM D8.14).
   */
  readonly global?: boolean;
}

export function genMappings(rng: Rng, geo: Geometry, o: MappingOptions): GenMapping[] {
  const win = inputWindow(geo, o.high === true);
  const taken: { lo: bigint; hi: bigint }[] = [...(o.avoid ?? [])];
  const out: GenMapping[] = [];
  for (let i = 0; i < o.count; i++) {
    for (let attempt = 0; attempt < 6; attempt++) {
      const leaf = rng.weighted<bigint>(geo.leafSizes.map((s, k) => [k === 0 ? 4 : 2, s] as const));
      const pages =
        leaf === geo.gBytes
          ? BigInt(
              rng.weighted([
                [5, 1],
                [2, 2],
                [1, 3],
                [1, 4],
              ] as const),
            )
          : 1n;
      const size = leaf * pages;
      if (size > win.hi - win.lo) continue;
      const slots = (win.hi - win.lo) / leaf - pages;
      const where = rng.weighted<bigint>([
        [2, 0n],
        [3, slots],
        [1, slots > 0n ? slots - 1n : 0n],
        [4, rng.range(0n, slots)],
      ]);
      const from = win.lo + where * leaf;
      const to = from + size;
      if (taken.some((t) => from < t.hi && t.lo < to)) continue;
      const dest = o.out(size, leaf);
      if (dest === undefined) break;
      taken.push({ lo: from, hi: to });
      const perm = rng.weighted(geo.stage === 1 ? S1_PERMS : S2_PERMS);
      // assigned in order, not spread (several times faster); the draws in the same order
      const m: Mutable<GenMapping> = { from, size, out: dest, perm };
      if (rng.bool(0.12)) m.af = false;
      if (rng.bool(0.15)) m.attr = rng.pick(['normal_nc', 'device'] as const);
      if (leaf > geo.gBytes && leaf / geo.gBytes <= 512n && rng.bool(0.1)) m.page_only = true;
      if (geo.stage === 1 && rng.bool(0.2)) m.priv = true;
      if (geo.stage === 1 && perm.includes('x') && rng.bool(0.2)) m.xn = true;
      if (geo.stage === 1 && o.global === true && rng.bool(0.15)) m.ng = false;
      out.push(m);
      break;
    }
  }
  return out;
}

/**
 * Addresses a DMA should probe for these mappings: the first and last bytes of each, the bytes
 * just outside, the top of the input range, past it, and anywhere (mostly unmapped).
 */
export function probeAddresses(rng: Rng, geo: Geometry, maps: readonly GenMapping[], high = false): bigint[] {
  const win = inputWindow(geo, high);
  const pts: bigint[] = [];
  for (const m of maps) {
    pts.push(m.from, m.from + m.size - 8n, m.from + rng.range(0n, m.size / 8n - 1n) * 8n, m.from + m.size);
    if (m.from >= 8n) pts.push(m.from - 8n);
  }
  pts.push(win.hi - 8n, rng.range(win.lo, win.hi - 8n) & ~7n);
  if (!high && win.hi < U64_TOP) pts.push(win.hi);
  return pts.filter((a) => a >= 0n && a + 8n <= U64_TOP);
}
