import fc from 'fast-check';
import t from 'tap';
import { type CommandName, decodeCommand, encodeCommand } from '../arch/command.ts';
import type { FieldInput } from '../arch/fields.ts';
import { CMDQ_CONS, GERROR, REG } from '../arch/registers.ts';
import { submitCommands } from './boot.ts';
import type { SmmuProfile } from './profile.ts';
import { mkKit } from './testkit.ts';

const cmd = (name: CommandName, f: FieldInput = {}): bigint[] => encodeCommand(name, f);
const sync = (): bigint[] => cmd('CMD_SYNC', { CS: 0 });
const consOf = (v: bigint): { rd: number; err: number } => ({ rd: Number(CMDQ_CONS.get([v], 'RD')), err: Number(CMDQ_CONS.get([v], 'ERR')) });
const cmdqErrActive = (k: ReturnType<typeof mkKit>): boolean => ((k.dev.readReg(REG.GERROR) ^ k.dev.readReg(REG.GERRORN)) & 1n) === 1n;

t.test('illegal opcode at index i: CONS stops at i with CERROR_ILL, earlier commands ran, later did not', (t) => {
  const k = mkKit();
  const start = consOf(k.dev.readReg(REG.CMDQ_CONS)).rd; // boot consumed 4
  const batch = [cmd('TLBI_NH_ALL', { VMID: 1 }), cmd('CFGI_STE', { StreamID: 2, Leaf: 1 }), [0x7fn, 0n], cmd('TLBI_NSNH_ALL'), sync()];
  const r = submitCommands(k.dev, batch);
  t.equal(r.error, 'CERROR_ILL');
  t.equal(r.errorIndex, start + 2);
  t.same(
    r.executed.map((c) => c.name),
    ['TLBI_NH_ALL', 'CFGI_STE'],
  );
  t.same(consOf(r.cons), { rd: start + 2, err: 1 });
  t.equal(GERROR.get([r.gerror], 'CMDQ_ERR'), 1n, 'GERROR.CMDQ_ERR toggled');
  t.ok(cmdqErrActive(k));
  t.equal(r.syncs.length, 0, 'the SYNC after the error did not complete');
  // Another PROD write does nothing while the error is active.
  const again = k.dev.writeReg(REG.CMDQ_PROD, k.dev.readReg(REG.CMDQ_PROD));
  t.equal(again?.executed.length, 0);
  t.end();
});

t.test('emulator-models §7.6: command error recovery (slot rewrite + GERRORN ack resumes at CONS)', (t) => {
  const k = mkKit();
  const r = submitCommands(k.dev, [[0x7fn, 0n], cmd('TLBI_NSNH_ALL'), cmd('CMD_SYNC', { CS: 2 })]);
  const bad = r.errorIndex ?? -1;
  t.equal(r.error, 'CERROR_ILL');
  // Software (as Linux does) overwrites the slot with a CMD_SYNC, then acknowledges.
  k.mem.writeWords(k.dev.cmdq.base() + BigInt(bad * 16), sync());
  const ack = k.dev.writeReg(REG.GERRORN, k.dev.readReg(REG.GERROR));
  t.ok(ack, 'GERRORN write resumes the queue');
  t.same(
    ack?.executed.map((c) => c.name),
    ['CMD_SYNC', 'TLBI_NSNH_ALL', 'CMD_SYNC'],
  );
  t.equal(ack?.error, 'CERROR_NONE');
  t.equal(consOf(k.dev.readReg(REG.CMDQ_CONS)).rd, consOf(k.dev.readReg(REG.CMDQ_PROD)).rd);
  t.notOk(cmdqErrActive(k));
  t.end();
});

t.test('wrap-around of a full ring', (t) => {
  const k = mkKit({ boot: { cmdqLog2: 3 } }); // 8 entries; boot used 4
  let total = 0;
  for (let round = 0; round < 5; round++) {
    const batch = Array.from({ length: 8 }, (_, i) => cmd('TLBI_NH_ASID', { VMID: 1, ASID: round * 8 + i }));
    const r = submitCommands(k.dev, batch);
    t.equal(r.error, 'CERROR_NONE');
    t.equal(r.executed.length, 8);
    t.same(
      r.executed.map((c) => Number(c.fields['ASID'])),
      batch.map((_, i) => round * 8 + i),
      'in order',
    );
    total += 8;
  }
  const prod = k.dev.readReg(REG.CMDQ_PROD);
  const cons = k.dev.readReg(REG.CMDQ_CONS);
  t.equal(prod, cons);
  t.equal(Number(prod & 0xfn), (4 + total) % 16, 'index and wrap bit after 44 commands');
  t.end();
});

t.test('ring full with the queue stalled: wrap bit distinguishes full from empty', (t) => {
  const k = mkKit({ boot: { cmdqLog2: 2 } });
  k.dev.cmdq.stallAfter(0); // stop consuming now
  const r = submitCommands(
    k.dev,
    Array.from({ length: 4 }, () => cmd('TLBI_NSNH_ALL')),
  );
  t.ok(r.stalled);
  const p = k.dev.cmdq.ptr();
  t.ok(p.full(r.prod, r.cons), 'PROD and CONS differ only in the wrap bit');
  t.end();
});

t.test('CERROR_ABT: command fetch from unbacked ring memory', (t) => {
  const k = mkKit();
  const cons = consOf(k.dev.readReg(REG.CMDQ_CONS)).rd;
  k.mem.unback(k.dev.cmdq.base(), 4096);
  const r = k.dev.writeReg(REG.CMDQ_PROD, k.dev.readReg(REG.CMDQ_PROD) + 1n);
  t.equal(r?.error, 'CERROR_ABT');
  t.same(consOf(r?.cons ?? 0n), { rd: cons, err: 2 });
  t.end();
});

t.test('CERROR_ATC_INV_SYNC: CMD_SYNC after an ATC_INV the device never completes', (t) => {
  const k = mkKit({ profile: { atcInvNeverCompletes: [9] } });
  const r = submitCommands(k.dev, [cmd('ATC_INV', { StreamID: 9, Size: 52 }), cmd('CMD_SYNC', { CS: 2 }), cmd('TLBI_NSNH_ALL')]);
  t.equal(r.error, 'CERROR_ATC_INV_SYNC');
  t.same(
    r.executed.map((c) => c.name),
    ['ATC_INV'],
    'the SYNC is not consumed',
  );
  t.equal(r.syncs.length, 0, 'no completion signal');
  t.equal(consOf(r.cons).err, 3);
  const ack = k.dev.writeReg(REG.GERRORN, k.dev.readReg(REG.GERROR));
  t.same(
    ack?.executed.map((c) => c.name),
    ['CMD_SYNC', 'TLBI_NSNH_ALL'],
    're-executed SYNC completes after the ack',
  );
  // A device that completes: no error.
  const ok = submitCommands(k.dev, [cmd('ATC_INV', { StreamID: 3, Size: 0 }), sync()]);
  t.equal(ok.error, 'CERROR_NONE');
  t.end();
});

t.test('CMD_SYNC MSI write lands in memory; SEV and none signals', (t) => {
  const k = mkKit();
  const target = k.alloc.alloc(4096, 4096);
  k.mem.write32(target + 0x40n, 0xffff_ffff);
  const r = submitCommands(k.dev, [
    cmd('CMD_SYNC', { CS: 1, MSIAddr: target + 0x40n, MSIData: 0x1234_5678 }),
    cmd('CMD_SYNC', { CS: 2 }),
    cmd('CMD_SYNC', { CS: 1 }),
  ]);
  t.equal(k.mem.read32(target + 0x40n), 0x1234_5678);
  t.same(
    r.syncs.map((s) => s.signal),
    ['msi', 'sev', 'none'],
    'MSIAddr=0 sends no MSI',
  );
  const noMsi = mkKit({ profile: { msi: false, sev: false, wiredIrq: true } });
  const t2 = noMsi.alloc.alloc(4096, 4096);
  const r2 = submitCommands(noMsi.dev, [cmd('CMD_SYNC', { CS: 1, MSIAddr: t2, MSIData: 7 }), cmd('CMD_SYNC', { CS: 2 })]);
  t.same(
    r2.syncs.map((s) => s.signal),
    ['irq', 'none'],
    'without MSI: wired IRQ; SIG_SEV without SEV acts as SIG_NONE',
  );
  t.equal(noMsi.mem.read32(t2), 0, 'MSIAddress IGNORED without MSI support');
  const unbacked = submitCommands(k.dev, [cmd('CMD_SYNC', { CS: 1, MSIAddr: 0x7e00_0000n })]);
  t.equal(unbacked.syncs[0]?.signal, 'none');
  t.equal(GERROR.get([unbacked.gerror], 'MSI_CMDQ_ABT_ERR'), 1n, 'aborted MSI write reported in GERROR');
  t.end();
});

t.test('CMD_SYNC poll timeout: injected stall leaves CONS behind PROD', (t) => {
  const k = mkKit({ profile: { cmdqStallAt: 6 } }); // boot consumed 4
  const r = submitCommands(k.dev, [cmd('TLBI_NSNH_ALL'), cmd('TLBI_NSNH_ALL'), cmd('TLBI_NSNH_ALL'), sync()]);
  t.ok(r.stalled);
  t.equal(r.error, 'CERROR_NONE');
  t.equal(r.executed.length, 2);
  t.not(r.cons, r.prod, 'CONS behind PROD');
  t.equal(r.syncs.length, 0);
  k.dev.cmdq.stallAt = undefined;
  const r2 = k.dev.writeReg(REG.CMDQ_PROD, k.dev.readReg(REG.CMDQ_PROD));
  t.equal(r2?.executed.length, 2, 'progress once the injection is lifted');
  t.end();
});

t.test('emulator-models §7.3: CMD_SYNC CS=0b11 is CERROR_ILL', (t) => {
  const k = mkKit();
  t.equal(submitCommands(k.dev, [cmd('CMD_SYNC', { CS: 3 })]).error, 'CERROR_ILL');
  t.end();
});

t.test('emulator-models §7.4: commands for absent features are CERROR_ILL', (t) => {
  const cases: Array<[string, Partial<SmmuProfile>, bigint[]]> = [
    ['TLBI_EL2_ALL without HYP', { hyp: false }, cmd('TLBI_EL2_ALL')],
    ['TLBI_EL2_VA without HYP', { hyp: false }, cmd('TLBI_EL2_VA', { ASID: 1, Address: 0x1000n })],
    ['TLBI_EL3_ALL on the NS queue', {}, cmd('TLBI_EL3_ALL')],
    ['TLBI_S_EL2_ALL (Secure) on the NS queue', {}, cmd('TLBI_S_EL2_ALL')],
    ['RESUME with STALL_MODEL=0b01', { stallModel: 1 }, cmd('RESUME', { StreamID: 1, STAG: 0 })],
    ['STALL_TERM with STALL_MODEL=0b01', { stallModel: 1 }, cmd('STALL_TERM', { StreamID: 1 })],
    ['PRI_RESP without PRI', { pri: false }, cmd('PRI_RESP', { StreamID: 1, Resp: 2 })],
    ['ATC_INV without ATS', { ats: false }, cmd('ATC_INV', { StreamID: 1 })],
    ['TLBI_NH_ALL without stage 1', { s1p: false }, cmd('TLBI_NH_ALL', { VMID: 1 })],
    ['CFGI_CD without stage 1', { s1p: false }, cmd('CFGI_CD', { StreamID: 1 })],
    ['CFGI_CD_ALL without stage 1', { s1p: false }, cmd('CFGI_CD_ALL', { StreamID: 1 })],
    ['TLBI_S2_IPA without stage 2', { s2p: false }, cmd('TLBI_S2_IPA', { VMID: 1, Address: 0x1000n })],
    ['TLBI_S12_VMALL without stage 2', { s2p: false }, cmd('TLBI_S12_VMALL', { VMID: 1 })],
    ['CFGI_VMS_PIDM without MPAM', {}, cmd('CFGI_VMS_PIDM')],
    ['SSec=1 on the NS queue', {}, cmd('CFGI_STE', { StreamID: 1, SSec: 1 })],
  ];
  for (const [what, profile, c] of cases) {
    const k = mkKit({ profile });
    const r = submitCommands(k.dev, [c]);
    t.equal(r.error, 'CERROR_ILL', what);
    t.match(r.errorReason ?? '', /.+/, `${what}: ${r.errorReason}`);
  }
  // And present features are accepted.
  const k = mkKit({ profile: { pri: true } });
  t.equal(
    submitCommands(k.dev, [cmd('PRI_RESP', { StreamID: 1, Resp: 2 }), cmd('TLBI_EL2_ALL'), cmd('RESUME', { StreamID: 1, STAG: 5 })]).error,
    'CERROR_NONE',
  );
  t.end();
});

t.test('illegal field values: reserved range-TLBI encodings, PRI_RESP Resp=0b11, ATC_INV Size>52', (t) => {
  const cases: Array<[string, Partial<SmmuProfile>, bigint[]]> = [
    ['TG!=0 with NUM=SCALE=TTL=0', {}, cmd('TLBI_NH_VA', { VMID: 1, ASID: 1, TG: 1, Address: 0x1000n })],
    ['TLBI_S2_IPA TG!=0 with NUM=SCALE=TTL=0', {}, cmd('TLBI_S2_IPA', { VMID: 1, TG: 3, Address: 0x10000n })],
    // TTL=0b01 is treated as 0b00 (§4.4.1.1): ILLEGAL only as the single-granule form (NUM=0, SCALE=0).
    ['TG=16K TTL=0b01 without DS, NUM=0 SCALE=0', {}, cmd('TLBI_NH_VAA', { VMID: 1, TG: 2, TTL: 1, Address: 0x4000n })],
    ['PRI_RESP Resp=0b11', { pri: true }, cmd('PRI_RESP', { StreamID: 1, Resp: 3 })],
    ['ATC_INV Size=53', {}, cmd('ATC_INV', { StreamID: 1, Size: 53 })],
  ];
  for (const [what, profile, c] of cases) t.equal(submitCommands(mkKit({ profile }).dev, [c]).error, 'CERROR_ILL', what);
  const ok = mkKit();
  t.equal(
    submitCommands(ok.dev, [
      cmd('TLBI_NH_VA', { VMID: 1, ASID: 1, TG: 1, NUM: 3, Address: 0x1000n }),
      cmd('TLBI_NH_VA', { VMID: 1, ASID: 1, TG: 1, TTL: 3, Address: 0x1000n }),
    ]).error,
    'CERROR_NONE',
    'legal range encodings',
  );
  t.end();
});

t.test('emulator-models §7.5: RES0 fields follow the profile policy', (t) => {
  const withRes0 = (c: bigint[]): bigint[] => [c[0] ?? 0n, (c[1] ?? 0n) | (1n << 5n)]; // CFGI_STE dw1[5] undefined
  const ill = mkKit({ profile: { cmdRes0: 'ill' } });
  const r = submitCommands(ill.dev, [withRes0(cmd('CFGI_STE', { StreamID: 1, Leaf: 1 }))]);
  t.equal(r.error, 'CERROR_ILL');
  t.match(r.errorReason, /RES0/);
  const ign = mkKit({ profile: { cmdRes0: 'ignore' } });
  t.equal(submitCommands(ign.dev, [withRes0(cmd('CFGI_STE', { StreamID: 1, Leaf: 1 }))]).error, 'CERROR_NONE');
  // Range fields are RES0 without RIL.
  t.equal(submitCommands(mkKit({ profile: { ril: false } }).dev, [cmd('TLBI_NH_VA', { VMID: 1, NUM: 1, TG: 1, Address: 0x1000n })]).error, 'CERROR_ILL');
  // §4.2/§4.1.7: SSV=1 with SSIDSIZE=0 is CONSTRAINED UNPREDICTABLE (as SSV=0 or no effect), never CERROR_ILL.
  t.equal(
    submitCommands(mkKit({ profile: { ssidSize: 0 } }).dev, [
      cmd('ATC_INV', { StreamID: 1, SSV: 1 }),
      cmd('PREFETCH_CONFIG', { StreamID: 1, SSV: 1, SubstreamID: 3 }),
    ]).error,
    'CERROR_NONE',
  );
  // Out-of-range StreamID is not an error (§4.1.7).
  t.equal(submitCommands(mkKit().dev, [cmd('CFGI_STE', { StreamID: 0xffff_ffff, Leaf: 1 })]).error, 'CERROR_NONE');
  t.end();
});

t.test('every opcode decodes and executes (no CERROR) on the default profile', (t) => {
  const k = mkKit();
  const names: CommandName[] = [
    'PREFETCH_CONFIG',
    'PREFETCH_ADDR',
    'CFGI_STE',
    'CFGI_STE_RANGE',
    'CFGI_CD',
    'CFGI_CD_ALL',
    'TLBI_NH_ALL',
    'TLBI_NH_ASID',
    'TLBI_NH_VA',
    'TLBI_NH_VAA',
    'TLBI_EL2_ALL',
    'TLBI_EL2_ASID',
    'TLBI_EL2_VA',
    'TLBI_EL2_VAA',
    'TLBI_S12_VMALL',
    'TLBI_S2_IPA',
    'TLBI_NSNH_ALL',
    'ATC_INV',
    'RESUME',
    'STALL_TERM',
    'CMD_SYNC',
  ];
  const r = submitCommands(
    k.dev,
    names.map((n) => cmd(n, {})),
  );
  t.equal(r.error, 'CERROR_NONE', r.errorReason ?? '');
  t.same(
    r.executed.map((c) => c.name),
    names,
  );
  t.equal(decodeCommand(cmd('CMD_SYNC')).name, 'CMD_SYNC');
  t.end();
});

t.test('CMDQ_CONS is RO and CMDQ_BASE IGNORED while CMDQEN=1', (t) => {
  const k = mkKit();
  const cons = k.dev.readReg(REG.CMDQ_CONS);
  const base = k.dev.readReg(REG.CMDQ_BASE);
  t.equal(k.dev.writeReg(REG.CMDQ_CONS, 0n), undefined);
  k.dev.writeReg(REG.CMDQ_BASE, 0x1234_0000n);
  t.equal(k.dev.readReg(REG.CMDQ_CONS), cons);
  t.equal(k.dev.readReg(REG.CMDQ_BASE), base);
  t.end();
});

t.test('property: any sequence of batches on a small ring executes every command once, in order', (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 4 }), (sizes, log2) => {
      const k = mkKit({ boot: { cmdqLog2: log2 } });
      let next = 0;
      for (const n of sizes) {
        const batch = Array.from({ length: n }, (_, i) => cmd('TLBI_NH_ASID', { VMID: 0, ASID: next + i }));
        const r = submitCommands(k.dev, batch);
        if (r.error !== 'CERROR_NONE' || r.stalled) return false;
        const got = r.executed.map((c) => Number(c.fields['ASID']));
        if (got.length !== n || got.some((a, i) => a !== next + i)) return false;
        next += n;
      }
      return k.dev.readReg(REG.CMDQ_PROD) === k.dev.readReg(REG.CMDQ_CONS);
    }),
    { numRuns: 40, seed: 1234 },
  );
  t.end();
});

t.test('injected fetch abort (§7.1 CERROR_ABT): CONS.ERR=2 at the slot, untouched; GERRORN ack re-fetches the same slot', (t) => {
  const k = mkKit();
  const start = consOf(k.dev.readReg(REG.CMDQ_CONS)).rd; // boot consumed 4
  k.dev.cmdq.abortFetches(2);
  const r = submitCommands(k.dev, [cmd('TLBI_NSNH_ALL'), sync()]);
  t.equal(r.error, 'CERROR_ABT');
  t.equal(r.errorIndex, start, 'the first fetch aborted');
  t.same(consOf(r.cons), { rd: start, err: 2 });
  t.equal(r.executed.length, 0);
  t.ok(cmdqErrActive(k));
  const slot = k.mem.readWords(k.dev.cmdq.base() + BigInt(start * 16), 2);
  t.same(slot, cmd('TLBI_NSNH_ALL'), 'the entry in memory is not changed by the abort');
  // Ack without rewriting (as Linux does for ABT): the same slot is fetched again and aborts once more.
  const ack1 = k.dev.writeReg(REG.GERRORN, k.dev.readReg(REG.GERROR));
  t.equal(ack1?.error, 'CERROR_ABT', 'second injected abort on the re-fetch');
  t.same(consOf(k.dev.readReg(REG.CMDQ_CONS)), { rd: start, err: 2 });
  const ack2 = k.dev.writeReg(REG.GERRORN, k.dev.readReg(REG.GERROR));
  t.equal(ack2?.error, 'CERROR_NONE');
  t.same(
    ack2?.executed.map((c) => c.name),
    ['TLBI_NSNH_ALL', 'CMD_SYNC'],
    'the same slot re-fetched and executed',
  );
  t.equal(k.dev.cmdq.fetchAbortsPending, 0, 'the injection is used up');
  t.notOk(cmdqErrActive(k));
  t.end();
});
