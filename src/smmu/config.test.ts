/**
 * Configuration lookup: every C_BAD_STE / C_BAD_CD / C_BAD_SUBSTREAMID / F_STREAM_DISABLED /
 * C_BAD_STREAMID condition implemented (errata B.1, B.2, B.10; linux §4.2 trigger reminders;
 * emulator-models §3.1 and §7 items 7-12), one test each, with the event record compared field by
 * field (every field of the record's codec).
 */
import t, { type Test } from 'tap';
import { type EventName, decodeEvent, encodeEvent, eventInfo } from '../arch/event.ts';
import type { FieldInput } from '../arch/fields.ts';
import { CR0, REG, STRTAB_BASE, STRTAB_BASE_CFG } from '../arch/registers.ts';
import { STE } from '../arch/ste.ts';
import { installSte } from './boot.ts';
import type { TransactionRequest } from './transaction.ts';
import type { SmmuProfile } from './profile.ts';
import { CD_ILLEGAL_IDS, type IllegalId, STE_ILLEGAL_IDS } from './config-checks.ts';
import { type Kit, cdS1, events, mapPage, mkKit, steNested, steS1, steS2, table } from './testkit.ts';
import { L1CD } from '../arch/cd.ts';

type Tap = Test;
const one = (v: bigint[]): bigint => v[0] ?? 0n;

/**
 * Run one transaction; expect an abort with exactly `name`, recorded, equal field by field, and
 * for C_BAD_STE / C_BAD_CD the stable id of the ILLEGAL rule that fired.
 */
function expectEvent(t: Tap, k: Kit, req: TransactionRequest, name: EventName, fields: FieldInput, what: string, id?: IllegalId): void {
  const r = k.dev.transaction(req);
  t.equal(r.kind, 'aborted', `${what}: aborted`);
  if (r.kind === 'aborted') t.equal(r.event, name, `${what}: ${r.reason ?? ''}`);
  if (id !== undefined) t.equal(r.kind === 'aborted' ? r.reasonId : undefined, id, `${what}: reason id`);
  const got = events(k.dev);
  t.equal(got.length, 1, `${what}: one record`);
  const want = eventInfo(name).codec.decode(encodeEvent(name, fields));
  t.same(got[0]?.fields, want, `${what}: record fields`);
}

const req = (sid: number, extra: Partial<TransactionRequest> = {}): TransactionRequest => ({ sid, iova: 0x1000n, access: 'read', ...extra });
const CDP = 0x2000_0000n;
const S2TTB = 0x3000_0000n;

const badSte: Array<[string, IllegalId, Partial<SmmuProfile>, bigint[]]> = [
  ['V=0', 'STE_V0', {}, STE.encode({ V: 0, Config: 5 })],
  ['Config=S1 with IDR0.S1P=0', 'STE_S1_WITHOUT_S1P', { s1p: false }, steS1({ S1ContextPtr: CDP })],
  ['Config=S2 with IDR0.S2P=0', 'STE_S2_WITHOUT_S2P', { s2p: false }, steS2(S2TTB)],
  ['EATS=0b10 without Config=0b111', 'STE_EATS_SPLIT_STAGE', {}, steS1({ S1ContextPtr: CDP, EATS: 2 })],
  ['EATS=0b01 with stage 2 and S2S=1', 'STE_EATS_WITH_S2S', {}, steS2(S2TTB, { EATS: 1, S2S: 1 })],
  ['STRW=0b01 reserved', 'STE_STRW_RESERVED', {}, steS1({ S1ContextPtr: CDP, STRW: 1 })],
  ['STRW=0b11 reserved', 'STE_STRW_RESERVED', {}, steS1({ S1ContextPtr: CDP, STRW: 3 })],
  ['S1STALLD=1 with STALL_MODEL=0b01', 'STE_S1STALLD_STALL_MODEL', { stallModel: 1 }, steS1({ S1ContextPtr: CDP, S1STALLD: 1 })],
  ['S1CDMax > SSIDSIZE', 'STE_S1CDMAX_SSIDSIZE', { ssidSize: 4 }, steS1({ S1ContextPtr: CDP, S1CDMax: 5 })],
  ['S1Fmt=2-level with CD2L=0', 'STE_S1FMT_CD2L', { cd2l: false }, steS1({ S1ContextPtr: CDP, S1CDMax: 4, S1Fmt: 2 })],
  ['S1ContextPtr beyond OAS', 'STE_S1CONTEXTPTR_RANGE', {}, steS1({ S1ContextPtr: 1n << 48n })],
  ['S1ContextPtr beyond IAS (nested)', 'STE_S1CONTEXTPTR_RANGE', { oas: 40 }, steNested(S2TTB, { S1ContextPtr: 1n << 41n })],
  ['S2S=1 with STALL_MODEL=0b01', 'STE_S2S_STALL_UNSUPPORTED', { stallModel: 1 }, steS2(S2TTB, { S2S: 1 })],
  ['S2S=0 with STALL_MODEL=0b10', 'STE_S2S_STALL_FORCED', { stallModel: 2 }, steS2(S2TTB, { S2S: 0 })],
  ['S2AA64=0 with TTF=AArch64 only (emulator-models §7.12)', 'STE_S2AA64_NO_AARCH32', {}, steS2(S2TTB, { S2AA64: 0 })],
  ['S2AA64=1 with TTF=AArch32 only', 'STE_S2AA64_NO_AARCH64', { ttf: 1 }, steS2(S2TTB)],
  ['S2HA=1 with HTTU=0', 'STE_S2HA_S2HD_HTTU', {}, steS2(S2TTB, { S2HA: 1 })],
  ['S2HD=1 with HTTU=0b01', 'STE_S2HD_AF_ONLY', { httu: 1 }, steS2(S2TTB, { S2HA: 1, S2HD: 1 })],
  ['S2HAFT=1 with S2HA=0', 'STE_S2HAFT_WITHOUT_S2HA', { httu: 3 }, steS2(S2TTB, { S2HAFT: 1 })],
  ['S2HA=1 with an AArch32 stage 2', 'STE_S2HA_S2HD_HTTU', { ttf: 3, httu: 2 }, steS2(S2TTB, { S2AA64: 0, S2HA: 1 })],
  ['S2FWB=1 with an AArch32 stage 2', 'STE_S2FWB_AARCH32', { ttf: 3 }, steS2(S2TTB, { S2AA64: 0, S2FWB: 1 })],
  ['S2TG=0b11 reserved', 'STE_S2TG_RESERVED', {}, steS2(S2TTB, { S2TG: 3 })],
  ['S2TG selects an unsupported granule', 'STE_S2TG_UNSUPPORTED', { granules: ['4k'] }, steS2(S2TTB, { S2TG: 1, S2SL0: 1, S2T0SZ: 25 })],
  ['S2TTB outside the effective S2PS', 'STE_S2TTB_S2PS', {}, steS2(1n << 33n, { S2PS: 0 })],
  ['S2TTB above 48 bits with 4KB and S2DS=0', 'STE_S2TTB_ABOVE_48', { oas: 52 }, steS2(1n << 49n, { S2PS: 6 })],
  ['S2T0SZ below the minimum', 'STE_S2T0SZ_RANGE', {}, steS2(S2TTB, { S2T0SZ: 15 })],
  ['S2T0SZ above 39', 'STE_S2T0SZ_RANGE', {}, steS2(S2TTB, { S2T0SZ: 40 })],
  ['S2SL0 inconsistent with S2T0SZ', 'STE_S2SL0_INCONSISTENT', {}, steS2(S2TTB, { S2T0SZ: 25, S2SL0: 0 })],
  ['S2SL0=0b11 reserved with 4KB', 'STE_S2SL0_RESERVED', {}, steS2(S2TTB, { S2T0SZ: 25, S2SL0: 3 })],
  [
    'S2SL0=0b10 (level 0) with 4KB and OAS 40 < 44 (Arm ARM AArch64.S2InvalidSL)',
    'STE_S2SL0_RESERVED',
    { oas: 40 },
    steS2(S2TTB, { S2T0SZ: 24, S2SL0: 2, S2PS: 2 }),
  ],
  ['S2SL0=0b10 (level 1) with 16KB and OAS 40 < 42', 'STE_S2SL0_RESERVED', { oas: 40 }, steS2(S2TTB, { S2TG: 2, S2T0SZ: 24, S2SL0: 2, S2PS: 2 })],
  ['S2ENDI=1 with TTENDIAN=LE', 'STE_S2ENDI_TTENDIAN', { ttendian: 2 }, steS2(S2TTB, { S2ENDI: 1 })],
  ['S2VMID[15:8]!=0 with VMID16=0', 'STE_S2VMID_VMID16', { vmid16: false }, steS2(S2TTB, { S2VMID: 0x100 })],
  ['S2VMID[15:8]!=0 with VMID16=0 on an S1-only EL1 stream', 'STE_S2VMID_VMID16', { vmid16: false }, steS1({ S1ContextPtr: CDP, S2VMID: 0x100 })],
];

t.test('C_BAD_STE: every ILLEGAL STE condition (errata B.1)', (t) => {
  for (const [what, id, profile, ste] of badSte) {
    const k = mkKit({ profile });
    installSte(k.dev, 1, ste);
    expectEvent(t, k, req(1), 'C_BAD_STE', { StreamID: 1 }, what, id);
  }
  t.same(
    STE_ILLEGAL_IDS.filter((id) => !badSte.some((c) => c[1] === id)),
    [],
    'every STE ILLEGAL rule has a case',
  );
  t.end();
});

t.test('legal controls: base STEs are not C_BAD_STE', (t) => {
  const k = mkKit();
  installSte(k.dev, 1, steS1({ S1ContextPtr: CDP }));
  const r = k.dev.transaction(req(1));
  t.equal(r.kind === 'aborted' && r.event, 'F_CD_FETCH', 'S1 base reaches the CD fetch');
  installSte(k.dev, 2, steS2(S2TTB));
  const r2 = k.dev.transaction(req(2));
  t.equal(r2.kind === 'aborted' && r2.event, 'F_WALK_EABT', 'S2 base reaches the walk');
  const oas44 = mkKit({ profile: { oas: 44 } });
  installSte(oas44.dev, 3, steS2(S2TTB, { S2T0SZ: 24, S2SL0: 2, S2PS: 4 }));
  const r4 = oas44.dev.transaction(req(3));
  t.equal(r4.kind === 'aborted' && r4.event, 'F_WALK_EABT', '4KB level-0 start is legal with OAS 44');
  const oas40 = mkKit({ profile: { oas: 40 } });
  installSte(oas40.dev, 3, steS2(S2TTB, { S2T0SZ: 24, S2SL0: 1, S2PS: 2 }));
  const r5 = oas40.dev.transaction(req(3));
  t.equal(r5.kind === 'aborted' && r5.event, 'F_WALK_EABT', '4KB level-1 start (2 concatenated tables) is legal with OAS 40');
  const nohyp = mkKit({ profile: { hyp: false } });
  installSte(nohyp.dev, 1, steS1({ S1ContextPtr: CDP, STRW: 3 }));
  const r3 = nohyp.dev.transaction(req(1));
  t.equal(r3.kind === 'aborted' && r3.event, 'F_CD_FETCH', 'STRW is RES0 (not checked) without IDR0.HYP');
  t.end();
});

t.test('STE.Config 0b000-0b011: silent abort, no event', (t) => {
  const k = mkKit();
  for (const c of [0, 1, 2, 3]) {
    installSte(k.dev, 1, STE.encode({ V: 1, Config: c }));
    k.dev.writeReg(REG.CMDQ_PROD, k.dev.readReg(REG.CMDQ_PROD));
    k.dev.cfgCache.invalidateAll();
    const r = k.dev.transaction(req(1));
    t.same(r.kind === 'aborted' && [r.silent, r.event], [true, undefined], `Config=${c}`);
  }
  t.equal(events(k.dev).length, 0);
  t.end();
});

t.test('bypass with input above OAS: F_ADDR_SIZE S2=0 CLASS=IN (errata B.8)', (t) => {
  const k = mkKit();
  installSte(k.dev, 1, STE.encode({ V: 1, Config: 4 }));
  t.same(k.dev.transaction(req(1, { iova: 0xffff_0000n })), { kind: 'translated', pa: 0xffff_0000n, stages: 'bypass' });
  expectEvent(
    t,
    k,
    req(1, { iova: 1n << 48n, access: 'write' }),
    'F_ADDR_SIZE',
    { StreamID: 1, InputAddr: 1n << 48n, RnW: 0, S2: 0, CLASS: 2 },
    'bypass above OAS',
  );
  t.end();
});

t.test('SMMUEN=0: GBPA abort or bypass, no events', (t) => {
  const k = mkKit();
  const cr0 = k.dev.readReg(REG.CR0);
  k.dev.writeReg(REG.CR0, one(CR0.encode({ SMMUEN: 0 }, [cr0])));
  t.same(k.dev.transaction(req(7)), { kind: 'translated', pa: 0x1000n, stages: 'bypass' });
  k.dev.writeReg(REG.GBPA, 1n << 20n); // UPDATE=0: ignored
  t.equal(k.dev.readReg(REG.GBPA), 0n, 'GBPA write without UPDATE is ignored');
  k.dev.writeReg(REG.GBPA, (1n << 31n) | (1n << 20n));
  t.equal(k.dev.readReg(REG.GBPA), 1n << 20n, 'UPDATE completes at once and reads 0');
  const r = k.dev.transaction(req(7));
  t.ok(r.kind === 'aborted' && r.silent);
  t.equal(events(k.dev).length, 0);
  t.end();
});

/** A kit with a valid S1 CD table: linear (S1CDMax given) or single CD. */
function s1Kit(opts: { profile?: Partial<SmmuProfile>; ste?: FieldInput; cd?: FieldInput; cdmax?: number } = {}): Kit & { cdBase: bigint } {
  const k = mkKit(opts.profile ? { profile: opts.profile } : {});
  const root = table(k.alloc);
  mapPage(k.mem, k.alloc, root, 0x1000n, 0x5000_0000n, 1);
  const count = 2 ** (opts.cdmax ?? 0);
  const cdBase = k.alloc.alloc(64 * count, Math.max(64, 64 * count));
  for (let i = 0; i < count; i++) k.mem.writeWords(cdBase + BigInt(64 * i), cdS1(root, { ASID: i + 1, ...opts.cd }));
  installSte(k.dev, 1, steS1({ S1ContextPtr: cdBase, S1CDMax: opts.cdmax ?? 0, ...opts.ste }));
  return { ...k, cdBase };
}

const badCd: Array<[string, IllegalId, Partial<SmmuProfile>, FieldInput, FieldInput]> = [
  ['CD.V=0', 'CD_V0', {}, {}, { V: 0 }],
  ['CD.S=1 with STE.S1STALLD=1', 'CD_S_WITH_S1STALLD', {}, { S1STALLD: 1 }, { S: 1 }],
  ['CD.S=1 with STALL_MODEL=0b01', 'CD_S_STALL_UNSUPPORTED', { stallModel: 1 }, {}, { S: 1 }],
  ['CD.S=0 with STALL_MODEL=0b10', 'CD_S_STALL_FORCED', { stallModel: 2 }, {}, { S: 0 }],
  ['CD.A=0 with TERM_MODEL=1', 'CD_A_TERM_MODEL', { termModel: true }, {}, { A: 0 }],
  ['CD.ENDI=1 with TTENDIAN=LE', 'CD_ENDI_TTENDIAN', { ttendian: 2 }, {}, { ENDI: 1 }],
  ['CD.AA64=0 with TTF=AArch64 only', 'CD_AA64_NO_AARCH32', {}, {}, { AA64: 0 }],
  ['CD.AA64=1 with TTF=AArch32 only', 'CD_AA64_NO_AARCH64', { ttf: 1 }, {}, { AA64: 1 }],
  ['CD.HA=1 with HTTU=0', 'CD_HA_HTTU', {}, {}, { HA: 1 }],
  ['CD.HD=1 with HTTU=0b01', 'CD_HD_HTTU', { httu: 1 }, {}, { HA: 1, HD: 1 }],
  ['CD.HAFT=1 with HA=0', 'CD_HAFT_WITHOUT_HA', { httu: 3 }, {}, { HAFT: 1 }],
  ['CD.ASID[15:8]!=0 with ASID16=0', 'CD_ASID_ASID16', { asid16: false }, {}, { ASID: 0x100 }],
  ['CD.T0SZ below 16', 'CD_TSZ_RANGE', {}, {}, { T0SZ: 15 }],
  ['CD.T0SZ above 39', 'CD_TSZ_RANGE', {}, {}, { T0SZ: 40 }],
  ['CD.TG0=0b11 reserved', 'CD_TG_RESERVED', {}, {}, { TG0: 3 }],
  ['CD.TG0 selects an unsupported granule', 'CD_TG_UNSUPPORTED', { granules: ['4k'] }, {}, { TG0: 1 }],
  ['CD.TTB0 outside the effective IPS', 'CD_TTB_IPS', {}, {}, { IPS: 0, TTB0: 1n << 33n }],
  ['CD.TTB0 above 48 bits with 4KB and DS=0', 'CD_TTB_ABOVE_48', { oas: 52 }, {}, { IPS: 6, TTB0: 1n << 49n }],
  ['CD.TG1=0b00 reserved with EPD1=0', 'CD_TG_RESERVED', {}, {}, { EPD1: 0, TG1: 0 }],
  ['CD.T1SZ out of range with EPD1=0', 'CD_TSZ_RANGE', {}, {}, { EPD1: 0, T1SZ: 50 }],
];

t.test('C_BAD_CD: every ILLEGAL CD condition (errata B.2)', (t) => {
  for (const [what, id, profile, ste, cd] of badCd) {
    const k = s1Kit({ profile, ste, cd });
    expectEvent(t, k, req(1), 'C_BAD_CD', { StreamID: 1, SSV: 0 }, what, id);
  }
  t.same(
    CD_ILLEGAL_IDS.filter((id) => !badCd.some((c) => c[1] === id)),
    [],
    'every CD ILLEGAL rule has a case',
  );
  const ok = s1Kit({ cd: { EPD1: 1, TG1: 0, T1SZ: 50 } });
  t.equal(ok.dev.transaction(req(1)).kind, 'translated', 'a disabled half (EPD1=1) is not checked');
  const ipsMax = s1Kit({ cd: { IPS: 7 } });
  t.equal(ipsMax.dev.transaction(req(1)).kind, 'translated', 'emulator-models §7.12: CD.IPS=0b111 is capped to OAS, no error');
  t.end();
});

t.test('decoded STEs/CDs are reused only for the same words: a new STE re-checks an unchanged CD (DecodeMemo)', (t) => {
  // CD.S=1 is legal under an STE with S1STALLD=0 and ILLEGAL under S1STALLD=1 (§5.4.2): the
  // CD's words never change, the STE's do, so the CD verdict must follow the STE in force.
  const k = s1Kit({ cd: { S: 1 } });
  t.equal(k.dev.transaction(req(1)).kind, 'translated', 'S1STALLD=0: CD.S=1 is legal');
  installSte(k.dev, 1, steS1({ S1ContextPtr: k.cdBase, S1STALLD: 1 }));
  k.dev.cfgCache.invalidateAll(); // as CFGI_ALL + CMD_SYNC
  expectEvent(t, k, req(1), 'C_BAD_CD', { StreamID: 1, SSV: 0 }, 'S1STALLD=1 with the same CD', 'CD_S_WITH_S1STALLD');
  installSte(k.dev, 1, steS1({ S1ContextPtr: k.cdBase }));
  events(k.dev);
  t.equal(k.dev.transaction(req(1)).kind, 'aborted', 'the STE with S1STALLD=1 stays cached until invalidated (policy max)');
  k.dev.cfgCache.invalidateAll();
  t.equal(k.dev.transaction(req(1)).kind, 'translated', 'after the invalidation the S1STALLD=0 STE is back in force');
  t.end();
});

t.test('C_BAD_CD with a SubstreamID records SSV=1 and the SubstreamID', (t) => {
  const k = s1Kit({ cdmax: 2, cd: { V: 0 } });
  expectEvent(t, k, req(1, { ssid: 3 }), 'C_BAD_CD', { StreamID: 1, SSV: 1, SubstreamID: 3 }, 'SSID 3');
  t.end();
});

t.test('C_BAD_SUBSTREAMID conditions (linux §4.2, errata rows 9, 15, 25)', (t) => {
  const k = s1Kit({ cdmax: 0 });
  expectEvent(t, k, req(1, { ssid: 1 }), 'C_BAD_SUBSTREAMID', { StreamID: 1, SubstreamID: 1 }, 'SSID with S1CDMax=0');
  const k2 = s1Kit({ cdmax: 2 });
  expectEvent(t, k2, req(1, { ssid: 4 }), 'C_BAD_SUBSTREAMID', { StreamID: 1, SubstreamID: 4 }, 'SSID >= 2^S1CDMax');
  t.equal(k2.dev.transaction(req(1, { ssid: 3 })).kind, 'translated', 'SSID 3 < 2^2 translates');
  const k3 = mkKit();
  installSte(k3.dev, 1, steS2(S2TTB));
  expectEvent(t, k3, req(1, { ssid: 1 }), 'C_BAD_SUBSTREAMID', { StreamID: 1, SubstreamID: 1 }, 'SSID with stage 1 disabled');
  installSte(k3.dev, 2, STE.encode({ V: 1, Config: 4 }));
  expectEvent(t, k3, req(2, { ssid: 5 }), 'C_BAD_SUBSTREAMID', { StreamID: 2, SubstreamID: 5 }, 'SSID on a bypass STE');
  const k4 = s1Kit({ profile: { ssidSize: 0 } });
  expectEvent(t, k4, req(1, { ssid: 0 }), 'C_BAD_SUBSTREAMID', { StreamID: 1, SubstreamID: 0 }, 'SSID with SSIDSIZE=0');
  t.end();
});

/** Two-level CD table (S1Fmt=0b01, 64 CDs per L2) with L1CD[0] valid and L1CD[1] invalid. */
function cd2Kit(s1dss = 0): Kit & { l1: bigint } {
  const k = mkKit();
  const root = table(k.alloc);
  mapPage(k.mem, k.alloc, root, 0x1000n, 0x5000_0000n, 1);
  const l1 = k.alloc.alloc(64, 64);
  const l2 = k.alloc.alloc(4096, 4096);
  for (let i = 0; i < 64; i++) k.mem.writeWords(l2 + BigInt(64 * i), cdS1(root, { ASID: i }));
  k.mem.write64(l1, one(L1CD.encode({ V: 1, L2Ptr: l2 })));
  installSte(k.dev, 1, steS1({ S1ContextPtr: l1, S1CDMax: 7, S1Fmt: 1, S1DSS: s1dss }));
  return { ...k, l1 };
}

t.test('2-level CD tables: L1CD.V=0 and out-of-range L2Ptr give C_BAD_SUBSTREAMID', (t) => {
  const k = cd2Kit();
  t.equal(k.dev.transaction(req(1, { ssid: 63 })).kind, 'translated', 'L1CD[0] covers SSIDs 0-63');
  expectEvent(t, k, req(1, { ssid: 64 }), 'C_BAD_SUBSTREAMID', { StreamID: 1, SubstreamID: 64 }, 'L1CD[1].V=0');
  k.mem.write64(k.l1 + 8n, one(L1CD.encode({ V: 1, L2Ptr: 1n << 50n })));
  expectEvent(t, k, req(1, { ssid: 70 }), 'C_BAD_SUBSTREAMID', { StreamID: 1, SubstreamID: 70 }, 'L1CD.L2Ptr beyond OAS');
  const k2 = cd2Kit(2);
  k2.mem.write64(k2.l1, 0n);
  expectEvent(t, k2, req(1), 'C_BAD_SUBSTREAMID', { StreamID: 1, SubstreamID: 0 }, 'no SSID with S1DSS=0b10 and L1CD[0].V=0 records SubstreamID 0');
  t.end();
});

t.test('F_STREAM_DISABLED conditions (errata row 3)', (t) => {
  expectEvent(t, s1Kit({ cdmax: 2, ste: { S1DSS: 0 } }), req(1), 'F_STREAM_DISABLED', { StreamID: 1 }, 'no SSID, S1DSS=terminate');
  expectEvent(t, s1Kit({ cdmax: 2, ste: { S1DSS: 3 } }), req(1), 'F_STREAM_DISABLED', { StreamID: 1 }, 'no SSID, S1DSS=0b11 behaves as terminate');
  expectEvent(t, s1Kit({ cdmax: 2, ste: { S1DSS: 2 } }), req(1, { ssid: 0 }), 'F_STREAM_DISABLED', { StreamID: 1 }, 'SSID 0 with S1DSS=SUBSTREAM0');
  const bypass = s1Kit({ cdmax: 2, ste: { S1DSS: 1 } });
  t.same(bypass.dev.transaction(req(1, { iova: 0x9000n })), { kind: 'translated', pa: 0x9000n, stages: 'bypass' }, 'S1DSS=bypass: stage 1 skipped');
  const cd0 = s1Kit({ cdmax: 2, ste: { S1DSS: 2 } });
  t.same(cd0.dev.transaction(req(1)), { kind: 'translated', pa: 0x5000_0000n, stages: 's1' }, 'S1DSS=SUBSTREAM0: CD 0 used');
  t.end();
});

t.test('emulator-models §7.11: S1CDMax!=0 with SSIDSIZE=0 is IGNORED (one CD, no C_BAD_STE)', (t) => {
  const k = s1Kit({ profile: { ssidSize: 0 }, ste: { S1CDMax: 3, S1Fmt: 2 } });
  t.same(k.dev.transaction(req(1)), { kind: 'translated', pa: 0x5000_0000n, stages: 's1' });
  t.end();
});

t.test('emulator-models §7.8: C_BAD_STREAMID recorded only with CR2.RECINVSID=1', (t) => {
  const k = mkKit({ boot: { sidBits: 4 } });
  expectEvent(t, k, req(16), 'C_BAD_STREAMID', { StreamID: 16 }, 'SID >= 2^LOG2SIZE');
  const quiet = mkKit({ boot: { sidBits: 4, recinvsid: false } });
  const r = quiet.dev.transaction(req(16));
  t.same(r.kind === 'aborted' && [r.event, r.recorded], ['C_BAD_STREAMID', false], 'aborted, not recorded');
  t.equal(events(quiet.dev).length, 0);
  t.end();
});

t.test('emulator-models §7.7: L1STD Span rules give C_BAD_STREAMID', (t) => {
  const k = mkKit({ boot: { strtab: '2level', split: 6, sidBits: 10 } });
  const base = STRTAB_BASE.get([k.dev.readReg(REG.STRTAB_BASE)], 'ADDR');
  const l2 = k.alloc.alloc(4096, 4096);
  const bad = (sid: number, span: number, what: string): void => {
    k.mem.write64(base + BigInt(Math.floor(sid / 64) * 8), one(STE.normalise([BigInt(span) | l2])));
    k.dev.cfgCache.invalidateAll();
    expectEvent(t, k, req(sid), 'C_BAD_STREAMID', { StreamID: sid }, what);
  };
  bad(64, 0, 'Span=0 (invalid L1STD)');
  bad(128, 12, 'Span=12 (reserved)');
  bad(192, 8, 'Span > SPLIT+1');
  bad(258, 2, 'StreamID beyond the Span (2 STEs)');
  installSte(k.dev, 400, STE.encode({ V: 1, Config: 4 }));
  t.equal(k.dev.transaction(req(400)).kind, 'translated', 'installSte creates a full L2 (Span=SPLIT+1)');
  t.end();
});

t.test('F_STE_FETCH: unbacked L1STD and unbacked STE, FetchAddr recorded', (t) => {
  const k = mkKit({ boot: { strtab: '2level', split: 6, sidBits: 10 } });
  const base = STRTAB_BASE.get([k.dev.readReg(REG.STRTAB_BASE)], 'ADDR');
  const l2 = 0x7700_0000n; // never backed
  k.mem.write64(base + 8n, l2 | 7n); // L1STD[1]: Span 7 (64 STEs)
  expectEvent(t, k, req(65), 'F_STE_FETCH', { StreamID: 65, FetchAddr: l2 + 64n }, 'STE fetch abort');
  k.mem.unback(base, 4096);
  expectEvent(t, k, req(130), 'F_STE_FETCH', { StreamID: 130, FetchAddr: base + 16n }, 'L1STD fetch abort');
  t.end();
});

t.test('§3.4.3: an STE address above the OAS (L1STD.L2Ptr) gives F_STE_FETCH even if that memory is backed', (t) => {
  const k = mkKit({ profile: { oas: 40 }, boot: { strtab: '2level', split: 6, sidBits: 10 } });
  const base = STRTAB_BASE.get([k.dev.readReg(REG.STRTAB_BASE)], 'ADDR');
  const l2 = 1n << 41n;
  k.mem.writeWords(l2 + 64n, STE.encode({ V: 1, Config: 4 }));
  k.mem.write64(base + 8n, l2 | 7n);
  expectEvent(t, k, req(65), 'F_STE_FETCH', { StreamID: 65, FetchAddr: l2 + 64n }, 'out-of-range STE address');
  t.end();
});

t.test('§3.4: SMMUEN=0 bypass with an input above the OAS aborts without an event', (t) => {
  const k = mkKit();
  k.dev.writeReg(REG.CR0, one(CR0.encode({ SMMUEN: 0 }, [k.dev.readReg(REG.CR0)])));
  t.same(k.dev.transaction(req(7, { iova: (1n << 48n) - 4096n })).kind, 'translated');
  const r = k.dev.transaction(req(7, { iova: 1n << 48n }));
  t.ok(r.kind === 'aborted' && r.silent, 'aborted silently');
  t.equal(events(k.dev).length, 0);
  t.end();
});

t.test('§3.4: stage-1 bypass (S1DSS=0b01) with IAS 40 > OAS 36: checked against the IAS, then truncated to the OAS', (t) => {
  const k = mkKit({ profile: { ttf: 3, oas: 36 } });
  installSte(k.dev, 1, steS1({ S1ContextPtr: 0x1000_0000n, S1CDMax: 2, S1DSS: 1 }));
  t.same(k.dev.transaction(req(1, { iova: (1n << 37n) | 0x1000n })), { kind: 'translated', pa: 0x1000n, stages: 'bypass' });
  const r = k.dev.transaction(req(1, { iova: 1n << 40n }));
  t.same(r.kind === 'aborted' && r.event, 'F_ADDR_SIZE', 'above the IAS: F_ADDR_SIZE');
  t.end();
});

t.test('F_CD_FETCH: unbacked CD, FetchAddr recorded', (t) => {
  const k = mkKit();
  installSte(k.dev, 1, steS1({ S1ContextPtr: 0x6600_0040n }));
  expectEvent(t, k, req(1), 'F_CD_FETCH', { StreamID: 1, SSV: 0, FetchAddr: 0x6600_0040n }, 'CD fetch abort');
  t.end();
});

t.test('nested CD fetch through stage 2: S2 fault → S2=1 CLASS=CD IPA=CD address; S2R=0 suppresses', (t) => {
  for (const s2r of [1, 0]) {
    const k = mkKit();
    const s2root = table(k.alloc);
    const cdIpa = 0x4000_2040n; // not mapped at stage 2
    installSte(k.dev, 1, steNested(s2root, { S1ContextPtr: cdIpa, S2R: s2r }));
    if (s2r === 1) {
      expectEvent(
        t,
        k,
        req(1, { iova: 0x1234n, access: 'write' }),
        'F_TRANSLATION',
        { StreamID: 1, SSV: 0, S2: 1, CLASS: 0, IPA: 0x4000_2000n, InputAddr: 0x1234n, RnW: 0 },
        'S2 translation fault on the CD IPA',
      );
    } else {
      const r = k.dev.transaction(req(1));
      t.same(r.kind === 'aborted' && [r.event, r.recorded], ['F_TRANSLATION', false], 'S2R=0: aborted, not recorded');
      t.equal(events(k.dev).length, 0);
    }
  }
  // Mapped at S2 but the PA is unbacked → F_CD_FETCH with the PA.
  const k = mkKit();
  const s2root = table(k.alloc);
  mapPage(k.mem, k.alloc, s2root, 0x4000_2000n, 0x7100_0000n, 2);
  installSte(k.dev, 1, steNested(s2root, { S1ContextPtr: 0x4000_2040n }));
  expectEvent(t, k, req(1), 'F_CD_FETCH', { StreamID: 1, SSV: 0, FetchAddr: 0x7100_0040n }, 'CD PA unbacked');
  t.end();
});

t.test('event priority: C_BAD_STE before C_BAD_SUBSTREAMID; C_BAD_SUBSTREAMID before CD fetch', (t) => {
  const k = mkKit();
  installSte(k.dev, 1, steS1({ S1ContextPtr: CDP, STRW: 1 }));
  expectEvent(t, k, req(1, { ssid: 9 }), 'C_BAD_STE', { StreamID: 1, SSV: 1, SubstreamID: 9 }, 'ILLEGAL STE wins over bad SSID (SSV=1, §7.3.5)');
  installSte(k.dev, 2, steS1({ S1ContextPtr: 0x6600_0000n }));
  expectEvent(t, k, req(2, { ssid: 9 }), 'C_BAD_SUBSTREAMID', { StreamID: 2, SubstreamID: 9 }, 'bad SSID wins over an unbacked CD');
  t.end();
});

t.test('PRIVCFG/INSTCFG overrides: events report post-override PnU/InD; InD=0 on writes (errata B.7, row 26)', (t) => {
  const k = s1Kit({ ste: { PRIVCFG: 3, INSTCFG: 3 } });
  expectEvent(
    t,
    k,
    req(1, { iova: 0x7000n }),
    'F_TRANSLATION',
    { StreamID: 1, SSV: 0, PnU: 1, InD: 1, RnW: 1, CLASS: 2, InputAddr: 0x7000n },
    'read → privileged instruction',
  );
  expectEvent(
    t,
    k,
    req(1, { iova: 0x7000n, access: 'write' }),
    'F_TRANSLATION',
    { StreamID: 1, SSV: 0, PnU: 1, InD: 0, RnW: 0, CLASS: 2, InputAddr: 0x7000n },
    'write: InD forced 0',
  );
  const k2 = s1Kit({ ste: { PRIVCFG: 2, INSTCFG: 2 } });
  expectEvent(
    t,
    k2,
    req(1, { iova: 0x7000n, access: 'exec', privileged: true }),
    'F_TRANSLATION',
    { StreamID: 1, SSV: 0, PnU: 0, InD: 0, RnW: 1, CLASS: 2, InputAddr: 0x7000n },
    'exec → unprivileged data',
  );
  t.end();
});

t.test('§5.2 PRIVCFG/INSTCFG are RES0 without IDR1.ATTR_PERMS_OVR: the incoming PnU/InD are used', (t) => {
  const k = s1Kit({ profile: { attrPermsOvr: false }, ste: { PRIVCFG: 3, INSTCFG: 3 } });
  expectEvent(
    t,
    k,
    req(1, { iova: 0x7000n }),
    'F_TRANSLATION',
    { StreamID: 1, SSV: 0, PnU: 0, InD: 0, RnW: 1, CLASS: 2, InputAddr: 0x7000n },
    'overrides ignored',
  );
  t.end();
});

t.test('emulator-models §7.9: STRTAB_BASE_CFG.FMT back to linear is honoured; writes ignored while enabled', (t) => {
  const k = mkKit({ boot: { strtab: '2level', split: 6, sidBits: 8 } });
  installSte(k.dev, 5, STE.encode({ V: 1, Config: 4 }));
  t.equal(k.dev.transaction(req(5)).kind, 'translated');
  const cfg = k.dev.readReg(REG.STRTAB_BASE_CFG);
  k.dev.writeReg(REG.STRTAB_BASE_CFG, one(STRTAB_BASE_CFG.encode({ FMT: 0, LOG2SIZE: 8 })));
  t.equal(k.dev.readReg(REG.STRTAB_BASE_CFG), cfg, 'IGNORED while SMMUEN=1');
  const cr0 = k.dev.readReg(REG.CR0);
  k.dev.writeReg(REG.CR0, one(CR0.encode({ SMMUEN: 0 }, [cr0])));
  const lin = k.alloc.alloc(64 * 256, 64 * 256);
  k.mem.writeWords(lin + 5n * 64n, STE.encode({ V: 1, Config: 0 }));
  k.dev.writeReg(REG.STRTAB_BASE, one(STRTAB_BASE.encode({ ADDR: lin })));
  k.dev.writeReg(REG.STRTAB_BASE_CFG, one(STRTAB_BASE_CFG.encode({ FMT: 0, LOG2SIZE: 8 })));
  k.dev.writeReg(REG.CR0, cr0);
  k.dev.cfgCache.invalidateAll();
  const r = k.dev.transaction(req(5));
  t.ok(r.kind === 'aborted' && r.silent, 'the linear table (Config=abort) is used now');
  t.end();
});

t.test('emulator-models §7.10: base alignment: low STRTAB_BASE bits are ignored', (t) => {
  const k = mkKit({ boot: { sidBits: 4 } });
  installSte(k.dev, 3, STE.encode({ V: 1, Config: 4 }));
  const cr0 = k.dev.readReg(REG.CR0);
  k.dev.writeReg(REG.CR0, one(CR0.encode({ SMMUEN: 0 }, [cr0])));
  const base = STRTAB_BASE.get([k.dev.readReg(REG.STRTAB_BASE)], 'ADDR');
  k.dev.writeReg(REG.STRTAB_BASE, one(STRTAB_BASE.encode({ ADDR: base + 0x200n }))); // table is 1 KB: bits [9:0] ignored
  k.dev.writeReg(REG.CR0, cr0);
  t.equal(k.dev.transaction(req(3)).kind, 'translated');
  t.equal(decodeEvent(encodeEvent('C_BAD_STE', { StreamID: 1 })).name, 'C_BAD_STE');
  t.end();
});

t.test('C_BAD_STREAMID: SID >= 2^SIDSIZE when STRTAB_BASE_CFG.LOG2SIZE > SIDSIZE', (t) => {
  const k = mkKit({ profile: { sidSize: 4 }, boot: { sidBits: 4 } });
  const cr0 = k.dev.readReg(REG.CR0);
  k.dev.writeReg(REG.CR0, one(CR0.encode({ SMMUEN: 0 }, [cr0])));
  k.dev.writeReg(REG.STRTAB_BASE_CFG, one(STRTAB_BASE_CFG.encode({ FMT: 0, LOG2SIZE: 8 })));
  k.dev.writeReg(REG.CR0, cr0);
  expectEvent(t, k, req(16), 'C_BAD_STREAMID', { StreamID: 16 }, 'effective LOG2SIZE = MIN(LOG2SIZE, SIDSIZE)');
  t.end();
});

t.test('nested: stage-2 walk abort on the CD fetch → F_WALK_EABT S2=1 CLASS=CD; L1CD fetched through stage 2', (t) => {
  const k = mkKit();
  const s2root = table(k.alloc);
  k.mem.write64(s2root + 8n, 0x7a00_0000n | 3n); // S2 L1[1] → unbacked L2 table
  installSte(k.dev, 1, steNested(s2root, { S1ContextPtr: 0x4000_0000n }));
  expectEvent(
    t,
    k,
    req(1),
    'F_WALK_EABT',
    { StreamID: 1, SSV: 0, S2: 1, CLASS: 0, RnW: 1, InputAddr: 0x1000n, FetchAddr: 0x7a00_0000n + 8n * 0n },
    'S2 walk abort',
  );
  // 2-level CD table in IPA space: L1CD at IPA 0x4800_0000 (mapped), L2 at IPA 0x4900_0000 (not mapped).
  const k2 = mkKit();
  const s2 = table(k2.alloc);
  const l1 = k2.alloc.alloc(4096, 4096);
  mapPage(k2.mem, k2.alloc, s2, 0x4800_0000n, l1, 2);
  k2.mem.write64(l1, one(L1CD.encode({ V: 1, L2Ptr: 0x4900_0000n })));
  installSte(k2.dev, 1, steNested(s2, { S1ContextPtr: 0x4800_0000n, S1CDMax: 6, S1Fmt: 1 }));
  expectEvent(
    t,
    k2,
    req(1, { ssid: 3 }),
    'F_TRANSLATION',
    { StreamID: 1, SSV: 1, SubstreamID: 3, S2: 1, CLASS: 0, RnW: 1, InputAddr: 0x1000n, IPA: 0x4900_0000n },
    'L1CD read via S2; L2 CD IPA unmapped',
  );
  t.end();
});

t.test('§7.3 SSV, §7.3.3-7.3.5: C_BAD_STREAMID, F_STE_FETCH and C_BAD_STE record SSV=1 and the SubstreamID', (t) => {
  const k = mkKit({ boot: { sidBits: 4 } });
  expectEvent(t, k, req(16, { ssid: 3 }), 'C_BAD_STREAMID', { StreamID: 16, SSV: 1, SubstreamID: 3 }, 'C_BAD_STREAMID with SubstreamID');
  installSte(k.dev, 1, STE.encode({ V: 0, Config: 4 }));
  expectEvent(t, k, req(1, { ssid: 3 }), 'C_BAD_STE', { StreamID: 1, SSV: 1, SubstreamID: 3 }, 'C_BAD_STE (V=0) with SubstreamID');
  // The raw record: dw0 = StreamID << 32 | SubstreamID << 12 | SSV << 11 | type.
  k.dev.transaction(req(1, { ssid: 3 }));
  t.equal(k.dev.drainEvents()[0]?.raw[0], 0x0000_0001_0000_3804n, 'C_BAD_STE dw0');
  installSte(k.dev, 2, steS1({ S1ContextPtr: CDP, EATS: 2 }));
  expectEvent(t, k, req(2, { ssid: 0x41 }), 'C_BAD_STE', { StreamID: 2, SSV: 1, SubstreamID: 0x41 }, 'C_BAD_STE (ILLEGAL) with SubstreamID');
  expectEvent(t, k, req(1), 'C_BAD_STE', { StreamID: 1, SSV: 0 }, 'no SubstreamID: SSV=0');
  const f = mkKit({ boot: { strtab: '2level', split: 6, sidBits: 10 } });
  const base = STRTAB_BASE.get([f.dev.readReg(REG.STRTAB_BASE)], 'ADDR');
  f.mem.write64(base + 8n, 0x7700_0000n | 7n); // L1STD[1] → unbacked L2
  expectEvent(t, f, req(65, { ssid: 5 }), 'F_STE_FETCH', { StreamID: 65, SSV: 1, SubstreamID: 5, FetchAddr: 0x7700_0040n }, 'F_STE_FETCH with SubstreamID');
  t.end();
});
