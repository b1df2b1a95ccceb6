/**
 * Hand-built table walks for scaffolded F_WALK_EABT records (§7.3.12): the logged FetchAddr is
 * the PA of the descriptor whose fetch aborted. With a 4 KB granule and a 48-bit input range the
 * walk starts at level 0 and reads, at level L, the entry (addr >> (39 - 9L)) & 511 of that
 * level's table (Arm ARM D8.2). The level is the one whose index matches FetchAddr[11:3]; the
 * tables above it are placed by hand (raw table descriptors, `memory.writes`) so the level-L
 * table is the page holding FetchAddr, which then aborts.
 */
import { hex } from '../arch/hex.ts';

/** Index of `addr` at walk level `level` (4 KB granule, 48-bit input). */
export const walkIndex = (addr: bigint, level: number): bigint => (addr >> BigInt(39 - 9 * level)) & 511n;

export interface HandWalk {
  /** Input address walked. */
  readonly addr: bigint;
  /** Root table (placed with `at:`). */
  readonly root: bigint;
  /** Level whose descriptor fetch aborts. */
  readonly level: number;
  /** Raw table descriptors of the levels above `level`: PA and value. */
  readonly writes: ReadonlyArray<{ pa: bigint; value: bigint }>;
}

/**
 * The walk of `addr` that fetches its level-L descriptor at `fetch`, with intermediate tables
 * taken from `page()` (fresh 4 KB pages). Lowest level first: level 0 needs no hand tables.
 */
export function handWalk(addr: bigint, fetch: bigint, page: () => bigint): HandWalk | string {
  if (addr >> 48n !== 0n) return `address ${hex(addr)} is beyond the 48-bit range the scaffold walks`;
  if ((fetch & 7n) !== 0n) return `FetchAddr ${hex(fetch)} is not 8-byte aligned, so no descriptor address`;
  const off = fetch & 0xfffn;
  for (let level = 0; level < 4; level++) {
    if (walkIndex(addr, level) * 8n !== off) continue;
    const tables: bigint[] = [];
    for (let l = 0; l < level; l++) {
      let p = page();
      while (p === (fetch & ~0xfffn)) p = page();
      tables.push(p);
    }
    tables.push(fetch & ~0xfffn);
    const writes = tables.slice(0, level).map((t, l) => ({ pa: t + walkIndex(addr, l) * 8n, value: (tables[l + 1] ?? 0n) | 3n }));
    return { addr, root: tables[0] ?? fetch & ~0xfffn, level, writes };
  }
  return `FetchAddr ${hex(fetch)} is no descriptor of the 4 KB-granule walk of ${hex(addr)} (FetchAddr[11:3] matches no level's index)`;
}

/** An input address whose level-0 index differs from `addr`'s (a filler mapping kept out of the walk). */
export const awayFrom = (addr: bigint): bigint => ((walkIndex(addr, 0) + 256n) % 512n) << 39n;
