import t from 'tap';
import { encodeCommand } from '../arch/command.ts';
import { installSte, submitCommands } from './boot.ts';
import { tlbiParams } from './cmd-exec.ts';
import { makeProfile } from './profile.ts';
import { cdS1, mapPage, mkKit, steS1, table } from './testkit.ts';

const f = (o: Record<string, number | bigint>): Record<string, bigint> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, BigInt(v)]));

t.test('§4.4.1.1 RES0 policy ignore: NUM/SCALE/TG/TTL are zero without IDR3.RIL', (t) => {
  const fields = f({ VMID: 3, ASID: 7, Address: 0x5000, NUM: 31, SCALE: 3, TG: 1, TTL: 2, Leaf: 1 });
  t.same(tlbiParams(fields, makeProfile({ ril: false, cmdRes0: 'ignore' }), true), {
    vmid: 3,
    asid: 7,
    addr: 0x5000n,
    leaf: true,
    tg: 0,
    num: 0,
    scale: 0,
    ttl: 0,
  });
  t.same(tlbiParams(fields, makeProfile({ ril: true }), false), { vmid: 3, addr: 0x5000n, leaf: true, tg: 1, num: 31, scale: 3, ttl: 2 });
  t.end();
});

t.test('§4.4.1.1: SCALE[5] ignored without IDR5.DS, SCALE > 39 treated as 39 with DS; TTL ignored with TG=0', (t) => {
  t.equal(tlbiParams(f({ TG: 1, NUM: 1, SCALE: 0x21 }), makeProfile({ ds: false, cmdRes0: 'ignore' }), false).scale, 1);
  t.equal(tlbiParams(f({ TG: 1, NUM: 1, SCALE: 0x3f }), makeProfile({ ds: true }), false).scale, 39);
  t.equal(tlbiParams(f({ TG: 0, TTL: 3 }), makeProfile({ cmdRes0: 'ignore' }), false).ttl, 0);
  t.end();
});

t.test('§4.4.1.1 RES0 policy ill: TTL with TG=0 is CERROR_ILL; policy ignore: consumed', (t) => {
  const ill = mkKit();
  t.equal(submitCommands(ill.dev, [encodeCommand('TLBI_NH_VA', { VMID: 0, ASID: 1, Address: 0x1000n, TG: 0, TTL: 3 })]).error, 'CERROR_ILL');
  const ign = mkKit({ profile: { cmdRes0: 'ignore' } });
  t.equal(submitCommands(ign.dev, [encodeCommand('TLBI_NH_VA', { VMID: 0, ASID: 1, Address: 0x1000n, TG: 0, TTL: 3 })]).error, 'CERROR_NONE');
  t.end();
});

t.test('§4.4.1.1: with RIL=0 (RES0 ignored) a TLBI_NH_VA with range fields invalidates only its own page', (t) => {
  const k = mkKit({ profile: { ril: false, cmdRes0: 'ignore' } });
  const root = table(k.alloc);
  mapPage(k.mem, k.alloc, root, 0x1000n, 0x5000_1000n, 1);
  mapPage(k.mem, k.alloc, root, 0x2000n, 0x5000_2000n, 1);
  const cd = k.alloc.alloc(64, 64);
  k.mem.writeWords(cd, cdS1(root));
  installSte(k.dev, 1, steS1({ S1ContextPtr: cd }));
  for (const va of [0x1000n, 0x2000n]) k.dev.transaction({ sid: 1, iova: va, access: 'read' });
  mapPage(k.mem, k.alloc, root, 0x1000n, 0x6000_1000n, 1);
  mapPage(k.mem, k.alloc, root, 0x2000n, 0x6000_2000n, 1);
  const r = submitCommands(k.dev, [
    encodeCommand('TLBI_NH_VA', { VMID: 0, ASID: 1, Address: 0x1000n, TG: 1, NUM: 31, SCALE: 4 }),
    encodeCommand('CMD_SYNC', {}),
  ]);
  t.equal(r.error, 'CERROR_NONE');
  const pa = (va: bigint): bigint | undefined => {
    const x = k.dev.transaction({ sid: 1, iova: va, access: 'read' });
    return x.kind === 'translated' ? x.pa : undefined;
  };
  t.equal(pa(0x1000n), 0x6000_1000n, 'the addressed page was invalidated');
  t.equal(pa(0x2000n), 0x5000_2000n, 'the next page was not (range fields ignored)');
  t.end();
});

t.test('§4.1.7: out-of-range StreamID / SubstreamID in CFGI_* is not an error (no effect)', (t) => {
  const k = mkKit({ profile: { sidSize: 8, ssidSize: 4 } });
  const r = submitCommands(k.dev, [
    encodeCommand('CFGI_STE', { StreamID: 0xffff_ffff, Leaf: 1 }),
    encodeCommand('CFGI_CD', { StreamID: 0x1234_5678, SubstreamID: 0xfffff, Leaf: 1 }),
    encodeCommand('CFGI_CD_ALL', { StreamID: 0xffff_fff0 }),
    encodeCommand('CMD_SYNC', {}),
  ]);
  t.equal(r.error, 'CERROR_NONE');
  t.same(
    r.executed.map((c) => c.name),
    ['CFGI_STE', 'CFGI_CD', 'CFGI_CD_ALL', 'CMD_SYNC'],
  );
  t.end();
});

t.test('§4.7.2: STALL_TERM ends every stall of the StreamID with an abort; RESUME then finds nothing', (t) => {
  const k = mkKit();
  const root = table(k.alloc);
  const cd = k.alloc.alloc(64, 64);
  k.mem.writeWords(cd, cdS1(root, { S: 1 }));
  installSte(k.dev, 1, steS1({ S1ContextPtr: cd }));
  t.same(k.dev.transaction({ sid: 1, iova: 0x1000n, access: 'read' }), { kind: 'stalled', stag: 0 });
  submitCommands(k.dev, [encodeCommand('STALL_TERM', { StreamID: 1 }), encodeCommand('RESUME', { StreamID: 1, STAG: 0, Ac: 1 })]);
  t.same(k.dev.stallCompletions, [{ sid: 1, stag: 0, action: 'stall_term', result: { kind: 'aborted', reason: 'CMD_STALL_TERM' } }]);
  t.end();
});

t.test('§4.4.1.1 RES0 with TG=0 (NUM, SCALE) and TTL128 with TTL=0: CERROR_ILL under the ill policy, zero under ignore', (t) => {
  const k = mkKit();
  t.equal(submitCommands(k.dev, [encodeCommand('TLBI_S2_IPA', { VMID: 1, Address: 0x1000n, TG: 0, NUM: 3 })]).error, 'CERROR_ILL');
  const k2 = mkKit();
  t.equal(submitCommands(k2.dev, [encodeCommand('TLBI_S2_IPA', { VMID: 1, Address: 0x1000n, TG: 1, NUM: 1, TTL: 0, TTL128: 1 })]).error, 'CERROR_ILL');
  t.same(tlbiParams(f({ TG: 0, NUM: 3, SCALE: 2, TTL: 1 }), makeProfile({ cmdRes0: 'ignore' }), false), {
    vmid: 0,
    addr: 0n,
    leaf: false,
    tg: 0,
    num: 0,
    scale: 0,
    ttl: 0,
  });
  t.end();
});

t.test('§4.4.2: TLBI_NH_* VMID is RES0 without stage 2 (ill: CERROR_ILL; ignore: acts on VMID 0)', (t) => {
  const ill = mkKit({ profile: { s2p: false } });
  t.equal(submitCommands(ill.dev, [encodeCommand('TLBI_NH_ALL', { VMID: 5 })]).error, 'CERROR_ILL');
  const k = mkKit({ profile: { s2p: false, cmdRes0: 'ignore' } });
  const root = table(k.alloc);
  mapPage(k.mem, k.alloc, root, 0x1000n, 0x5000_1000n, 1);
  const cd = k.alloc.alloc(64, 64);
  k.mem.writeWords(cd, cdS1(root));
  installSte(k.dev, 1, steS1({ S1ContextPtr: cd }));
  k.dev.transaction({ sid: 1, iova: 0x1000n, access: 'read' });
  mapPage(k.mem, k.alloc, root, 0x1000n, 0x6000_1000n, 1);
  t.equal(submitCommands(k.dev, [encodeCommand('TLBI_NH_ALL', { VMID: 5 }), encodeCommand('CMD_SYNC', {})]).error, 'CERROR_NONE');
  const r = k.dev.transaction({ sid: 1, iova: 0x1000n, access: 'read' });
  t.same(r.kind === 'translated' && r.pa, 0x6000_1000n, 'the VMID-0 entries were invalidated');
  t.end();
});

t.test('§4.1.6: IPA/PA command fields have bits [55:52] RES0 in v3.1-v3.3 (ill: CERROR_ILL; ignore: taken as zero)', (t) => {
  t.equal(submitCommands(mkKit().dev, [encodeCommand('TLBI_S2_IPA', { VMID: 1, Address: (1n << 53n) | 0x1000n })]).error, 'CERROR_ILL');
  t.equal(submitCommands(mkKit().dev, [encodeCommand('CMD_SYNC', { CS: 1, MSIAddr: 1n << 54n })]).error, 'CERROR_ILL');
  t.equal(tlbiParams(f({ Address: (1n << 53n) | 0x1000n }), makeProfile({ cmdRes0: 'ignore' }), false, true).addr, 0x1000n);
  t.equal(tlbiParams(f({ Address: (1n << 53n) | 0x1000n }), makeProfile({ cmdRes0: 'ignore' }), false).addr, (1n << 53n) | 0x1000n, 'VA fields are [63:12]');
  t.end();
});

// ---- fixes found by scenario writers ----------------------------------------------------------

const translated = (k: ReturnType<typeof mkKit>, sid: number, iova: bigint, ssid?: number): bigint | string => {
  const r = k.dev.transaction({ sid, iova, access: 'read', ...(ssid !== undefined ? { ssid } : {}) });
  return r.kind === 'translated' ? r.pa : r.kind;
};

t.test('§4.3.3 CMD_CFGI_CD Leaf=0 invalidates the L1CD that locates the CD (2-level CD table, STE dw0 >= 2^57)', (t) => {
  for (const leaf of [0, 1]) {
    const k = mkKit();
    const rootA = table(k.alloc);
    const rootB = table(k.alloc);
    mapPage(k.mem, k.alloc, rootA, 0x1000n, 0x8000_0000n, 1);
    mapPage(k.mem, k.alloc, rootB, 0x1000n, 0x9000_0000n, 1);
    const l1 = table(k.alloc);
    const leafA = table(k.alloc);
    const leafB = table(k.alloc);
    k.mem.writeWords(leafA + 64n, cdS1(rootA, { ASID: 5 }));
    k.mem.writeWords(leafB + 64n, cdS1(rootB, { ASID: 6 }));
    k.mem.write64(l1, leafA | 1n);
    k.mem.write64(l1 + 8n, leafB | 1n);
    // S1Fmt=0b01 (64 CDs per leaf), S1CDMax=8: dw0[63:59] != 0, far above 2^53.
    const ste = steS1({ S1ContextPtr: l1, S1Fmt: 1, S1CDMax: 8 });
    t.ok((ste[0] ?? 0n) >= 1n << 57n, 'STE dw0 >= 2^57');
    installSte(k.dev, 1, ste);
    t.equal(translated(k, 1, 0x1010n, 1), 0x8000_0010n);
    k.mem.write64(l1, leafB | 1n); // repoint L1CD[0]
    t.equal(submitCommands(k.dev, [encodeCommand('CFGI_CD', { StreamID: 1, SubstreamID: 1, Leaf: leaf }), encodeCommand('CMD_SYNC', {})]).error, 'CERROR_NONE');
    // Leaf=0: the CD is refetched through the new L1CD; Leaf=1: the cached L1CD may stay (policy max keeps it).
    t.equal(translated(k, 1, 0x1010n, 1), leaf === 0 ? 0x9000_0010n : 0x8000_0010n, `Leaf=${leaf}`);
  }
  t.end();
});

t.test('§4.4.2.8/§4.4.2.10/§5.4 ASID: with SMMU_CR2.E2H=0 EL2 entries carry no ASID; TLBI_EL2_VA ignores its ASID, TLBI_EL2_ASID leaves them', (t) => {
  const setup = (): { k: ReturnType<typeof mkKit>; root: bigint } => {
    const k = mkKit();
    t.equal(k.dev.readReg(0x2c) & 1n, 0n, 'CR2.E2H=0');
    const root = table(k.alloc);
    mapPage(k.mem, k.alloc, root, 0x1000n, 0x8000_0000n, 1);
    const cd = k.alloc.alloc(64, 64);
    k.mem.writeWords(cd, cdS1(root, { ASID: 5 }));
    installSte(k.dev, 1, steS1({ S1ContextPtr: cd, STRW: 2 }));
    t.equal(translated(k, 1, 0x1010n), 0x8000_0010n);
    mapPage(k.mem, k.alloc, root, 0x1000n, 0x8800_0000n, 1);
    return { k, root };
  };
  let { k } = setup();
  submitCommands(k.dev, [encodeCommand('TLBI_EL2_ASID', { ASID: 5 }), encodeCommand('CMD_SYNC', {})]);
  t.equal(translated(k, 1, 0x1010n), 0x8000_0010n, 'TLBI_EL2_ASID: non-ASID-tagged EL2 entries are not required to be invalidated');
  submitCommands(k.dev, [encodeCommand('TLBI_EL2_VA', { ASID: 6, Address: 0x1000n }), encodeCommand('CMD_SYNC', {})]);
  t.equal(translated(k, 1, 0x1010n), 0x8800_0010n, 'TLBI_EL2_VA with another ASID invalidates by VA');
  ({ k } = setup());
  submitCommands(k.dev, [encodeCommand('TLBI_EL2_VAA', { Address: 0x1000n }), encodeCommand('CMD_SYNC', {})]);
  t.equal(translated(k, 1, 0x1010n), 0x8800_0010n, 'TLBI_EL2_VAA');
  ({ k } = setup());
  submitCommands(k.dev, [encodeCommand('TLBI_NH_ALL', { VMID: 0 }), encodeCommand('TLBI_NSNH_ALL', {}), encodeCommand('CMD_SYNC', {})]);
  t.equal(translated(k, 1, 0x1010n), 0x8000_0010n, 'NH_ALL / NSNH_ALL leave EL2 entries');
  submitCommands(k.dev, [encodeCommand('TLBI_EL2_ALL', {}), encodeCommand('CMD_SYNC', {})]);
  t.equal(translated(k, 1, 0x1010n), 0x8800_0010n, 'TLBI_EL2_ALL');
  t.end();
});

t.test('§4.4.2.8: with SMMU_CR2.E2H=1 TLBI_EL2_VA matches the ASID of EL2-E2H entries', (t) => {
  const k = mkKit();
  const root = table(k.alloc);
  mapPage(k.mem, k.alloc, root, 0x1000n, 0x8000_0000n, 1);
  const cd = k.alloc.alloc(64, 64);
  k.mem.writeWords(cd, cdS1(root, { ASID: 5 }));
  // CR2 is writable only while SMMUEN=0 (§6.3.12).
  const cr0 = k.dev.readReg(0x20);
  k.dev.writeReg(0x20, cr0 & ~1n);
  k.dev.writeReg(0x2c, k.dev.readReg(0x2c) | 1n);
  k.dev.writeReg(0x20, cr0);
  t.equal(k.dev.readReg(0x2c) & 1n, 1n, 'CR2.E2H=1');
  installSte(k.dev, 1, steS1({ S1ContextPtr: cd, STRW: 2 }));
  t.equal(translated(k, 1, 0x1010n), 0x8000_0010n);
  mapPage(k.mem, k.alloc, root, 0x1000n, 0x8800_0000n, 1);
  submitCommands(k.dev, [encodeCommand('TLBI_EL2_VA', { ASID: 6, Address: 0x1000n }), encodeCommand('CMD_SYNC', {})]);
  t.equal(translated(k, 1, 0x1010n), 0x8000_0010n, 'another ASID: kept');
  submitCommands(k.dev, [encodeCommand('TLBI_EL2_ASID', { ASID: 5 }), encodeCommand('CMD_SYNC', {})]);
  t.equal(translated(k, 1, 0x1010n), 0x8800_0010n, 'TLBI_EL2_ASID of its ASID');
  t.end();
});

t.test('§4.4.1.1: with IDR5.DS=0, TG=16KB and TTL=0b01 is treated as TTL=0b00: a range is valid, NUM=0 SCALE=0 is CERROR_ILL', (t) => {
  const ok = submitCommands(mkKit().dev, [encodeCommand('TLBI_NH_VAA', { VMID: 0, Address: 0x4000n, TG: 2, NUM: 1, TTL: 1 }), encodeCommand('CMD_SYNC', {})]);
  t.equal(ok.error, 'CERROR_NONE');
  t.equal(ok.cons, ok.prod, 'all consumed');
  t.same(
    ok.executed.map((c) => c.name),
    ['TLBI_NH_VAA', 'CMD_SYNC'],
  );
  const bad = submitCommands(mkKit().dev, [encodeCommand('TLBI_NH_VAA', { VMID: 0, Address: 0x4000n, TG: 2, NUM: 0, SCALE: 0, TTL: 1 })]);
  t.equal(bad.error, 'CERROR_ILL');
  t.equal(
    submitCommands(mkKit({ profile: { ds: true } }).dev, [encodeCommand('TLBI_NH_VAA', { VMID: 0, Address: 0x4000n, TG: 2, TTL: 1 })]).error,
    'CERROR_NONE',
    'with DS: level 1 of a 16KB table',
  );
  t.equal(tlbiParams(f({ TG: 2, NUM: 1, TTL: 1 }), makeProfile({ ds: false }), false).ttl, 0, 'no level hint');
  t.equal(tlbiParams(f({ TG: 2, NUM: 1, TTL: 1 }), makeProfile({ ds: true }), false).ttl, 1);
  t.end();
});

t.test('§6.3.12.3 E2H: boot option e2h sets SMMU_CR2.E2H only with IDR0.HYP', (t) => {
  t.equal(mkKit({ boot: { e2h: true } }).dev.readReg(0x2c) & 1n, 1n);
  t.equal(mkKit({ boot: { e2h: true }, profile: { hyp: false } }).dev.readReg(0x2c) & 1n, 0n, 'RES0 without HYP');
  t.end();
});
