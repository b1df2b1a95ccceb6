/**
 * Invalidation a careful driver issues after a table edit (`invalidate: true` on map/unmap/ste):
 * - stage 1: TLBI_NH_VA (Leaf=0) per page for every (ASID, VMID) whose CD uses the table, or
 *   TLBI_NH_ASID when more than 16 pages; TLBI_NSNH_ALL when no CD references the table;
 * - stage 2: TLBI_S2_IPA (Leaf=0) per page, then CMD_SYNC, then TLBI_NH_ALL (stage-1 entries may
 *   hold combined S1+S2 results), per VMID of the streams using the table; beyond 16 pages
 *   TLBI_S12_VMALL instead. The same sequence as Linux's nest-parent unmap, from the same code
 *   (host/s2-inval.ts s2ThenNhAll, which says why the CMD_SYNC sits between);
 * - STE: CFGI_STE (Leaf=1);
 * each batch followed by CMD_SYNC.
 */
import { encodeCommand } from '../../arch/command.ts';
import type { Scenario } from '../../scenario/types.ts';
import type { PageTableBuilder } from '../../pgtable/builder.ts';
import { s2IpaRangeCommands, s2ThenNhAll } from '../../host/s2-inval.ts';
import { granuleShift } from '../../arch/ttd.ts';
import { SYNC } from './commands.ts';
import type { Tables } from './tables.ts';

const MAX_PAGES = 16;

function streamsUsing(s: Scenario, pred: (x: { cd_table?: string; s2_table?: string }) => boolean): bigint[] {
  const vmids = new Set<bigint>();
  for (const st of s.streams ?? []) if (pred(st)) vmids.add(st.vmid ?? 0n);
  return [...vmids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function s1Invalidation(s: Scenario, t: Tables, table: string, b: PageTableBuilder, va: bigint, size: bigint): bigint[][] {
  const ctxs: Array<{ asid: bigint; vmid: bigint }> = [];
  for (const [name, cd] of t.cd) {
    for (const e of cd.spec.entries) {
      if (e.tt0 !== table && e.tt1 !== table) continue;
      const vmids = streamsUsing(s, (x) => x.cd_table === name);
      for (const vmid of vmids.length > 0 ? vmids : [0n]) {
        const asid = e.asid ?? 0n;
        if (!ctxs.some((c) => c.asid === asid && c.vmid === vmid)) ctxs.push({ asid, vmid });
      }
    }
  }
  const g = BigInt(b.granule);
  const pages = (size + g - 1n) / g;
  const out: bigint[][] = [];
  if (ctxs.length === 0) out.push(encodeCommand('TLBI_NSNH_ALL', {}));
  for (const c of ctxs) {
    if (pages > BigInt(MAX_PAGES)) {
      out.push(encodeCommand('TLBI_NH_ASID', { ASID: c.asid, VMID: c.vmid }));
      continue;
    }
    for (let a = va & ~(g - 1n); a < va + size; a += g) {
      out.push(encodeCommand('TLBI_NH_VA', { ASID: c.asid, VMID: c.vmid, Address: a & ~0xfffn, Leaf: 0 }));
    }
  }
  out.push([...SYNC]);
  return out;
}

export function s2Invalidation(s: Scenario, table: string, b: PageTableBuilder, ipa: bigint, size: bigint): bigint[][] {
  const vmids = streamsUsing(s, (x) => x.s2_table === table);
  const g = BigInt(b.granule);
  const pages = (size + g - 1n) / g;
  const out: bigint[][] = [];
  for (const vmid of vmids.length > 0 ? vmids : [0n]) {
    if (pages > BigInt(MAX_PAGES)) {
      out.push(encodeCommand('TLBI_S12_VMALL', { VMID: vmid }));
      continue;
    }
    // one non-range TLBI_S2_IPA (Leaf=0) per granule from the granule holding `ipa`
    const start = ipa & ~(g - 1n);
    const perPage = s2IpaRangeCommands(false, Number(vmid), start, ipa + size - start, g, granuleShift(b.granule), false);
    out.push(...s2ThenNhAll(Number(vmid), perPage, SYNC));
  }
  out.push([...SYNC]);
  return out;
}

export function steInvalidation(sid: number): bigint[][] {
  return [encodeCommand('CFGI_STE', { StreamID: sid, Leaf: 1 }), [...SYNC]];
}
