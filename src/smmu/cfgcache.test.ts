import t from 'tap';
import { encodeCommand } from '../arch/command.ts';
import { L1STD } from '../arch/l1std.ts';
import { REG, STRTAB_BASE } from '../arch/registers.ts';
import { STE } from '../arch/ste.ts';
import { installSte, submitCommands } from './boot.ts';
import { ConfigCache } from './cfgcache.ts';
import { type Kit, cdS1, mapPage, mkKit, steS1, table } from './testkit.ts';
import type { CachePolicy } from './cache-policy.ts';

const BYPASS = STE.encode({ V: 1, Config: 4 });
const read = (k: Kit, sid: number, ssid?: number): unknown => {
  const r = k.dev.transaction({ sid, iova: 0x1000n, access: 'read', ...(ssid !== undefined ? { ssid } : {}) });
  return r.kind === 'translated' ? r.pa : r.kind;
};

/** SID 1: S1 with 4 CDs; CD i maps VA 0x1000 → 0x5000_0000 + i pages, ASID 10+i. */
function kit(policy: CachePolicy = 'max'): Kit & { cds: bigint; roots: bigint[] } {
  const k = mkKit({ cachePolicy: policy });
  const roots = [0, 1, 2, 3, 4].map((i) => {
    const r = table(k.alloc);
    mapPage(k.mem, k.alloc, r, 0x1000n, 0x5000_0000n + BigInt(i * 0x1000), 1);
    return r;
  });
  const cds = k.alloc.alloc(256, 256);
  for (let i = 0; i < 4; i++) k.mem.writeWords(cds + BigInt(i * 64), cdS1(roots[i] ?? 0n, { ASID: 10 + i }));
  installSte(k.dev, 1, steS1({ S1ContextPtr: cds, S1CDMax: 2, S1DSS: 2 }));
  return { ...k, cds, roots };
}

t.test('a missing CFGI_STE is observable: the old STE stays in use until CFGI_STE', (t) => {
  const k = kit();
  t.equal(read(k, 1), 0x5000_0000n);
  installSte(k.dev, 1, BYPASS);
  t.equal(read(k, 1), 0x5000_0000n, 'stale STE still used');
  submitCommands(k.dev, [encodeCommand('CFGI_STE', { StreamID: 1, Leaf: 1 }), encodeCommand('CMD_SYNC', {})]);
  t.equal(read(k, 1), 0x1000n, 'new STE (bypass) after CFGI_STE');
  t.end();
});

t.test("policy 'none': an STE change is seen at once", (t) => {
  const k = kit('none');
  t.equal(read(k, 1), 0x5000_0000n);
  installSte(k.dev, 1, BYPASS);
  t.equal(read(k, 1), 0x1000n);
  t.end();
});

t.test('a missing CFGI_CD is observable; CFGI_CD invalidates that CD-table index only', (t) => {
  const k = kit();
  t.equal(read(k, 1, 1), 0x5000_1000n);
  t.equal(read(k, 1, 2), 0x5000_2000n);
  // Point CD 1 and CD 2 at table 4 with new ASIDs (so the TLB cannot answer).
  k.mem.writeWords(k.cds + 64n, cdS1(k.roots[4] ?? 0n, { ASID: 50 }));
  k.mem.writeWords(k.cds + 128n, cdS1(k.roots[4] ?? 0n, { ASID: 51 }));
  t.equal(read(k, 1, 1), 0x5000_1000n, 'stale CD 1');
  submitCommands(k.dev, [encodeCommand('CFGI_CD', { StreamID: 1, SubstreamID: 1, Leaf: 1 })]);
  t.equal(read(k, 1, 1), 0x5000_4000n, 'CD 1 re-fetched');
  t.equal(read(k, 1, 2), 0x5000_2000n, 'CD 2 still stale');
  submitCommands(k.dev, [encodeCommand('CFGI_CD_ALL', { StreamID: 1 })]);
  t.equal(read(k, 1, 2), 0x5000_4000n, 'CFGI_CD_ALL drops every CD of the stream');
  t.end();
});

t.test('CFGI_STE also drops the CDs cached through the STE (errata B.14)', (t) => {
  const k = kit();
  t.equal(read(k, 1, 3), 0x5000_3000n);
  k.mem.writeWords(k.cds + 192n, cdS1(k.roots[4] ?? 0n, { ASID: 60 }));
  submitCommands(k.dev, [encodeCommand('CFGI_STE', { StreamID: 1, Leaf: 1 })]);
  t.equal(read(k, 1, 3), 0x5000_4000n);
  t.end();
});

t.test('CFGI_STE_RANGE ignores the low Range+1 bits of the SID; CFGI_ALL (Range=31) drops everything', (t) => {
  const k = mkKit();
  for (const sid of [4, 5, 6, 7, 8]) installSte(k.dev, sid, BYPASS);
  for (const sid of [4, 5, 6, 7, 8]) t.equal(read(k, sid), 0x1000n);
  for (const sid of [4, 5, 6, 7, 8]) installSte(k.dev, sid, STE.encode({ V: 1, Config: 0 }));
  submitCommands(k.dev, [encodeCommand('CFGI_STE_RANGE', { StreamID: 5, Range: 1 })]); // SIDs 4-7
  t.same(
    [4, 5, 6, 7, 8].map((s) => read(k, s)),
    ['aborted', 'aborted', 'aborted', 'aborted', 0x1000n],
  );
  submitCommands(k.dev, [encodeCommand('CFGI_STE_RANGE', { StreamID: 0, Range: 31 })]);
  t.equal(read(k, 8), 'aborted');
  t.end();
});

t.test('CFGI_STE Leaf=1 may keep the L1STD; Leaf=0 drops it', (t) => {
  const k = mkKit({ boot: { strtab: '2level', split: 6, sidBits: 8 } });
  installSte(k.dev, 2, BYPASS);
  t.equal(read(k, 2), 0x1000n);
  // Move SID 0-63 to a new L2 table whose STE 2 aborts.
  const l2 = k.alloc.alloc(4096, 4096);
  k.mem.writeWords(l2 + 128n, STE.encode({ V: 1, Config: 0 }));
  const base = STRTAB_BASE.get([k.dev.readReg(REG.STRTAB_BASE)], 'ADDR');
  k.mem.write64(base, L1STD.encode({ Span: 7, L2Ptr: l2 })[0] ?? 0n);
  submitCommands(k.dev, [encodeCommand('CFGI_STE', { StreamID: 2, Leaf: 1 })]);
  t.equal(read(k, 2), 0x1000n, 'cached L1STD still points at the old L2');
  submitCommands(k.dev, [encodeCommand('CFGI_STE', { StreamID: 2, Leaf: 0 })]);
  t.equal(read(k, 2), 'aborted');
  t.end();
});

t.test('ConfigCache unit: invalid structures are not inserted by the lookup; counters', (t) => {
  const c = new ConfigCache('max');
  c.putSte(1, [1n]);
  c.putCd(1, 0, [2n]);
  c.putL1cd(1, 0, 3n);
  t.same(c.size, { ste: 1, l1std: 0, cd: 1, l1cd: 1 });
  c.invalidateSte(1, true, undefined);
  t.same(c.size, { ste: 0, l1std: 0, cd: 0, l1cd: 0 });
  const none = new ConfigCache('none');
  none.putSte(1, [1n]);
  t.equal(none.getSte(1), undefined);
  const k = mkKit();
  installSte(k.dev, 9, STE.encode({ V: 0 }));
  k.dev.transaction({ sid: 9, iova: 0n, access: 'read' });
  t.equal(k.dev.cfgCache.getSte(9), undefined, 'STE.V=0 not cached');
  t.end();
});

t.test('a configuration is inserted once, on its miss; hits do not insert it again', (t) => {
  const k = kit();
  t.equal(read(k, 1, 1), 0x5000_1000n);
  const after = { ...k.dev.cfgCache.stats };
  t.equal(read(k, 1, 1), 0x5000_1000n);
  t.equal(read(k, 1, 1), 0x5000_1000n);
  t.same(k.dev.cfgCache.stats, { steHits: after.steHits + 2, cdHits: after.cdHits + 2, inserts: after.inserts }, 'two STE and two CD hits, no insert');
  t.end();
});
