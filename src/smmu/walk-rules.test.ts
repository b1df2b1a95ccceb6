// Walk rules of issue 18: start-table base alignment, 64KB level-1 blocks by the implemented PA
// size, AP[1] in the single-privilege EL2 regime, nested HTTU through a writable-clean S2 page.
import t from 'tap';
import { setup, S1_TABLE_IPA, S1_TABLE_PA, type Setup, R, W, X, tr } from '../pgtable/fixtures.ts';
import { type PageTableBuilder } from '../pgtable/builder.ts';
import type { TranslationResult } from './translate-types.ts';
import type { S1Context, S1Fields, S2Context, S2Fields } from './walk-context.ts';

const fault = (r: TranslationResult) => (r.ok ? undefined : r.fault);
type S1 = Setup & { s1: PageTableBuilder };
type S2 = Setup & { s2: PageTableBuilder };
type Nested = Setup & { s1: PageTableBuilder; s2: PageTableBuilder };
const withS1 = (s: Setup, o: Partial<S1Fields>): void => {
  s.cfg.s1 = (s.cfg.s1 as S1Context).with(o);
};
const withS2 = (s: Setup, o: Partial<S2Fields>): void => {
  s.cfg.s2 = (s.cfg.s2 as S2Context).with(o);
};

t.test('TTB0 is aligned to the start-table size before use (SMMUv3 §5.4 TTB0; Arm ARM AArch64.S1TTBaseAddress)', async (t) => {
  // 4KB granule, T0SZ=25: start level 1 resolves VA[38:30], 512 entries = 4KB, so x = 12.
  const s = setup({ s1: { granule: 4096, iaBits: 39 }, policy: 'none' }) as S1;
  s.s1.map(0x1000n, 0x8000_0000n, 0x1000n);
  withS1(s, { ttb0: s.s1.ttb + 0x18n });
  t.match(tr(s, R(0x1010n)), { ok: true, pa: 0x8000_0010n }, 'TTB0[11:0] treated as zero: entry 0 of the table is used');
  // 64KB granule, T0SZ=21 (43-bit VA): start level 1 resolves VA[42] only: 2 entries = 16 bytes,
  // but with a 52-bit effective IPS the start table is at least 64-byte aligned (§5.4 TTB0).
  const s64 = setup({ s1: { granule: 65536, iaBits: 43, oaBits: 52 }, policy: 'none' }) as S1;
  s64.s1.map(0x1_0000n, 0x8000_0000n, 0x1_0000n);
  withS1(s64, { ttb0: s64.s1.ttb + 0x20n, ipsBits: 52, oasBits: 52 });
  t.match(tr(s64, R(0x1_0010n)), { ok: true, pa: 0x8000_0010n }, '52-bit IPS: TTB0[5:0] treated as zero');
  withS1(s64, { ttb0: s64.s1.ttb + 0x20n, ipsBits: 48, oasBits: 52 });
  t.match(fault(tr(s64, R(0x1_0010n))), { type: 'F_TRANSLATION', level: 1 }, '48-bit IPS: the 16-byte table at TTB0+0x20 is used as written');
});

t.test('TTB1 is aligned the same way (SMMUv3 §5.4 TTB1)', async (t) => {
  const s = setup({ s1: { granule: 4096, iaBits: 39 }, policy: 'none' }) as S1;
  s.s1.map(0x1000n, 0x8000_0000n, 0x1000n);
  withS1(s, { ttb1: s.s1.ttb + 0xff8n, t1sz: 25, tg1: 4096, epd1: false, epd0: true });
  t.match(tr(s, R(0xffff_ff80_0000_1010n)), { ok: true, pa: 0x8000_0010n });
});

t.test('S2TTB is aligned to the concatenated start-table size (SMMUv3 §5.2 S2TTB; Arm ARM AArch64.S2TTBaseAddress)', async (t) => {
  // 4KB granule, 40-bit IPA, start level 1: two concatenated tables (1024 entries, 8KB), x = 13.
  const s = setup({ s2: { granule: 4096, iaBits: 40, startLevel: 1 }, policy: 'none', iasBits: 48 }) as S2;
  s.s2.map(0x1000n, 0x7000_0000n, 0x1000n);
  s.s2.map(0x80_0000_1000n, 0x7100_0000n, 0x1000n); // IPA 2^39 + 0x1000: second concatenated table
  t.equal(s.s2.ttb % 0x2000n, 0n, 'the builder placed the 8KB start table 8KB-aligned');
  withS2(s, { ttb: s.s2.ttb + 0x1000n });
  t.match(tr(s, R(0x1010n)), { ok: true, pa: 0x7000_0010n }, 'S2TTB[12:0] treated as zero: IPA 0 indexes the first concatenated table');
  t.match(tr(s, R(0x80_0000_1010n)), { ok: true, pa: 0x7100_0010n }, 'and IPA 2^39 the second one');
});

t.test('64KB level-1 blocks depend on IDR5.OAS (FEAT_LPA), not on IPS / S2PS (Arm ARM AArch64.BlockDescSupported)', async (t) => {
  // Stage 1, 64KB granule, 48-bit VA: level 1 maps 4TB. OA 0 fits the 48-bit IPS.
  const s = setup({ s1: { granule: 65536, iaBits: 48 }, policy: 'none' }) as S1;
  s.s1.setRaw(1, 0x400_0000_0000n, 0x401n); // 4TB block at VA 4TB, OA 0
  withS1(s, { ipsBits: 48, oasBits: 52 });
  t.match(tr(s, R(0x400_0000_0123n)), { ok: true, pa: 0x123n, sizeLog2: 42 }, 'OAS 52, IPS 48: a block');
  withS1(s, { ipsBits: 48, oasBits: 48 });
  t.match(fault(tr(s, R(0x400_0000_0123n))), { type: 'F_TRANSLATION', s2: false, level: 1 }, 'OAS 48: reserved encoding');
  // Stage 2, 64KB granule, 48-bit IPA, start level 1.
  const s2 = setup({ s2: { granule: 65536, iaBits: 48 }, policy: 'none', iasBits: 52 }) as S2;
  t.equal(s2.s2.startLevel, 1);
  s2.s2.setRaw(1, 0x400_0000_0000n, 0x4c1n | (0xfn << 2n)); // S2AP=RW, AF, Normal WB
  withS2(s2, { psBits: 48, oasBits: 52 });
  t.match(tr(s2, R(0x400_0000_0456n)), { ok: true, pa: 0x456n, sizeLog2: 42 }, 'OAS 52, S2PS 48: a block');
  withS2(s2, { psBits: 48, oasBits: 48 });
  t.match(fault(tr(s2, R(0x400_0000_0456n))), { type: 'F_TRANSLATION', s2: true, level: 1 }, 'OAS 48: reserved encoding');
});

t.test('StreamWorld any-EL2 (E2H=0): AP[1] is ignored and treated as 1, PRIV as 1 (SMMUv3 §13.4.1; Arm ARM D8.4 RMGGZM)', async (t) => {
  const s = setup({ s1: { granule: 4096, iaBits: 48 }, policy: 'max' }) as S1;
  s.s1.map(0x1000n, 0xa000n, 0x1000n, { ap: 0 }); // AP[2:1]=0b00
  s.s1.map(0x2000n, 0xb000n, 0x1000n, { ap: 2 }); // AP[2:1]=0b10
  s.s1.map(0x3000n, 0xc000n, 0x1000n, { ap: 0, uxn: true }); // bit 54: XN in a single-privilege regime
  s.s1.map(0x4000n, 0xd000n, 0x1000n, { ap: 0, pxn: true }); // bit 53: RES0 in a single-privilege regime
  withS1(s, { el2: true, el2NoAsid: true, asid: 0, vmid: 0 });
  t.match(tr(s, W(0x1010n, { privileged: false })), { ok: true, pa: 0xa010n }, 'unprivileged write to AP=0b00');
  t.match(tr(s, R(0x2010n, { privileged: false })), { ok: true, pa: 0xb010n }, 'unprivileged read of AP=0b10');
  t.match(fault(tr(s, W(0x2010n, { privileged: false }))), { type: 'F_PERMISSION', s2: false, class: 'IN' }, 'AP[2]=1 still read-only');
  t.match(fault(tr(s, X(0x3010n))), { type: 'F_PERMISSION' }, 'XN (bit 54) removes privileged execute');
  t.match(tr(s, X(0x4010n, { privileged: false })), { ok: true }, 'bit 53 (PXN) does not apply');
  withS1(s, { pan: true });
  s.env.tlb?.invalidateAll();
  t.match(tr(s, R(0x1010n)), { ok: true }, 'PAN is IGNORED for any-EL2 (§5.4 PAN)');
  // EL2-E2H keeps the two-privilege-level interpretation (§13.4.1).
  withS1(s, { el2: true, asid: 1, pan: false });
  delete (s.cfg.s1 as { el2NoAsid?: boolean }).el2NoAsid;
  s.env.tlb?.invalidateAll();
  t.match(fault(tr(s, W(0x1010n, { privileged: false }))), { type: 'F_PERMISSION', s2: false }, 'EL2-E2H: AP[1]=0 denies EL0');
});

function nested(): Nested {
  const s = setup({ s1: { granule: 4096, iaBits: 48 }, s2: { granule: 4096, iaBits: 40 }, policy: 'max' }) as Nested;
  s.s2.map(0x100_0000n, 0x2_0000_0000n, 0x1000n);
  return s;
}
/** Make the stage-2 page holding the stage-1 descriptor at `descIpa` writable-clean (S2AP=0b01, DBM=1). */
function s2WritableClean(s: Nested, descIpa: bigint): bigint {
  const slot = s.s2.descAddr(3, descIpa & ~0xfffn) as bigint;
  s.mem.write64(slot, ((s.mem.read64(slot) ?? 0n) & ~(3n << 6n)) | (1n << 6n) | (1n << 51n));
  return slot;
}
const s2ap = (s: Setup, slot: bigint): bigint => ((s.mem.read64(slot) ?? 0n) >> 6n) & 3n;
const atPa = (ipa: bigint): bigint => ipa - S1_TABLE_IPA + S1_TABLE_PA;

t.test('nested HTTU: a stage-1 AF update through a writable-clean S2 page makes it writable-dirty (Arm ARM D8.5 RBDJJL; SMMUv3 §3.13.5)', async (t) => {
  const s = nested();
  s.s1.map(0x2000n, 0x100_0000n, 0x1000n, { af: false });
  withS1(s, { ha: true });
  withS2(s, { ha: true, hd: true });
  const l3 = s.s1.descAddr(3, 0x2000n) as bigint;
  const slot = s2WritableClean(s, l3);
  t.match(tr(s, R(0x2010n)), { ok: true, pa: 0x2_0000_0010n });
  t.equal(((s.mem.read64(atPa(l3)) ?? 0n) >> 10n) & 1n, 1n, 'stage-1 AF set');
  t.equal(s2ap(s, slot), 3n, 'S2AP[1] set: the table page is writable-dirty');
  // Without S2HD the writable-clean page is not writable: stage-2 permission fault, TTRnW=0.
  const u = nested();
  u.s1.map(0x2000n, 0x100_0000n, 0x1000n, { af: false });
  withS1(u, { ha: true });
  withS2(u, { ha: true, hd: false });
  const uslot = s2WritableClean(u, l3);
  t.match(fault(tr(u, R(0x2010n))), { type: 'F_PERMISSION', s2: true, class: 'TT', ipa: l3, ttrnw: false });
  t.equal(s2ap(u, uslot), 1n, 'S2AP unchanged');
});

t.test('nested HTTU: a stage-1 dirty update through a writable-clean S2 page (Arm ARM D8.5 RBDJJL)', async (t) => {
  const s = nested();
  s.s1.map(0x3000n, 0x100_0000n, 0x1000n, { ap: 2, dbm: true }); // writable-clean at stage 1
  withS1(s, { ha: true, hd: true });
  withS2(s, { ha: true, hd: true });
  const l3 = s.s1.descAddr(3, 0x3000n) as bigint;
  const slot = s2WritableClean(s, l3);
  t.match(tr(s, R(0x3010n)), { ok: true }, 'a read needs no update');
  t.equal(s2ap(s, slot), 1n, 'the read left the S2 table page clean');
  t.match(tr(s, W(0x3010n)), { ok: true, pa: 0x2_0000_0010n });
  t.equal(((s.mem.read64(atPa(l3)) ?? 0n) >> 7n) & 1n, 0n, 'stage-1 AP[2] cleared');
  t.equal(s2ap(s, slot), 3n, 'S2 table page made writable-dirty');
});

t.test('WXN and execute-never follow the writable permission of each privilege (Arm ARM D8.4 Table D8-65, RFYMXJ, RSYMMB, RVWLLR)', async (t) => {
  const s = setup({ s1: { granule: 4096, iaBits: 48 }, policy: 'none', s1ctx: { wxn: true } }) as S1;
  s.s1.map(0x1000n, 0xa000n, 0x1000n, { ap: 0 }); // AP[2:1]=0b00: PrivWrite only
  s.s1.map(0x2000n, 0xb000n, 0x1000n, { ap: 1 }); // AP[2:1]=0b01: both write
  t.match(fault(tr(s, X(0x1010n))), { type: 'F_PERMISSION' }, 'AP=00, WXN: PrivWXN removes PrivExecute');
  t.match(tr(s, X(0x1010n, { privileged: false })), { ok: true }, 'AP=00, WXN: UnprivExecute stays (no UnprivWrite)');
  t.match(fault(tr(s, X(0x2010n, { privileged: false }))), { type: 'F_PERMISSION' }, 'AP=01, WXN: UnprivWXN');
});

t.test('with HD, a writable-clean page counts as writable for WXN and EL0-writable execute-never (Arm ARM D8.5 RTTLCV, RNKLQN, INSYYW)', async (t) => {
  const s = setup({ s1: { granule: 4096, iaBits: 48 }, policy: 'none', s1ctx: { ha: true, hd: true } }) as S1;
  s.s1.map(0x1000n, 0xa000n, 0x1000n, { ap: 2, dbm: true }); // privileged writable-clean
  s.s1.map(0x2000n, 0xb000n, 0x1000n, { ap: 3, dbm: true }); // unprivileged writable-clean
  t.match(tr(s, X(0x1010n)), { ok: true }, 'no WXN: privileged writable-clean is executable');
  t.match(fault(tr(s, X(0x2010n))), { type: 'F_PERMISSION' }, 'unprivileged writable-clean: privileged execute-never');
  t.match(tr(s, X(0x2010n, { privileged: false })), { ok: true }, 'and still unprivileged-executable without WXN');
  withS1(s, { wxn: true });
  t.match(fault(tr(s, X(0x1010n))), { type: 'F_PERMISSION' }, 'WXN: privileged writable-clean is PrivWXN');
  t.match(fault(tr(s, X(0x2010n, { privileged: false }))), { type: 'F_PERMISSION' }, 'WXN: unprivileged writable-clean is UnprivWXN');
  withS1(s, { el2: true, el2NoAsid: true, asid: 0, vmid: 0 });
  t.match(fault(tr(s, X(0x1010n))), { type: 'F_PERMISSION' }, 'single privilege level, WXN: writable-clean is execute-never (INSYYW)');
});
