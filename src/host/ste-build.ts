/**
 * Linux-like STE and CD builders (reference §1.1 end, §2, §6.5). Every builder returns 8 fresh
 * dwords and only sets bits the used-bits model (used-bits.ts) says are used, as Linux requires.
 */
import { STE } from '../arch/ste.ts';
import { CFG, EATS, LINUX_S1CTXPTR, LINUX_S2TTB, LINUX_TTB0, S1DSS, cdField, cdMask, steEncoding, steField, steMask } from './masks.ts';

/** SMMU/host features the builders depend on (Linux ARM_SMMU_FEAT_*). */
export interface HostFeatures {
  /** FEAT_STALLS: IDR0.STALL_MODEL=0. */
  readonly stalls: boolean;
  /** IDR1.ATTR_TYPES_OVR: SHCFG=incoming is possible. */
  readonly attrTypesOvr: boolean;
  /** FEAT_E2H: host runs at EL2 with VHE (STRW=EL2 for S1 STEs). */
  readonly e2h: boolean;
}

export interface MasterFlags {
  readonly ats: boolean;
  readonly stallEnabled: boolean;
}

const SH_ISH = steEncoding('S1CSH', 'ISH');
const CACHE_WBRA = steEncoding('S1CIR', 'WB-RA');
const SHCFG_INCOMING = steEncoding('SHCFG', 'INCOMING');
const STRW_NSEL1 = steEncoding('STRW', 'EL1');
const STRW_EL2 = steEncoding('STRW', 'EL2');

const empty = (): bigint[] => new Array<bigint>(8).fill(0n);

/** V=1, Config=abort: traffic terminated silently. */
export function makeAbortSte(): bigint[] {
  const s = empty();
  s[0] = steMask('V') | steField('Config', CFG.ABORT);
  return s;
}

export function makeBypassSte(f: HostFeatures): bigint[] {
  const s = empty();
  s[0] = steMask('V') | steField('Config', CFG.BYPASS);
  if (f.attrTypesOvr) s[1] = steField('SHCFG', SHCFG_INCOMING);
  return s;
}

export interface CdTable {
  /** CD table (or L1 CD table) address: a PA, or an IPA when nested. */
  readonly dma: bigint;
  /** S1Fmt: 0 linear, 1 2-level 4K leaf, 2 2-level 64K leaf. */
  readonly s1fmt: number;
  /** S1CDMax (log2 of the number of CDs). */
  readonly s1cdmax: number;
}

/** Config=S1 STE pointing at a CD table (arm_smmu_make_cdtable_ste). `s1dss`: 0 terminate, 1 bypass, 2 SSID0. */
export function makeCdTableSte(f: HostFeatures, m: MasterFlags, cd: CdTable, s1dss: bigint): bigint[] {
  const s = empty();
  s[0] = steMask('V') | steField('Config', CFG.S1_TRANS) | steField('S1Fmt', cd.s1fmt) | (cd.dma & LINUX_S1CTXPTR) | steField('S1CDMax', cd.s1cdmax);
  let d1 =
    steField('S1DSS', s1dss) |
    steField('S1CIR', CACHE_WBRA) |
    steField('S1COR', CACHE_WBRA) |
    steField('S1CSH', SH_ISH) |
    (f.stalls && !m.stallEnabled ? steMask('S1STALLD') : 0n) |
    steField('EATS', m.ats ? EATS.TRANS : EATS.ABORT);
  if (f.attrTypesOvr && s1dss === S1DSS.BYPASS) d1 |= steField('SHCFG', SHCFG_INCOMING);
  // E2H hosts tag stage-1 entries as EL2; otherwise NS-EL1 with VMID 0
  d1 |= steField('STRW', f.e2h ? STRW_EL2 : STRW_NSEL1);
  s[1] = d1;
  return s;
}

/** Stage-2 configuration of a nest parent / S2 domain (VTCR fields in VTCR encoding). */
export interface S2Config {
  readonly vmid: number;
  readonly vttbr: bigint;
  readonly vtcr: { tsz: number; sl: number; irgn: number; orgn: number; sh: number; tg: number; ps: number };
  /** io-pgtable S2FWB quirk: set for nest parents on an SMMU with IDR3.FWB. */
  readonly s2fwb: boolean;
}

/** Config=S2 STE (arm_smmu_make_s2_domain_ste): S2AA64, S2PTW and S2R always; S2S iff stall-enabled master. */
export function makeS2Ste(f: HostFeatures, m: MasterFlags, s2: S2Config): bigint[] {
  const s = empty();
  s[0] = steMask('V') | steField('Config', CFG.S2_TRANS);
  let d1 = steField('EATS', m.ats ? EATS.TRANS : EATS.ABORT);
  if (s2.s2fwb) d1 |= steMask('S2FWB');
  if (f.attrTypesOvr) d1 |= steField('SHCFG', SHCFG_INCOMING);
  s[1] = d1;
  const t = s2.vtcr;
  s[2] =
    steField('S2VMID', s2.vmid) |
    steField('S2T0SZ', t.tsz) |
    steField('S2SL0', t.sl) |
    steField('S2IR0', t.irgn) |
    steField('S2OR0', t.orgn) |
    steField('S2SH0', t.sh) |
    steField('S2TG', t.tg) |
    steField('S2PS', t.ps) |
    steMask('S2AA64') |
    steMask('S2PTW') |
    (m.stallEnabled ? steMask('S2S') : 0n) |
    steMask('S2R');
  s[3] = s2.vttbr & LINUX_S2TTB;
  return s;
}

/**
 * Physical STE for a nested domain (§6.5). `vste` is the validated guest STE (EATS already
 * stripped, zeroed if V=0). Abort for V=0/Config=0, the parent's S2 STE for bypass, and for
 * Config=S1 the parent's S2 STE with dw0 := V, Config=NESTED, guest S1Fmt/S1ContextPtr/S1CDMax,
 * dw1 |= guest S1 bits | MEV (merge events: DoS mitigation on the event queue).
 */
export function makeNestedSte(f: HostFeatures, m: MasterFlags, parent: S2Config, vste: readonly bigint[]): bigint[] {
  const g0 = vste[0] ?? 0n;
  const g1 = vste[1] ?? 0n;
  if (STE.get(vste, 'V') === 0n) return makeAbortSte();
  const cfg = STE.get(vste, 'Config');
  if (cfg === CFG.BYPASS) return makeS2Ste(f, m, parent);
  if (cfg !== CFG.S1_TRANS) return makeAbortSte();
  const s = makeS2Ste(f, m, parent);
  s[0] = steMask('V') | steField('Config', CFG.NESTED) | (g0 & ~steMask('Config'));
  s[1] = (s[1] ?? 0n) | g1 | steMask('MEV');
  return s;
}

/** Stage-1 table configuration (TCR fields as io-pgtable reports them). */
export interface S1Config {
  readonly asid: number;
  readonly ttbr: bigint;
  readonly tcr: { tsz: number; tg: number; irgn: number; orgn: number; sh: number; ips: number };
  readonly mair: bigint;
  /** Dirty tracking (HA+HD). */
  readonly dirty?: boolean;
}

/** A DMA-domain CD (arm_smmu_make_s1_cd): EPD1, V, AA64, R, A, ASET always; S iff stall-enabled. */
export function makeS1Cd(m: MasterFlags, s1: S1Config): bigint[] {
  const c = empty();
  const t = s1.tcr;
  c[0] =
    cdField('T0SZ', t.tsz) |
    cdField('TG0', t.tg) |
    cdField('IR0', t.irgn) |
    cdField('OR0', t.orgn) |
    cdField('SH0', t.sh) |
    cdMask('EPD1') |
    cdMask('V') |
    cdField('IPS', t.ips) |
    cdMask('AA64') |
    (m.stallEnabled ? cdMask('S') : 0n) |
    cdMask('R') |
    cdMask('A') |
    cdMask('ASET') |
    cdField('ASID', s1.asid) |
    (s1.dirty ? cdMask('HA') | cdMask('HD') : 0n);
  c[1] = s1.ttbr & LINUX_TTB0;
  c[3] = BigInt.asUintN(64, s1.mair);
  return c;
}

/**
 * An SVA CD (shared with a CPU mm: ASET=0). With `mm` absent this is the "released" quiet CD:
 * EPD0=1 and no TTB0 half, so DMA faults without walking freed tables.
 */
export function makeSvaCd(m: MasterFlags, asid: number, mm: { pgd: bigint; tcr: S1Config['tcr']; mair: bigint } | undefined, mair: bigint): bigint[] {
  const c = empty();
  c[0] = cdMask('EPD1') | cdMask('V') | cdMask('AA64') | (m.stallEnabled ? cdMask('S') : 0n) | cdMask('R') | cdMask('A') | cdField('ASID', asid);
  if (mm) {
    const t = mm.tcr;
    c[0] =
      (c[0] ?? 0n) |
      cdField('T0SZ', t.tsz) |
      cdField('TG0', t.tg) |
      cdField('IR0', t.irgn) |
      cdField('OR0', t.orgn) |
      cdField('SH0', t.sh) |
      cdField('IPS', t.ips);
    c[1] = mm.pgd & LINUX_TTB0;
    c[3] = BigInt.asUintN(64, mm.mair);
  } else {
    c[0] = (c[0] ?? 0n) | cdMask('EPD0');
    c[3] = BigInt.asUintN(64, mair);
  }
  return c;
}
