// Nested (stage 1 + stage 2) composition: emulator-models §7 items 16, 17, 18; errata row 12 (S2PTW).
import t from 'tap';
import { setup, S1_TABLE_IPA, S1_TABLE_PA, type Setup, R, W, tr } from '../pgtable/fixtures.ts';
import { type PageTableBuilder } from '../pgtable/builder.ts';
import { translateS2Fetch } from './translate.ts';
import { WalkTrace } from './walk-trace.ts';
import type { TranslationResult } from './translate-types.ts';

type Nested = Setup & { s1: PageTableBuilder; s2: PageTableBuilder };
const fault = (r: TranslationResult) => (r.ok ? undefined : r.fault);

function nested(policy: 'max' | 'none' = 'none'): Nested {
  const s = setup({ s1: { granule: 4096, iaBits: 48 }, s2: { granule: 4096, iaBits: 40 }, policy }) as Nested;
  s.s1.map(0x1000n, 0x100_0000n, 0x1000n); // VA page → IPA 0x100_0000
  s.s2.map(0x100_0000n, 0x2_0000_0000n, 0x1000n); // IPA → PA
  return s;
}
/** S2 slot of the 4K page holding the stage-1 table that contains `descIpa`. */
function s2SlotOfTable(s: Nested, descIpa: bigint): bigint {
  return s.s2.descAddr(3, descIpa & ~0xfffn) as bigint;
}

t.test('nested: VA → IPA → PA with the walk trace', async (t) => {
  const s = nested();
  s.env.trace = new WalkTrace();
  t.match(tr(s, R(0x1234n)), { ok: true, pa: 0x2_0000_0234n });
  const fetches = s.env.trace.records.filter((r) => r.kind === 'fetch');
  t.equal(fetches.filter((r) => r.kind === 'fetch' && r.stage === 1).length, 4, 'four S1 levels');
  t.ok(
    fetches.every((r) => r.kind !== 'fetch' || r.stage === 2 || r.ipa !== undefined),
    'S1 fetches carry their IPA',
  );
  t.equal(fetches.length, 4 + 5 * 4, 'each S1 descriptor and the output IPA need a 4-level S2 walk (40-bit IPA, 4K)');
});

t.test('item 17: IPA of S2 faults — CLASS=TT gives the S1 descriptor IPA, CLASS=IN the output IPA', async (t) => {
  const s = nested();
  const va = 0x80_4060_5000n; // non-zero index at every level
  s.s1.map(va, 0x100_0000n, 0x1000n);
  const l3Desc = s.s1.descAddr(3, va) as bigint;
  t.equal(l3Desc & 0xfffn, 0x28n, 'descriptor is not at the table base (index 0 would hide a table-base bug)');
  // Unmap the S2 page holding the S1 level-3 table: its descriptor fetch faults at S2.
  s.mem.write64(s2SlotOfTable(s, l3Desc), 0n);
  t.match(fault(tr(s, R(va))), { type: 'F_TRANSLATION', s2: true, class: 'TT', ipa: l3Desc });
  const s2b = nested();
  s2b.s1.map(0x5000n, 0x300_0000n, 0x1000n); // output IPA not mapped at S2
  t.match(fault(tr(s2b, W(0x5abcn))), { type: 'F_TRANSLATION', s2: true, class: 'IN', ipa: 0x300_0abcn });
});

t.test('item 17: S2 permission faults on a descriptor read report TTRnW=1, CLASS=TT', async (t) => {
  const s = nested();
  const l2Desc = s.s1.descAddr(2, 0x1000n) as bigint;
  const slot = s2SlotOfTable(s, l2Desc);
  s.mem.write64(slot, (s.mem.read64(slot) ?? 0n) & ~(3n << 6n)); // S2AP = none on the L2 table page
  t.match(fault(tr(s, W(0x1000n))), { type: 'F_PERMISSION', s2: true, class: 'TT', ipa: l2Desc, ttrnw: true });
  // S2 access flag on the table page: F_ACCESS, CLASS=TT.
  s.mem.write64(slot, ((s.mem.read64(slot) ?? 0n) | (3n << 6n)) & ~(1n << 10n));
  t.match(fault(tr(s, R(0x1000n))), { type: 'F_ACCESS', s2: true, class: 'TT', ipa: l2Desc });
});

t.test('item 18: CLASS and S2 of walk aborts (S1 descriptor: S2=0 TT; S2 descriptor: S2=1)', async (t) => {
  const s = nested();
  const l3Desc = s.s1.descAddr(3, 0x1000n) as bigint;
  const slot = s2SlotOfTable(s, l3Desc);
  // Point the S2 page of the S1 L3 table at unbacked PA: the S1 descriptor read aborts.
  s.mem.write64(slot, ((s.mem.read64(slot) ?? 0n) & ~0xffff_ffff_f000n) | 0x7_7000_0000n);
  t.match(fault(tr(s, R(0x1000n))), { type: 'F_WALK_EABT', s2: false, class: 'TT', fetchAddr: 0x7_7000_0000n + (l3Desc & 0xfffn) });
  // An S2 table pointer to unbacked memory: the S2 descriptor read aborts while translating the output.
  const t2 = nested();
  const s2l2 = t2.s2.descAddr(2, 0x100_0000n) as bigint;
  t2.mem.write64(s2l2, 0x6_6000_0000n | 3n);
  t.match(fault(tr(t2, R(0x1000n))), { type: 'F_WALK_EABT', s2: true, class: 'IN', fetchAddr: 0x6_6000_0000n + 8n * ((0x100_0000n >> 12n) & 511n) });
  // S1-only: an S1 walk abort is S2=0, CLASS=TT; an invalid descriptor is CLASS=IN.
  const s1 = setup({ s1: { granule: 4096, iaBits: 48 }, policy: 'none' }) as Setup & { s1: PageTableBuilder };
  s1.s1.setRaw(2, 0x20_0000n, 0x3300_0000n | 3n);
  t.match(fault(tr(s1, R(0x20_0000n))), { type: 'F_WALK_EABT', s2: false, class: 'TT', fetchAddr: 0x3300_0000n });
  t.match(fault(tr(s1, R(0x40_0000n))), { type: 'F_TRANSLATION', s2: false, class: 'IN' });
});

t.test('errata row 12: S2PTW — S1 walk or CD fetch to S2 Device memory is an S2 permission fault', async (t) => {
  const s = nested();
  const l1Desc = s.s1.descAddr(1, 0x1000n) as bigint;
  const slot = s2SlotOfTable(s, l1Desc);
  s.mem.write64(slot, (s.mem.read64(slot) ?? 0n) & ~(0xfn << 2n)); // MemAttr = Device-nGnRnE
  t.match(tr(s, R(0x1000n)), { ok: true }, 'S2PTW=0: allowed');
  s.cfg.s2 = (s.cfg.s2 as NonNullable<typeof s.cfg.s2>).with({ ptw: true });
  t.match(fault(tr(s, R(0x1000n))), { type: 'F_PERMISSION', s2: true, class: 'TT', ipa: l1Desc });
  const cd = translateS2Fetch(s.env, s.cfg.s2 as NonNullable<typeof s.cfg.s2>, l1Desc & ~0x3fn, R(0x1000n), 'CD');
  t.match(cd, { ok: false, fault: { type: 'F_PERMISSION', s2: true, class: 'CD', ipa: l1Desc & ~0x3fn } });
  // Device at S2 for the *output* is not a walk: no fault.
  s.s2.setRaw(3, 0x100_0000n, 0x2_0000_0000n | 0x4c3n);
  t.match(tr(s, R(0x1000n)), { ok: false }, 'still faults on the walk');
});

t.test('translateS2Fetch: CD through stage 2 (CLASS=CD, IPA = CD address)', async (t) => {
  const s = nested();
  s.s2.map(0x20_0000n, 0x5_0000_0000n, 0x1000n);
  t.same(translateS2Fetch(s.env, s.cfg.s2 as NonNullable<typeof s.cfg.s2>, 0x20_0040n, R(0n), 'CD'), { ok: true, pa: 0x5_0000_0040n });
  t.match(translateS2Fetch(s.env, s.cfg.s2 as NonNullable<typeof s.cfg.s2>, 0x30_0040n, R(0n), 'CD'), {
    ok: false,
    fault: { type: 'F_TRANSLATION', s2: true, class: 'CD', ipa: 0x30_0040n },
  });
});

t.test('nested: combined permissions are S1 ∧ S2; S1 faults come before the S2 output translation', async (t) => {
  const s = nested();
  s.s1.map(0x2000n, 0x100_1000n, 0x1000n, { ap: 0 });
  s.s2.map(0x100_1000n, 0x2_0000_1000n, 0x1000n, { s2ap: 1 }); // S2 read-only
  t.match(tr(s, R(0x2000n)), { ok: true, perms: { read: true, write: false } });
  t.match(fault(tr(s, W(0x2000n))), { type: 'F_PERMISSION', s2: true, class: 'IN', ipa: 0x100_1000n });
  t.match(fault(tr(s, R(0x2000n, { privileged: false }))), { type: 'F_PERMISSION', s2: false });
  s.s1.map(0x3000n, 0x900_0000n, 0x1000n, { ap: 0 }); // output IPA unmapped at S2
  t.match(fault(tr(s, R(0x3000n, { privileged: false }))), { type: 'F_PERMISSION', s2: false }, 'S1 permission beats S2 translation');
  s.s1.map(0x4000n, 0x900_0000n, 0x1000n, { af: false });
  t.match(fault(tr(s, R(0x4000n))), { type: 'F_ACCESS', s2: false, class: 'IN' });
});

t.test('item 16: S2 write-only page, read after write (nested, TLB hit must re-check read)', async (t) => {
  const s = nested('max');
  s.s1.map(0x2000n, 0x100_1000n, 0x1000n);
  s.s2.map(0x100_1000n, 0x2_0000_1000n, 0x1000n, { s2ap: 2 });
  t.match(tr(s, W(0x2010n)), { ok: true, pa: 0x2_0000_1010n });
  const hits = s.env.tlb?.hits ?? 0;
  t.match(fault(tr(s, R(0x2010n))), { type: 'F_PERMISSION', s2: true, class: 'IN', ipa: 0x100_1010n });
  t.equal(s.env.tlb?.hits, hits + 1, 'the read was a TLB hit');
});

t.test('nested HA: the AF update needs S2 write permission on the descriptor page (TTRnW=0)', async (t) => {
  const s = nested();
  s.s1.map(0x2000n, 0x100_0000n, 0x1000n, { af: false });
  s.cfg.s1 = (s.cfg.s1 as NonNullable<typeof s.cfg.s1>).with({ ha: true });
  const l3Desc = s.s1.descAddr(3, 0x2000n) as bigint;
  const slot = s2SlotOfTable(s, l3Desc);
  s.mem.write64(slot, ((s.mem.read64(slot) ?? 0n) & ~(3n << 6n)) | (1n << 6n)); // S2 read-only
  t.match(fault(tr(s, R(0x2000n))), { type: 'F_PERMISSION', s2: true, class: 'TT', ipa: l3Desc, ttrnw: false });
  s.mem.write64(slot, (s.mem.read64(slot) ?? 0n) | (3n << 6n));
  t.match(tr(s, R(0x2000n)), { ok: true });
  t.equal(((s.mem.read64(l3Desc - S1_TABLE_IPA + S1_TABLE_PA) ?? 0n) >> 10n) & 1n, 1n, 'AF set at the descriptor PA');
});
