// TLB policy and every TLBI: invalidates what it must, and with policy `max` leaves what it may
// (so missing invalidations are observable). emulator-models §7 item 20.
import t from 'tap';
import { setup, type Setup, R, tr } from '../pgtable/fixtures.ts';
import { type PageTableBuilder } from '../pgtable/builder.ts';
import { Tlb } from './tlb.ts';
import type { TlbiParams } from './tlb.ts';
import type { TranslationResult } from './translate-types.ts';

type S = Setup & { s1: PageTableBuilder };
const pa = (r: TranslationResult) => (r.ok ? r.pa : r.fault.type);
const tlb = (s: Setup) => s.env.tlb as Tlb;
const P = (o: Partial<TlbiParams>): TlbiParams => ({ vmid: 0, addr: 0n, leaf: false, tg: 0, num: 0, scale: 0, ttl: 0, ...o });

function s1(policy: 'max' | 'none' = 'max'): S {
  return setup({ s1: { granule: 4096, iaBits: 48 }, policy }) as S;
}
/** Remap the level-3 page of `va` to `newPa` without invalidating. */
function remap(s: S, va: bigint, newPa: bigint): void {
  s.s1.unmap(va, 0x1000n);
  s.s1.map(va, newPa, 0x1000n);
}

t.test('a missing invalidation is observable; TLBI_NH_VA fixes it; counters', async (t) => {
  const s = s1();
  s.s1.map(0x1000n, 0xa000n, 0x1000n);
  t.equal(pa(tr(s, R(0x1000n))), 0xa000n);
  remap(s, 0x1000n, 0xb000n);
  t.equal(pa(tr(s, R(0x1000n))), 0xa000n, 'stale without TLBI');
  t.equal(tlb(s).hits, 1);
  t.equal(tlb(s).misses, 1);
  tlb(s).tlbiNhVa(P({ asid: 1, addr: 0x1000n, leaf: true }));
  t.equal(pa(tr(s, R(0x1000n))), 0xb000n);
  const n = s1('none');
  n.s1.map(0x1000n, 0xa000n, 0x1000n);
  tr(n, R(0x1000n));
  remap(n, 0x1000n, 0xb000n);
  t.equal(pa(tr(n, R(0x1000n))), 0xb000n, 'policy none always walks');
  t.same(tlb(n).count(), { leaf: 0, walk: 0 });
});

t.test('Leaf=1 leaves walk-cache entries (policy max); Leaf=0 removes them', async (t) => {
  const s = s1();
  s.s1.map(0x1000n, 0xa000n, 0x1000n);
  tr(s, R(0x1000n));
  // Replace the level-2 table descriptor with a new level-3 table mapping 0x1000 → 0xc000.
  const slot = s.s1.descAddr(2, 0x1000n) as bigint;
  const old = s.mem.read64(slot) as bigint;
  s.mem.write64(slot, 0n);
  s.s1.map(0x1000n, 0xc000n, 0x1000n);
  t.not(s.mem.read64(slot), old, 'new table');
  tlb(s).tlbiNhVa(P({ asid: 1, addr: 0x1000n, leaf: true }));
  t.equal(pa(tr(s, R(0x1000n))), 0xa000n, 'the cached L2 pointer still leads to the old L3 table');
  tlb(s).tlbiNhVa(P({ asid: 1, addr: 0x1000n, leaf: false }));
  t.equal(pa(tr(s, R(0x1000n))), 0xc000n);
});

t.test('global entries (nG=0) match any ASID; NH_ASID keeps them; NH_VA / NH_VAA / NH_ALL remove them', async (t) => {
  const s = s1();
  s.s1.map(0x1000n, 0xa000n, 0x1000n, { nG: false });
  s.s1.map(0x2000n, 0xd000n, 0x1000n, { nG: true });
  tr(s, R(0x1000n));
  tr(s, R(0x2000n));
  remap(s, 0x1000n, 0xb000n);
  remap(s, 0x2000n, 0xe000n);
  s.cfg.s1 = (s.cfg.s1 as NonNullable<typeof s.cfg.s1>).with({ asid: 7 });
  t.equal(pa(tr(s, R(0x1000n))), 0xa000n, 'global entry hits for ASID 7');
  t.equal(pa(tr(s, R(0x2000n))), 0xe000n, 'nG entry of ASID 1 does not');
  tlb(s).tlbiNhAsid(0, 7);
  t.equal(pa(tr(s, R(0x1000n))), 0xa000n, 'NH_ASID does not remove global entries');
  tlb(s).tlbiNhVa(P({ asid: 3, addr: 0x1000n, leaf: true }));
  t.equal(pa(tr(s, R(0x1000n))), 0xb000n, 'NH_VA removes global entries whatever the ASID');
  s.cfg.s1 = (s.cfg.s1 as NonNullable<typeof s.cfg.s1>).with({ asid: 1 });
  t.equal(pa(tr(s, R(0x2000n))), 0xd000n, 'ASID 1 entry still cached');
  tlb(s).tlbiNhAsid(0, 2);
  t.equal(pa(tr(s, R(0x2000n))), 0xd000n, 'NH_ASID of another ASID leaves it');
  tlb(s).tlbiNhVaa(P({ addr: 0x2000n, leaf: true }));
  t.equal(pa(tr(s, R(0x2000n))), 0xe000n, 'NH_VAA: all ASIDs');
  remap(s, 0x2000n, 0xf000n);
  tlb(s).tlbiNhAll(1);
  t.equal(pa(tr(s, R(0x2000n))), 0xe000n, 'NH_ALL of another VMID leaves it');
  tlb(s).tlbiNhAll(0);
  t.equal(pa(tr(s, R(0x2000n))), 0xf000n);
});

t.test('range invalidation covers (NUM+1)·2^SCALE granules exactly; TTL hint', async (t) => {
  const s = s1();
  for (let i = 0n; i < 8n; i++) s.s1.map(0x10_0000n + i * 0x1000n, 0x100_0000n + i * 0x1000n, 0x1000n);
  for (let i = 0n; i < 8n; i++) tr(s, R(0x10_0000n + i * 0x1000n));
  for (let i = 0n; i < 8n; i++) remap(s, 0x10_0000n + i * 0x1000n, 0x200_0000n + i * 0x1000n);
  // NUM=1, SCALE=1, TG=4K: 4 pages from 0x10_2000.
  tlb(s).tlbiNhVa(P({ asid: 1, addr: 0x10_2000n, leaf: true, tg: 1, num: 1, scale: 1, ttl: 3 }));
  const got = [...Array(8).keys()].map((i) => pa(tr(s, R(0x10_0000n + BigInt(i) * 0x1000n))) as bigint);
  t.same(
    got.map((p) => p >= 0x200_0000n),
    [false, false, true, true, true, true, false, false],
  );
  // TTL hint says level 2: level-3 entries may stay (policy max keeps them).
  tlb(s).tlbiNhVa(P({ asid: 1, addr: 0x10_0000n, leaf: true, ttl: 0b0110 }));
  t.equal(pa(tr(s, R(0x10_0000n))), 0x100_0000n, 'TTL level mismatch: kept');
  tlb(s).tlbiNhVa(P({ asid: 1, addr: 0x10_0000n, leaf: true, ttl: 0b0111 }));
  t.equal(pa(tr(s, R(0x10_0000n))), 0x200_0000n, 'TTL level 3 matches');
});

t.test('EL2 StreamWorld: EL2 TLBIs only', async (t) => {
  const s = setup({ s1: { granule: 4096, iaBits: 48 }, policy: 'max', s1ctx: { el2: true, asid: 5 } }) as S;
  s.s1.map(0x1000n, 0xa000n, 0x1000n);
  s.s1.map(0x2000n, 0xc000n, 0x1000n, { nG: false });
  tr(s, R(0x1000n));
  tr(s, R(0x2000n));
  remap(s, 0x1000n, 0xb000n);
  remap(s, 0x2000n, 0xd000n);
  tlb(s).tlbiNsnhAll();
  tlb(s).tlbiNhAll(0);
  t.equal(pa(tr(s, R(0x1000n))), 0xa000n, 'NSNH_ALL / NH_ALL leave EL2 entries');
  tlb(s).tlbiEl2Asid(5);
  t.equal(pa(tr(s, R(0x1000n))), 0xb000n);
  t.equal(pa(tr(s, R(0x2000n))), 0xc000n, 'EL2_ASID keeps global');
  tlb(s).tlbiEl2Va(P({ asid: 9, addr: 0x2000n, leaf: true }));
  t.equal(pa(tr(s, R(0x2000n))), 0xd000n, 'EL2_VA removes global');
  remap(s, 0x1000n, 0xe000n);
  tlb(s).tlbiEl2Vaa(P({ addr: 0x1000n, leaf: true }));
  t.equal(pa(tr(s, R(0x1000n))), 0xe000n, 'EL2_VAA');
  remap(s, 0x1000n, 0xf000n);
  tlb(s).tlbiEl2All();
  t.equal(pa(tr(s, R(0x1000n))), 0xf000n, 'EL2_ALL');
});

type N = Setup & { s1: PageTableBuilder; s2: PageTableBuilder };
function nested(): N {
  const s = setup({ s1: { granule: 4096, iaBits: 48 }, s2: { granule: 4096, iaBits: 40 }, policy: 'max' }) as N;
  s.s1.map(0x1000n, 0x100_0000n, 0x1000n);
  s.s2.map(0x100_0000n, 0x2_0000_0000n, 0x1000n);
  return s;
}

t.test('item 20: TLBI_S2_IPA leaves combined S1+S2 entries; TLBI_NH_* then removes them', async (t) => {
  const s = nested();
  t.equal(pa(tr(s, R(0x1000n))), 0x2_0000_0000n);
  s.s2.unmap(0x100_0000n, 0x1000n);
  s.s2.map(0x100_0000n, 0x3_0000_0000n, 0x1000n);
  tlb(s).tlbiS2Ipa(P({ vmid: 1, addr: 0x100_0000n, leaf: true }));
  t.equal(pa(tr(s, R(0x1000n))), 0x2_0000_0000n, 'combined entry survives TLBI_S2_IPA');
  tlb(s).tlbiNhVa(P({ vmid: 1, asid: 1, addr: 0x1000n, leaf: true }));
  t.equal(pa(tr(s, R(0x1000n))), 0x3_0000_0000n, 'after TLBI_NH_VA the S2 change is seen (S2 entry was removed)');
});

t.test('item 20: S2 translations of S1 table pages are TLB content flushed by S2 TLBIs', async (t) => {
  const s = nested();
  tr(s, R(0x1000n));
  // Move the S1 level-3 table to a new PA at stage 2 (copy it, remap the S2 page).
  const l3Ipa = s.s1.descAddr(3, 0x1000n) as bigint;
  const page = l3Ipa & ~0xfffn;
  const slot = s.s2.descAddr(3, page) as bigint;
  const oldPa = (s.mem.read64(slot) as bigint) & 0xffff_ffff_f000n;
  const newPa = 0x7_0000_0000n;
  for (let o = 0n; o < 0x1000n; o += 8n) s.mem.write64(newPa + o, s.mem.read64(oldPa + o) as bigint);
  s.mem.write64(newPa + (l3Ipa & 0xfffn), (s.mem.read64(newPa + (l3Ipa & 0xfffn)) as bigint) + 0x1000n); // new table maps IPA+0x1000
  s.s2.map(0x100_1000n, 0x2_0000_1000n, 0x1000n);
  s.mem.write64(slot, ((s.mem.read64(slot) as bigint) & ~0xffff_ffff_f000n) | newPa);
  tlb(s).tlbiNhAll(1);
  t.equal(pa(tr(s, R(0x1000n))), 0x2_0000_0000n, 'NH_ALL alone: the cached S2 translation of the table page is still used');
  tlb(s).tlbiS2Ipa(P({ vmid: 1, addr: page, leaf: true }));
  tlb(s).tlbiNhAll(1);
  t.equal(pa(tr(s, R(0x1000n))), 0x2_0000_1000n, 'S2_IPA + NH_ALL: the walk reads the moved table');
});

t.test('TLBI_S12_VMALL and TLBI_NSNH_ALL remove both stages; other VMIDs untouched', async (t) => {
  const s = nested();
  tr(s, R(0x1000n));
  const c = tlb(s).count();
  t.ok(c.leaf > 1 && c.walk > 0, 'combined, S2 and walk entries cached');
  tlb(s).tlbiS12Vmall(2);
  t.same(tlb(s).count(), c);
  tlb(s).tlbiS12Vmall(1);
  t.same(tlb(s).count(), { leaf: 0, walk: 0 });
  tr(s, R(0x1000n));
  tlb(s).tlbiNsnhAll();
  t.same(tlb(s).count(), { leaf: 0, walk: 0 });
  tr(s, R(0x1000n));
  tlb(s).tlbiNhAll(1);
  t.ok(tlb(s).count().leaf > 0, 'NH_ALL leaves S2 entries');
  t.equal(tlb(s).count().walk > 0, true, 'and S2 walk-cache entries');
});

t.test('EPD0 set without invalidation: cached entries still hit, a miss faults (policy max)', async (t) => {
  const s = s1();
  s.s1.map(0x1000n, 0xa000n, 0x1000n);
  s.s1.map(0x2000n, 0xb000n, 0x1000n);
  tr(s, R(0x1000n));
  s.cfg.s1 = (s.cfg.s1 as NonNullable<typeof s.cfg.s1>).with({ epd0: true });
  t.equal(pa(tr(s, R(0x1000n))), 0xa000n);
  t.equal(pa(tr(s, R(0x2000n))), 'F_TRANSLATION');
  tlb(s).tlbiNhAsid(0, 1);
  t.equal(pa(tr(s, R(0x1000n))), 'F_TRANSLATION');
});
