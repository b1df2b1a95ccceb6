import t from 'tap';
import fc from 'fast-check';
import { planEntryWrite, tornReadOk, type WritePlan } from './write-entry.ts';
import { CD_OPS, STE_OPS, type EntryOps } from './used-bits.ts';
import { makeAbortSte, makeBypassSte } from './ste-build.ts';
import {
  KUNIT_ASID1,
  KUNIT_ASID2,
  KUNIT_CDTAB_DMA,
  KUNIT_CDTAB_DMA_2,
  KUNIT_FEATURES,
  S1DSS,
  kunitCdTableSte,
  kunitNestedSte,
  kunitS1Cd,
  kunitS2Ste,
  kunitSvaCd,
  kunitSvaReleasedCd,
} from './fixtures.ts';

const abort = makeAbortSte();
const bypass = makeBypassSte(KUNIT_FEATURES);
const cdtable = kunitCdTableSte(S1DSS.SSID0, KUNIT_CDTAB_DMA, { ats: true });
const s1dssBypass = kunitCdTableSte(S1DSS.BYPASS, KUNIT_CDTAB_DMA, { ats: true });
const s2 = kunitS2Ste({ ats: true });
const emptyCd = new Array<bigint>(8).fill(0n);

/** Run the plan like KUnit's fake writer: check the torn-read invariant after every sync. */
function run(ops: EntryOps, cur: readonly bigint[], target: readonly bigint[]): WritePlan & { torn: number } {
  const plan = planEntryWrite(ops, cur, target);
  let torn = 0;
  for (const s of plan.steps) if (!tornReadOk(ops, s.dwords, cur, target)) torn++;
  return { ...plan, torn };
}

import type { Test } from 'tap';
type T = Test;
function expectTransition(tt: T, ops: EntryOps, name: string, cur: bigint[], target: bigint[], syncs: number, hitless: boolean): void {
  const p = run(ops, cur, target);
  tt.equal(p.syncCount, syncs, `${name}: ${syncs} syncs`);
  tt.equal(p.invalidWritten, !hitless, `${name}: ${hitless ? 'no' : 'a'} V=0 entry observed`);
  tt.equal(p.torn, 0, `${name}: no torn read`);
  const last = p.steps.at(-1)?.dwords ?? cur;
  tt.same(last, target, `${name}: ends at target`);
}

t.test('behaviour 25: KUnit STE transitions (§8)', (tt) => {
  const ste = (n: string, a: bigint[], b: bigint[], s: number, h = true): void => expectTransition(tt, STE_OPS, n, a, b, s, h);
  ste('bypass_to_abort', bypass, abort, 2);
  ste('abort_to_bypass', abort, bypass, 2);
  ste('cdtable_to_abort', cdtable, abort, 2);
  ste('abort_to_cdtable', abort, cdtable, 2);
  ste('cdtable_to_bypass', cdtable, bypass, 3);
  ste('bypass_to_cdtable', bypass, cdtable, 3);
  ste('cdtable_s1dss_change', cdtable, s1dssBypass, 1);
  ste('cdtable_s1dss_change back', s1dssBypass, cdtable, 1);
  ste('s1dssbypass_to_stebypass', s1dssBypass, bypass, 2);
  ste('stebypass_to_s1dssbypass', bypass, s1dssBypass, 2);
  ste('s2_to_abort', s2, abort, 2);
  ste('abort_to_s2', abort, s2, 2);
  ste('s2_to_bypass', s2, bypass, 2);
  ste('bypass_to_s2', bypass, s2, 2);
  ste('s1_to_s2', cdtable, s2, 3);
  ste('s2_to_s1', s2, cdtable, 3);
  const nh1 = kunitCdTableSte(S1DSS.SSID0, KUNIT_CDTAB_DMA, { ats: true });
  const nh2 = kunitCdTableSte(S1DSS.BYPASS, KUNIT_CDTAB_DMA_2, { ats: true });
  ste('non_hitless', nh1, nh2, 3, false);
  const s1Stall = kunitCdTableSte(S1DSS.SSID0, KUNIT_CDTAB_DMA, { stall: true });
  const s2Stall = kunitS2Ste({ stall: true });
  ste('s1_to_s2_stall', s1Stall, s2Stall, 3);
  ste('s2_to_s1_stall', s2Stall, s1Stall, 3);
  const nested = kunitNestedSte(S1DSS.BYPASS, KUNIT_CDTAB_DMA, { ats: true });
  const plainS2 = kunitS2Ste({});
  ste('nested_s1dssbypass_to_s1bypass', nested, plainS2, 3);
  ste('nested_s1bypass_to_s1dssbypass', plainS2, nested, 2);
  tt.equal(planEntryWrite(STE_OPS, nh1, nh2).kind, 'breaking');
  tt.equal(planEntryWrite(STE_OPS, bypass, abort).kind, 'hitless');
  tt.equal(planEntryWrite(STE_OPS, s2, s2).syncCount, 0, 'identical entry: no sync');
  // the checker can fail: S2 dw0 over the old S1 dw1 (SHCFG still 0) is a mixed config
  const torn = s2.slice();
  torn[1] = cdtable[1] ?? 0n;
  tt.notOk(tornReadOk(STE_OPS, torn, cdtable, s2), 'a mixed entry is reported as torn');
  tt.end();
});

t.test('behaviour 25: KUnit CD transitions (§8)', (tt) => {
  const cd = (n: string, a: bigint[], b: bigint[], s: number, h: boolean): void => expectTransition(tt, CD_OPS, n, a, b, s, h);
  const s1 = kunitS1Cd(KUNIT_ASID1);
  const s1b = kunitS1Cd(KUNIT_ASID2);
  cd('s1_clear', emptyCd, s1b, 2, false);
  cd('s1_clear back', s1b, emptyCd, 2, false);
  cd('s1_change_asid', s1, s1b, 1, true);
  cd('s1_change_asid back', s1b, s1, 1, true);
  const sva = kunitSvaCd(KUNIT_ASID2);
  const released = kunitSvaReleasedCd(KUNIT_ASID2);
  cd('sva_clear', sva, emptyCd, 2, false);
  cd('sva_clear back', emptyCd, sva, 2, false);
  cd('sva_release', sva, released, 2, true);
  cd('sva_release back', released, sva, 2, true);
  tt.end();
});

t.test('fixture dwords match the KUnit values', (tt) => {
  // S2 STE: VTCR tsz=4 sl=3 irgn=2 orgn=1 sh=3 tg=2 ps=1 at dw2[50:32]; S2AA64|S2PTW|S2R; S2TTB = vttbr[51:4]
  const vtcr = 4n | (3n << 6n) | (2n << 8n) | (1n << 10n) | (3n << 12n) | (2n << 14n) | (1n << 16n);
  tt.equal(s2[2], (vtcr << 32n) | (1n << 51n) | (1n << 54n) | (1n << 58n));
  tt.equal(s2[3], 0xdaedbeefdeadbeefn & 0x000f_ffff_ffff_fff0n);
  tt.equal(s2[1], (1n << 28n) | (1n << 44n), 'EATS=TRANS, SHCFG=incoming');
  tt.equal(cdtable[0], 1n | (5n << 1n) | (2n << 4n) | (0xf0f0f0f0f0f0n & 0x000f_ffff_ffff_ffc0n) | (31n << 59n));
  // S1STALLD because the SMMU can stall and the master is not stall-enabled
  tt.equal(cdtable[1], 2n | (1n << 2n) | (1n << 4n) | (3n << 6n) | (1n << 27n) | (1n << 28n));
  const cd = kunitS1Cd(KUNIT_ASID1);
  tt.equal(
    cd[0],
    4n |
      (2n << 6n) |
      (2n << 8n) |
      (1n << 10n) |
      (3n << 12n) |
      (1n << 30n) |
      (1n << 31n) |
      (1n << 32n) |
      (1n << 41n) |
      (1n << 45n) |
      (1n << 46n) |
      (1n << 47n) |
      (778n << 48n),
  );
  tt.equal(cd[3], 0xabcdef012345678n);
  tt.end();
});

t.test('property: torn-read invariant and final equality for random STE pairs', (tt) => {
  const pool = [
    abort,
    bypass,
    cdtable,
    s1dssBypass,
    s2,
    kunitS2Ste({}),
    kunitS2Ste({ stall: true }),
    kunitCdTableSte(S1DSS.TERMINATE, KUNIT_CDTAB_DMA_2, {}),
    kunitNestedSte(S1DSS.BYPASS, KUNIT_CDTAB_DMA, { ats: true }),
    kunitNestedSte(S1DSS.SSID0, KUNIT_CDTAB_DMA_2, {}),
    new Array<bigint>(8).fill(0n),
  ];
  fc.assert(
    fc.property(fc.integer({ min: 0, max: pool.length - 1 }), fc.integer({ min: 0, max: pool.length - 1 }), (a, b) => {
      const cur = pool[a] ?? abort;
      const tgt = pool[b] ?? abort;
      const p = run(STE_OPS, cur, tgt);
      if (p.torn !== 0) return false;
      const last = p.steps.at(-1)?.dwords ?? cur;
      return last.every((v, i) => v === (tgt[i] ?? 0n)) && p.syncCount <= 3;
    }),
    { numRuns: 300 },
  );
  tt.end();
});

t.test('command batches for a plan: CFGI_STE+SYNC per step, PREFETCH_CONFIG last; CFGI_CD per stream', async (tt) => {
  const { steWriteBatches, cdWriteBatches, planSteWrite, planCdWrite } = await import('./entry-sync.ts');
  const plan = planSteWrite(cdtable, s2);
  const b = steWriteBatches(0x42, plan);
  tt.equal(b.length, 4);
  tt.same(
    b.slice(0, 3).map((x) => x.cmds.map((c) => Number(c[0] & 0xffn))),
    [
      [0x03, 0x46],
      [0x03, 0x46],
      [0x03, 0x46],
    ],
  );
  tt.equal(b[0]?.cmds[0]?.[0], 0x03n | (0x42n << 32n));
  tt.equal(b[0]?.cmds[0]?.[1], 1n, 'Leaf=1');
  tt.same(b[3]?.cmds, [[0x01n | (0x42n << 32n), 0n]]);
  tt.equal(steWriteBatches(0x42, plan, { brokenPrefetch: true }).length, 3, 'hisilicon,broken-prefetch-cmd');
  const cb = cdWriteBatches([0x10, 0x11], 3, planCdWrite(kunitS1Cd(KUNIT_ASID1), kunitS1Cd(KUNIT_ASID2)));
  tt.equal(cb.length, 1);
  tt.same(
    cb[0]?.cmds.map((c) => c[0]),
    [0x05n | (3n << 12n) | (0x10n << 32n), 0x05n | (3n << 12n) | (0x11n << 32n), cb[0]?.cmds[2]?.[0]],
  );
});
