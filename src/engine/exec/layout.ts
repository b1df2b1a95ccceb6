/**
 * Deterministic memory layout of an executed scenario (simple enough to check goldens by hand).
 *
 *   PA 0x1000_0000 .. 0x3000_0000  HOST: SMMU structures and tables that live in PA space, bump
 *                                  allocated in this order: stream table, CMDQ, EVTQ (bootSmmu),
 *                                  then S2 tables, non-nested S1 tables, non-nested CD tables
 *                                  (scenario order), then level-2 stream tables on first STE
 *                                  install. Every block is aligned to its own size (min 64 B).
 *   PA 0x3000_0000 .. 0x4000_0000  GUEST RAM: backing pages for automatic stage-2 mappings of
 *                                  guest structures (below), one S2 granule per page, in order.
 *   PA 0x4000_0000 .. 0x5000_0000  HOST1: with `host.smmus: 2`, the second SMMU's stream table,
 *                                  CMDQ and EVTQ (same order and sizes as HOST). Both SMMUs share
 *                                  the one PA space (page tables from HOST serve either).
 *   IPA 0x7000_0000 .. 0x7100_0000 GUEST TABLES, per S2 table: S1 tables and CD tables with
 *                                  `ipa_space: <s2 table>` (and no `at:`) are bump allocated here
 *                                  in IPA space. Any guest-structure IPA page the S2 table does not
 *                                  map is mapped automatically (rw, Normal WB, page mappings) to
 *                                  the next GUEST RAM page, so short scenarios work; a later
 *                                  `unmap` step can remove such a mapping to provoke S2 faults on
 *                                  CD / table fetches.
 *   PA 0x1_0000_0000 ..            DATA: only for non-nested S1 `map` entries without `pa`.
 *
 * `at:` always wins (PA for host structures, IPA for guest structures): the root table / CD table
 * is placed there, further tables of the same builder come from the allocators above.
 * Data pages are wherever the scenario's mappings say; they are not backed until written.
 */
import { type TableAlloc } from '../../pgtable/builder.ts';
import { PageAllocator } from '../../memory/page-allocator.ts';
import type { SparseMemory } from '../../memory/sparse-memory.ts';

export const HOST_BASE = 0x1000_0000n;
export const HOST_LIMIT = 0x3000_0000n;
export const GUEST_RAM_BASE = 0x3000_0000n;
export const GUEST_RAM_LIMIT = 0x4000_0000n;
export const HOST1_BASE = 0x4000_0000n;
export const HOST1_LIMIT = 0x5000_0000n;
export const GUEST_TABLE_IPA_BASE = 0x7000_0000n;
export const GUEST_TABLE_IPA_LIMIT = 0x7100_0000n;
export const DATA_BASE = 0x1_0000_0000n;
export const DATA_LIMIT = 0x10_0000_0000n;

export interface Allocators {
  readonly host: PageAllocator;
  readonly guestRam: PageAllocator;
  readonly data: PageAllocator;
}

export function makeAllocators(mem: SparseMemory): Allocators {
  return {
    host: new PageAllocator(HOST_BASE, HOST_LIMIT, mem),
    guestRam: new PageAllocator(GUEST_RAM_BASE, GUEST_RAM_LIMIT, mem),
    data: new PageAllocator(DATA_BASE, DATA_LIMIT),
  };
}

/** An allocation function whose first block is placed at `at` (when given), the rest from `next`. */
export function allocAt(at: bigint | undefined, next: (size: number) => bigint): TableAlloc & ((size: number) => bigint) {
  let first = at !== undefined;
  return (size: number): bigint => {
    if (first && at !== undefined) {
      first = false;
      // Only 64-byte alignment is enforced: a scenario may place a table off its natural alignment
      // on purpose (the consumer then ignores/uses the low bits as the architecture says).
      if (at % 64n !== 0n) throw new RangeError(`Cannot place a table at 0x${at.toString(16)}: not 64-byte aligned`);
      return at;
    }
    return next(size);
  };
}

/** Layout keys must match the golden record key pattern: non-word characters become `_`. */
export function layoutKey(...parts: string[]): string {
  let key = '';
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    // most parts are words already (ste, 0x1f, ttb): tested, not rewritten
    key += (i > 0 ? '_' : '') + (WORD.test(p) ? p : p.replace(NON_WORD, '_'));
  }
  return key;
}
const WORD = /^[A-Za-z0-9_]*$/;
const NON_WORD = /[^A-Za-z0-9_]/g;
