// Stage-1-only and stage-2-only walk rules (items 3 of the task; emulator-models §7 items 13–16).
import t from 'tap';
import { setup, type Setup, R, W, tr } from '../pgtable/fixtures.ts';
import { PageTableBuilder } from '../pgtable/builder.ts';
import { PageAllocator } from '../memory/page-allocator.ts';
import { s1ContextFor } from '../pgtable/contexts.ts';
import { WalkTrace } from './walk-trace.ts';
import type { TranslationResult } from './translate-types.ts';

function s1Only(o: Parameters<typeof setup>[0]['s1ctx'] = {}, oaBits = 48): Setup & { s1: PageTableBuilder } {
  const s = setup({ s1: { granule: 4096, iaBits: 48, oaBits }, s1ctx: o, policy: 'none' });
  return s as Setup & { s1: PageTableBuilder };
}
const fault = (r: TranslationResult) => (r.ok ? undefined : r.fault);

t.test('S1: page, block and offsets translate', async (t) => {
  const s = s1Only();
  s.s1.map(0x4000_0000n, 0x8000_0000n, 0x4000_0000n); // 1G block at L1
  s.s1.map(0x1000n, 0x7_0000_0000n, 0x1000n);
  t.match(tr(s, R(0x4123_4567n)), { ok: true, pa: 0x8123_4567n, sizeLog2: 30 });
  t.match(tr(s, R(0x1abcn)), { ok: true, pa: 0x7_0000_0abcn, sizeLog2: 12 });
  t.match(fault(tr(s, R(0x2000n))), { type: 'F_TRANSLATION', s2: false, class: 'IN', level: 3 });
});

t.test('S1: input range check, TTB1 upper range, EPD', async (t) => {
  const s = setup({ s1: { granule: 4096, iaBits: 39 }, policy: 'none' }) as Setup & { s1: PageTableBuilder };
  const ttb1 = new PageTableBuilder({ stage: 1, granule: 4096, iaBits: 39, mem: s.mem, alloc: new PageAllocator(0x5000_0000n, 0x5100_0000n) });
  s.s1.map(0x1000n, 0xa000n, 0x1000n);
  ttb1.map(0xffff_ffc0_0000_1000n, 0xb000n, 0x1000n);
  s.cfg.s1 = s1ContextFor(s.s1, ttb1);
  t.match(tr(s, R(0x1010n)), { ok: true, pa: 0xa010n });
  t.match(tr(s, R(0xffff_ffc0_0000_1010n)), { ok: true, pa: 0xb010n });
  // Neither range: bits above IA are not all 0 / all 1.
  t.match(fault(tr(s, R(0x80_0000_1000n))), { type: 'F_TRANSLATION', s2: false, class: 'IN' });
  t.match(fault(tr(s, R(0xffff_ff80_0000_1000n))), { type: 'F_TRANSLATION', s2: false });
  t.match(fault(tr(s, R(0x0100_0000_0000_1000n))), { type: 'F_TRANSLATION' });
  s.cfg.s1 = s1ContextFor(s.s1, ttb1, { epd1: true });
  t.match(fault(tr(s, R(0xffff_ffc0_0000_1010n))), { type: 'F_TRANSLATION', s2: false, class: 'IN' });
  t.match(tr(s, R(0x1010n)), { ok: true });
});

t.test('item 15: TBI per TTBx (TBI0 and TBI1 independent; tag ignored for selection and walk)', async (t) => {
  const s = setup({ s1: { granule: 4096, iaBits: 48 }, policy: 'max' }) as Setup & { s1: PageTableBuilder };
  const ttb1 = new PageTableBuilder({ stage: 1, granule: 4096, iaBits: 48, mem: s.mem, alloc: new PageAllocator(0x5000_0000n, 0x5100_0000n) });
  s.s1.map(0x1000n, 0xa000n, 0x1000n);
  ttb1.map(0xffff_0000_0000_1000n, 0xb000n, 0x1000n);
  const tagged0 = 0x5a00_0000_0000_1004n;
  const tagged1 = 0x5aff_0000_0000_1004n;
  s.cfg.s1 = s1ContextFor(s.s1, ttb1, { tbi1: true });
  t.match(tr(s, R(tagged1)), { ok: true, pa: 0xb004n }, 'TBI1 only: tagged TTB1 address translates');
  t.match(fault(tr(s, R(tagged0))), { type: 'F_TRANSLATION' }, 'TBI1 only: tagged TTB0 address faults');
  s.env.tlb?.invalidateAll();
  s.cfg.s1 = s1ContextFor(s.s1, ttb1, { tbi0: true });
  t.match(tr(s, R(tagged0)), { ok: true, pa: 0xa004n }, 'TBI0 only: tagged TTB0 address translates');
  t.match(fault(tr(s, R(tagged1))), { type: 'F_TRANSLATION' }, 'TBI0 only: tagged TTB1 address faults');
  // TLB hit path: the same tag-stripped entry serves another tag value.
  t.match(tr(s, R(0x1200_0000_0000_1008n)), { ok: true, pa: 0xa008n });
});

t.test('S1: invalid and reserved encodings', async (t) => {
  const s = s1Only();
  s.s1.map(0x20_0000n, 0x20_0000n, 0x1000n, {}, { pageOnly: true });
  s.s1.setRaw(3, 0x20_1000n, 0x30_0000n | 0x401n); // level-3 0b01: reserved
  t.match(fault(tr(s, R(0x20_1000n))), { type: 'F_TRANSLATION', level: 3 });
  s.s1.setRaw(0, 0x80_0000_0000n, 0x401n); // level-0 block with 4K
  t.match(fault(tr(s, R(0x80_0000_0000n))), { type: 'F_TRANSLATION', level: 0 });
  const s16 = setup({ s1: { granule: 16384, iaBits: 47 }, policy: 'none' }) as Setup & { s1: PageTableBuilder };
  s16.s1.setRaw(1, 0x10_0000_0000n, 0x401n); // level-1 block with 16K
  t.match(fault(tr(s16, R(0x10_0000_0000n))), { type: 'F_TRANSLATION', level: 1 });
  const s64 = setup({ s1: { granule: 65536, iaBits: 48 }, policy: 'none' }) as Setup & { s1: PageTableBuilder };
  s64.s1.setRaw(1, 0x400_0000_0000n, 0x401n); // level-1 block with 64K, 48-bit OA
  t.match(fault(tr(s64, R(0x400_0000_0000n))), { type: 'F_TRANSLATION', level: 1 });
  const s64l = setup({ s1: { granule: 65536, iaBits: 52, oaBits: 52 }, policy: 'none' }) as Setup & { s1: PageTableBuilder };
  s64l.s1.setRaw(1, 0x400_0000_0000n, 0x401n | (0x1n << 12n)); // 64K L1 block with OA[51:48] = 1
  t.match(tr(s64l, R(0x400_0000_0123n)), { ok: true, pa: 0x1_0000_0000_0123n });
});

t.test('S1: F_WALK_EABT (unbacked table), CLASS=TT, S2=0, FetchAddr', async (t) => {
  const s = s1Only();
  s.s1.setRaw(1, 0x4000_0000n, 0x7700_0000n | 3n); // L1 table pointer to unbacked memory
  const f = fault(tr(s, R(0x4000_5000n)));
  t.match(f, { type: 'F_WALK_EABT', s2: false, class: 'TT', level: 2, fetchAddr: 0x7700_0000n + 0n });
});

t.test('S1: F_ADDR_SIZE for table and leaf output addresses (IPS)', async (t) => {
  const s = s1Only({}, 40);
  s.s1.setRaw(1, 0x4000_0000n, (1n << 41n) | 3n);
  t.match(fault(tr(s, R(0x4000_0000n))), { type: 'F_ADDR_SIZE', s2: false, class: 'IN', level: 1 });
  s.s1.setRaw(3, 0x1000n, (1n << 40n) | 0x403n);
  t.match(fault(tr(s, R(0x1000n))), { type: 'F_ADDR_SIZE', level: 3 });
});

t.test('item 13: fault priority within one descriptor (ADDR_SIZE > ACCESS > PERMISSION)', async (t) => {
  const s = s1Only({}, 40);
  // AF=0 and OA out of range: F_ADDR_SIZE (QEMU gives F_ACCESS).
  s.s1.setRaw(3, 0x1000n, (1n << 40n) | 0x003n);
  t.match(fault(tr(s, R(0x1000n))), { type: 'F_ADDR_SIZE' });
  // AF=0 on a read-only page, write: F_ACCESS before F_PERMISSION.
  s.s1.map(0x2000n, 0x2000n, 0x1000n, { af: false, ap: 2 });
  t.match(fault(tr(s, W(0x2000n))), { type: 'F_ACCESS', s2: false, class: 'IN' });
  // Table descriptor out of range beats everything below it.
  s.s1.setRaw(2, 0x4000_0000n, (1n << 40n) | 3n);
  t.match(fault(tr(s, W(0x4000_0000n))), { type: 'F_ADDR_SIZE', level: 2 });
});

t.test('item 14: hierarchical APTable applies after the walk and after AF', async (t) => {
  const s = s1Only();
  s.s1.map(0x1000n, 0x1000n, 0x1000n, { ap: 1 });
  s.s1.map(0x3000n, 0x3000n, 0x1000n, { ap: 1, af: false });
  s.s1.setTableAttrs(1, 0x1000n, { apTable: 2 }); // read-only below
  t.match(tr(s, R(0x1000n)), { ok: true, perms: { read: true, write: false } });
  t.match(fault(tr(s, W(0x1000n))), { type: 'F_PERMISSION', s2: false, class: 'IN', level: 3 });
  t.match(fault(tr(s, W(0x2000n))), { type: 'F_TRANSLATION' }, 'lower level invalid: F_TRANSLATION, not F_PERMISSION');
  t.match(fault(tr(s, W(0x3000n))), { type: 'F_ACCESS' }, 'AF=0: F_ACCESS, not F_PERMISSION');
  s.s1.setTableAttrs(1, 0x1000n, { apTable: 1 }); // no EL0 access below
  t.match(fault(tr(s, R(0x1000n, { privileged: false }))), { type: 'F_PERMISSION' });
  t.match(tr(s, W(0x1000n)), { ok: true });
  s.s1.setTableAttrs(2, 0x1000n, { pxnTable: true });
  t.match(fault(tr(s, R(0x1000n, { instruction: true }))), { type: 'F_PERMISSION' });
});

t.test('S1 permissions: AP, PnU, UXN/PXN, InD, WXN, PAN', async (t) => {
  const s = s1Only();
  const map = (va: bigint, a: object) => s.s1.map(va, va, 0x1000n, a);
  map(0x1000n, { ap: 0 }); // RW priv only
  map(0x2000n, { ap: 3 }); // RO any
  map(0x3000n, { ap: 2, uxn: true }); // RO priv, exec priv only
  map(0x4000n, { ap: 3, pxn: true });
  map(0x5000n, { ap: 1 }); // RW any: EL0-writable → privileged execute-never
  t.match(tr(s, W(0x1000n)), { ok: true });
  t.match(fault(tr(s, R(0x1000n, { privileged: false }))), { type: 'F_PERMISSION' });
  t.match(fault(tr(s, W(0x2000n, { privileged: false }))), { type: 'F_PERMISSION' });
  t.match(tr(s, R(0x2000n, { privileged: false })), { ok: true });
  t.match(tr(s, R(0x3000n, { instruction: true })), { ok: true });
  t.match(fault(tr(s, R(0x3000n, { instruction: true, privileged: false }))), { type: 'F_PERMISSION' });
  t.match(tr(s, R(0x3000n)), { ok: true }, 'UXN does not affect data reads');
  t.match(fault(tr(s, R(0x4000n, { instruction: true }))), { type: 'F_PERMISSION' });
  t.match(tr(s, R(0x4000n, { instruction: true, privileged: false })), { ok: true });
  t.match(fault(tr(s, R(0x5000n, { instruction: true }))), { type: 'F_PERMISSION' });
  s.cfg.s1 = (s.cfg.s1 as NonNullable<typeof s.cfg.s1>).with({ wxn: true });
  t.match(fault(tr(s, R(0x5000n, { instruction: true, privileged: false }))), { type: 'F_PERMISSION' }, 'WXN');
  t.match(tr(s, R(0x2000n, { instruction: true, privileged: false })), { ok: true }, 'WXN leaves read-only');
  s.cfg.s1 = (s.cfg.s1 as NonNullable<typeof s.cfg.s1>).with({ pan: true });
  t.match(fault(tr(s, R(0x2000n))), { type: 'F_PERMISSION' }, 'PAN: privileged data access to EL0 page');
  t.match(tr(s, R(0x1000n)), { ok: true });
});

t.test('S1: AFFD and HA (HTTU sets AF in memory)', async (t) => {
  const s = s1Only({ affd: true });
  s.s1.map(0x1000n, 0x1000n, 0x1000n, { af: false });
  t.match(tr(s, R(0x1000n)), { ok: true });
  const slot = s.s1.descAddr(3, 0x1000n) as bigint;
  t.equal(((s.mem.read64(slot) ?? 0n) >> 10n) & 1n, 0n, 'AFFD does not update AF');
  s.cfg.s1 = (s.cfg.s1 as NonNullable<typeof s.cfg.s1>).with({ affd: false, ha: true });
  s.env.trace = new WalkTrace();
  t.match(tr(s, R(0x1000n)), { ok: true });
  t.equal(((s.mem.read64(slot) ?? 0n) >> 10n) & 1n, 1n, 'HA sets AF');
  t.ok(s.env.trace.records.some((r) => r.kind === 'hardware-update'));
});

t.test('S2-only: IAS check, S2 range, concatenated start tables, S2AP/XN', async (t) => {
  const s = setup({ s2: { granule: 4096, iaBits: 40, startLevel: 1 }, policy: 'max', iasBits: 44 });
  const s2 = s.s2 as PageTableBuilder;
  t.equal(s2.vtcrFields().S2SL0, 1n);
  s2.map(0x80_0000_0000n - 0x1000n, 0x1000n, 0x1000n); // last page: second concatenated table
  s2.map(0x10_0000n, 0x20_0000n, 0x1000n, { s2ap: 2 }); // write-only
  s2.map(0x11_0000n, 0x21_0000n, 0x1000n, { s2ap: 1, xn: 2 });
  s2.map(0x12_0000n, 0x22_0000n, 0x1000n, { s2ap: 1, xn: 1 });
  t.match(tr(s, R(0x7f_ffff_f008n)), { ok: true, pa: 0x1008n });
  t.match(fault(tr(s, R(0x100_0000_0000n))), { type: 'F_TRANSLATION', s2: true, class: 'IN', ipa: 0x100_0000_0000n }, 'above S2T0SZ, below IAS');
  t.match(fault(tr(s, R(0x1000_0000_0000n))), { type: 'F_ADDR_SIZE', s2: false, class: 'IN' }, 'above IAS');
  t.match(fault(tr(s, R(0x50_0000n))), { type: 'F_TRANSLATION', s2: true, class: 'IN', ipa: 0x50_0000n });
  t.match(tr(s, W(0x10_0010n)), { ok: true, pa: 0x20_0010n });
  t.match(fault(tr(s, R(0x10_0010n))), { type: 'F_PERMISSION', s2: true, class: 'IN', ipa: 0x10_0010n }, 'item 16 on a TLB hit');
  t.match(fault(tr(s, R(0x11_0000n, { instruction: true }))), { type: 'F_PERMISSION', s2: true });
  t.match(fault(tr(s, R(0x12_0000n, { instruction: true }))), { type: 'F_PERMISSION', s2: true }, 'XN=01: no privileged exec');
  t.match(tr(s, R(0x12_0000n, { instruction: true, privileged: false })), { ok: true });
  t.match(fault(tr(s, W(0x11_0000n))), { type: 'F_PERMISSION', s2: true });
});

t.test('S2: 16 concatenated tables, other granules, F_ADDR_SIZE by S2PS, S2AFFD', async (t) => {
  const s = setup({ s2: { granule: 4096, iaBits: 43, startLevel: 1 }, policy: 'none', iasBits: 48 });
  const s2 = s.s2 as PageTableBuilder;
  s2.map(0x7ff_ffe0_0000n, 0x4_0000_0000n, 0x20_0000n);
  t.match(tr(s, R(0x7ff_ffe0_1234n)), { ok: true, pa: 0x4_0000_1234n, sizeLog2: 21 });
  s2.setRaw(3, 0x1000n, (1n << 48n) | 0x7c3n);
  t.match(tr(s, R(0x1000n)), { ok: true, pa: 0x0n }, '4K descriptor bits [51:48] are RES0, not OA bits');
  s.cfg.s2 = (s.cfg.s2 as NonNullable<typeof s.cfg.s2>).with({ psBits: 40 });
  s2.setRaw(3, 0x2000n, (1n << 41n) | 0x7c3n);
  t.match(fault(tr(s, R(0x2000n))), { type: 'F_ADDR_SIZE', s2: true, class: 'IN', ipa: 0x2000n });
  s2.map(0x3000n, 0x3000n, 0x1000n, { af: false });
  t.match(fault(tr(s, R(0x3000n))), { type: 'F_ACCESS', s2: true, class: 'IN', ipa: 0x3000n });
  s.cfg.s2 = (s.cfg.s2 as NonNullable<typeof s.cfg.s2>).with({ affd: true });
  t.match(tr(s, R(0x3000n)), { ok: true });
  const s16 = setup({ s2: { granule: 16384, iaBits: 48 }, policy: 'none', iasBits: 48 });
  t.equal((s16.s2 as PageTableBuilder).startLevel, 1, '16K 48-bit IPA starts at level 1 with 2 concatenated tables');
  (s16.s2 as PageTableBuilder).map(0xffff_ffff_c000n, 0x8000n * 2n, 0x4000n);
  t.match(tr(s16, R(0xffff_ffff_c010n)), { ok: true, pa: 0x10010n });
});

t.test('HTTU dirty state: HD + DBM turns a clean read-only page writable on the first write', async (t) => {
  const s = setup({ s1: { granule: 4096, iaBits: 48 }, policy: 'max', s1ctx: { ha: true, hd: true } }) as Setup & { s1: PageTableBuilder };
  s.s1.map(0x1000n, 0xa000n, 0x1000n, { ap: 2, dbm: true });
  s.s1.map(0x2000n, 0xb000n, 0x1000n, { ap: 2 });
  s.s1.map(0x3000n, 0xc000n, 0x1000n, { ap: 3, dbm: true }); // EL0 read-only
  const slot = s.s1.descAddr(3, 0x1000n) as bigint;
  t.match(tr(s, R(0x1000n)), { ok: true, perms: { write: false } });
  t.equal(((s.mem.read64(slot) ?? 0n) >> 7n) & 1n, 1n, 'a read leaves the page clean');
  t.match(tr(s, W(0x1000n)), { ok: true, pa: 0xa000n }, 'the write after a cached read walks again');
  t.equal(((s.mem.read64(slot) ?? 0n) >> 7n) & 1n, 0n, 'AP[2] cleared: dirty');
  t.match(tr(s, W(0x1000n)), { ok: true });
  t.match(fault(tr(s, W(0x2000n))), { type: 'F_PERMISSION' }, 'no DBM: permission fault');
  t.match(tr(s, W(0x3000n, { privileged: false })), { ok: true, pa: 0xc000n }, 'AP[2:1]=0b11 + DBM: an EL0 write dirties it');
  const s2 = setup({ s2: { granule: 4096, iaBits: 40 }, policy: 'max', s2ctx: { ha: true, hd: true } });
  (s2.s2 as PageTableBuilder).map(0x1000n, 0xa000n, 0x1000n, { s2ap: 1, dbm: true });
  t.match(tr(s2, R(0x1000n)), { ok: true });
  t.match(tr(s2, W(0x1000n)), { ok: true }, 'S2HD: S2AP[1] set');
  t.equal(((s2.mem.read64((s2.s2 as PageTableBuilder).descAddr(3, 0x1000n) as bigint) ?? 0n) >> 6n) & 3n, 3n);
});
