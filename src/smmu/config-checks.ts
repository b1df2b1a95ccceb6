/**
 * ILLEGAL-structure checks: `steIllegal` (C_BAD_STE, §5.2.2 SteIllegal, errata B.1) and
 * `cdIllegal` (C_BAD_CD, §5.4.2 CdIllegal, errata B.2). Each returns the reason (stable id and
 * detail) for the first rule that fails, or undefined. Callers have already handled STE.V=0 / Config=0b0xx.
 *
 * Deliberately not checked (see the report / errata B.1 last bullet): RES0 bits in general,
 * Secure/Realm-only fields, MPAM/VMS (no MPAM in any profile), permission indirection/overlay
 * (S2PIE/S2POE/CD.PIE: no such feature), VMSAv9-128 (no D128), AArch32 stage-2/stage-1
 * formats beyond rejecting them when TTF lacks AArch32, DPT (EATS=0b11 with IDR3.DPT=1).
 */
import { OAS_BITS } from '../arch/registers.ts';
import { TG0_GRANULE, TG1_GRANULE } from '../arch/ttd.ts';
import { type FieldValues, num } from '../arch/fields.ts';
import { type SmmuProfile, profileIas } from './profile.ts';

/**
 * Stable ids of the ILLEGAL conditions, one per rule (tests and traces assert these, never the
 * prose). STE_V0 is the STE.V=0 case that the caller checks before steIllegal.
 */
export const STE_ILLEGAL_IDS = [
  'STE_V0',
  'STE_S1_WITHOUT_S1P',
  'STE_S2_WITHOUT_S2P',
  'STE_EATS_SPLIT_STAGE',
  'STE_EATS_WITH_S2S',
  'STE_STRW_RESERVED',
  'STE_S1STALLD_STALL_MODEL',
  'STE_S1CDMAX_SSIDSIZE',
  'STE_S1FMT_CD2L',
  'STE_S1CONTEXTPTR_RANGE',
  'STE_S2S_STALL_UNSUPPORTED',
  'STE_S2S_STALL_FORCED',
  'STE_S2AA64_NO_AARCH64',
  'STE_S2AA64_NO_AARCH32',
  'STE_S2HA_S2HD_HTTU',
  'STE_S2HD_AF_ONLY',
  'STE_S2HAFT_WITHOUT_S2HA',
  'STE_S2FWB_AARCH32',
  'STE_S2TG_RESERVED',
  'STE_S2TG_UNSUPPORTED',
  'STE_S2TTB_S2PS',
  'STE_S2TTB_ABOVE_48',
  'STE_S2T0SZ_RANGE',
  'STE_S2SL0_RESERVED',
  'STE_S2SL0_INCONSISTENT',
  'STE_S2ENDI_TTENDIAN',
  'STE_S2VMID_VMID16',
] as const;
export const CD_ILLEGAL_IDS = [
  'CD_V0',
  'CD_S_WITH_S1STALLD',
  'CD_S_STALL_UNSUPPORTED',
  'CD_S_STALL_FORCED',
  'CD_A_TERM_MODEL',
  'CD_ENDI_TTENDIAN',
  'CD_AA64_NO_AARCH32',
  'CD_AA64_NO_AARCH64',
  'CD_HA_HTTU',
  'CD_HD_HTTU',
  'CD_HAFT_WITHOUT_HA',
  'CD_ASID_ASID16',
  'CD_TG_RESERVED',
  'CD_TG_UNSUPPORTED',
  'CD_TSZ_RANGE',
  'CD_TTB_IPS',
  'CD_TTB_ABOVE_48',
] as const;
export type IllegalId = (typeof STE_ILLEGAL_IDS)[number] | (typeof CD_ILLEGAL_IDS)[number];

/** Why a structure is ILLEGAL: the stable id and the values that made it so. */
export interface IllegalReason {
  readonly id: IllegalId;
  readonly detail: string;
}

const ill = (id: IllegalId, detail: string): IllegalReason => ({ id, detail });

const GRAN: Readonly<Record<number, number>> = { 4096: 12, 16384: 14, 65536: 16 };

export function granuleSupported(p: SmmuProfile, bytes: number): boolean {
  return (bytes === 4096 && p.granules.includes('4k')) || (bytes === 16384 && p.granules.includes('16k')) || (bytes === 65536 && p.granules.includes('64k'));
}

/** Effective PS/IPS in bits: 0b111 (56 bits) is reserved in v3.1-v3.3 and behaves as 0b110; capped at OAS. */
export function effectivePs(p: SmmuProfile, field: bigint): number {
  const enc = Math.min(Number(field), 6);
  return Math.min(OAS_BITS[enc] ?? 48, p.oas);
}

/**
 * Stage-2 start level consistency (Arm ARM AArch64.S2InconsistentSL): with start level sl the
 * walk resolves between (3-sl)*stride+granuleBits+1 and that plus stride-1+4 (16 concatenated
 * tables) input bits.
 */
export function s2StartLevel(tgBytes: number, sl0: number, sl0_2: number): number | undefined {
  if (sl0_2 !== 0) return undefined; // level -1 / level 3 start (S2SL0_2) not modelled
  if (tgBytes === 4096) return sl0 === 3 ? undefined : 2 - sl0;
  return 3 - sl0; // 16K: 0..3 → L3..L0; 64K: 0..2 → L3..L1 (3 reserved, checked by caller)
}

export function s2Inconsistent(tgBytes: number, t0sz: number, startLevel: number): boolean {
  const gb = GRAN[tgBytes] ?? 12;
  const stride = gb - 3;
  const min = (3 - startLevel) * stride + gb + 1;
  const max = min + stride - 1 + 4;
  const ias = 64 - t0sz;
  return ias < min || ias > max;
}

export function steIllegal(ste: FieldValues, p: SmmuProfile): IllegalReason | undefined {
  const config = num(ste['Config']);
  const s1 = (config & 1) !== 0;
  const s2 = (config & 2) !== 0;
  if (s1 && !p.s1p) return ill('STE_S1_WITHOUT_S1P', 'Config enables stage 1 but IDR0.S1P=0');
  if (s2 && !p.s2p) return ill('STE_S2_WITHOUT_S2P', 'Config enables stage 2 but IDR0.S2P=0');
  // EATS (§5.2, errata row 5), only with ATS and not for bypass.
  if (p.ats && config !== 4) {
    const eats = num(ste['EATS']);
    if (eats === 2 && !(config === 7 && num(ste['S2S']) === 0))
      return ill('STE_EATS_SPLIT_STAGE', 'EATS=0b10 (split-stage ATS) requires Config=0b111 and S2S=0');
    if (eats === 1 && s2 && num(ste['S2S']) === 1) return ill('STE_EATS_WITH_S2S', 'EATS=0b01 with stage 2 and S2S=1');
  }
  // STRW is used only when stage 1 is on and stage 2 off; it is RES0 (not checked) when
  // IDR0.HYP=0 (§5.2 STRW).
  if (s1 && !s2 && p.hyp) {
    const strw = num(ste['STRW']);
    if (strw === 1 || strw === 3) return ill('STE_STRW_RESERVED', `STRW=0b${strw.toString(2).padStart(2, '0')} is reserved`);
  }
  if (s1) {
    if (num(ste['S1STALLD']) === 1 && p.stallModel !== 0) return ill('STE_S1STALLD_STALL_MODEL', 'S1STALLD=1 with IDR0.STALL_MODEL!=0b00');
    if (p.ssidSize !== 0) {
      const cdmax = num(ste['S1CDMax']);
      if (cdmax > p.ssidSize) return ill('STE_S1CDMAX_SSIDSIZE', `S1CDMax=${cdmax} > IDR1.SSIDSIZE=${p.ssidSize}`);
      const fmt = num(ste['S1Fmt']);
      if (cdmax !== 0 && (fmt === 1 || fmt === 2) && !p.cd2l) return ill('STE_S1FMT_CD2L', 'S1Fmt selects a 2-level CD table but IDR0.CD2L=0');
    }
    const limit = s2 ? profileIas(p) : p.oas;
    const ptr = ste['S1ContextPtr'] ?? 0n;
    if (ptr >> BigInt(limit) !== 0n)
      return ill('STE_S1CONTEXTPTR_RANGE', `S1ContextPtr 0x${ptr.toString(16)} is outside the ${s2 ? 'IAS' : 'OAS'} (${limit} bits)`);
  }
  if (s2) {
    const s2s = num(ste['S2S']);
    if (s2s === 1 && p.stallModel === 1) return ill('STE_S2S_STALL_UNSUPPORTED', 'S2S=1 with IDR0.STALL_MODEL=0b01 (stall not supported)');
    if (s2s === 0 && p.stallModel === 2) return ill('STE_S2S_STALL_FORCED', 'S2S=0 with IDR0.STALL_MODEL=0b10 (stall forced)');
    const aa64 = num(ste['S2AA64']);
    if (aa64 === 1 && (p.ttf & 2) === 0) return ill('STE_S2AA64_NO_AARCH64', 'S2AA64=1 but IDR0.TTF lacks AArch64');
    if (aa64 === 0 && (p.ttf & 1) === 0) return ill('STE_S2AA64_NO_AARCH32', 'S2AA64=0 but IDR0.TTF lacks AArch32');
    if ((num(ste['S2HA']) === 1 || num(ste['S2HD']) === 1) && (aa64 === 0 || p.httu === 0))
      return ill('STE_S2HA_S2HD_HTTU', 'S2HA/S2HD=1 but IDR0.HTTU=0 or an AArch32 stage 2');
    if (num(ste['S2HD']) === 1 && p.httu === 1) return ill('STE_S2HD_AF_ONLY', 'S2HD=1 but IDR0.HTTU=0b01 (Access flag only)');
    // S2HAFT is RES0 (not checked) unless HTTU=0b11.
    if (num(ste['S2HAFT']) === 1 && num(ste['S2HA']) === 0 && p.httu === 3) return ill('STE_S2HAFT_WITHOUT_S2HA', 'S2HAFT=1 with S2HA=0');
    if (aa64 === 0 && p.fwb && num(ste['S2FWB']) === 1) return ill('STE_S2FWB_AARCH32', 'S2FWB=1 with an AArch32 stage 2');
    const tgField = num(ste['S2TG']);
    const tg = tgField === 0 ? 4096 : tgField === 1 ? 65536 : tgField === 2 ? 16384 : 0;
    if (tg === 0) return ill('STE_S2TG_RESERVED', 'S2TG=0b11 is reserved');
    if (!granuleSupported(p, tg)) return ill('STE_S2TG_UNSUPPORTED', `S2TG selects a ${tg / 1024}KB granule the SMMU does not support`);
    const ds = num(ste['S2DS']) === 1 && p.ds;
    const ps = effectivePs(p, ste['S2PS'] ?? 0n);
    const ttb = ste['S2TTB'] ?? 0n;
    if (ttb >> BigInt(ps) !== 0n) return ill('STE_S2TTB_S2PS', `S2TTB 0x${ttb.toString(16)} is outside the effective S2PS (${ps} bits)`);
    if (tg !== 65536 && !ds && ttb >> 48n !== 0n)
      return ill('STE_S2TTB_ABOVE_48', `S2TTB 0x${ttb.toString(16)} is above 48 bits with a ${tg / 1024}KB granule and S2DS=0`);
    const ias = profileIas(p);
    const maxIpa = ias > 48 && !(tg === 65536 || ds) ? 48 : ias;
    const t0sz = num(ste['S2T0SZ']);
    const minT0sz = Math.max(64 - maxIpa, tg === 65536 || ds ? 12 : 16);
    const maxT0sz = p.stt ? (tg === 65536 ? 47 : 48) : 39;
    if (t0sz < minT0sz || t0sz > maxT0sz) return ill('STE_S2T0SZ_RANGE', `S2T0SZ=${t0sz} outside [${minT0sz}, ${maxT0sz}]`);
    const sl0 = num(ste['S2SL0']);
    const start = s2StartLevel(tg, sl0, num(ste['S2SL0_2']));
    if (start === undefined || (tg === 65536 && sl0 === 3) || (tg === 16384 && sl0 === 3 && !ds))
      return ill('STE_S2SL0_RESERVED', `S2SL0=${sl0} is reserved for a ${tg / 1024}KB granule`);
    // S2SL0=0b10 (4KB: level 0, 16KB/64KB: level 1) is invalid below a 44-bit (16KB: 42-bit)
    // PA size (Arm ARM J1 AArch64.S2InvalidSL, PAMax = IDR5.OAS); the STE encodes S2SL0 as
    // VTCR_EL2.SL0 does and a mismatch is ILLEGAL (§5.2 S2SL0).
    const slMinPa = tg === 16384 ? 42 : 44;
    if (sl0 === 2 && p.oas < slMinPa)
      return ill('STE_S2SL0_RESERVED', `S2SL0=0b10 is reserved for a ${tg / 1024}KB granule with OAS ${p.oas} < ${slMinPa} bits`);
    if (s2Inconsistent(tg, t0sz, start))
      return ill('STE_S2SL0_INCONSISTENT', `S2SL0=${sl0} (start level ${start}) is inconsistent with S2T0SZ=${t0sz} and a ${tg / 1024}KB granule`);
    const endi = num(ste['S2ENDI']);
    if ((p.ttendian === 2 && endi === 1) || (p.ttendian === 3 && endi === 0))
      return ill('STE_S2ENDI_TTENDIAN', `S2ENDI=${endi} not supported by IDR0.TTENDIAN`);
  }
  // S2VMID is used (IgnoreSTES2VMID false) by stage-2 STEs and by stage-1-only EL1 streams on
  // an SMMU with stage 2 (§5.2.2).
  const strwUnused = !p.s1p || !p.hyp || s2;
  const vmidUsed = p.s2p && (s2 || strwUnused || num(ste['STRW']) === 0);
  if (vmidUsed && !p.vmid16 && num(ste['S2VMID']) > 0xff) return ill('STE_S2VMID_VMID16', 'S2VMID[15:8]!=0 with IDR0.VMID16=0');
  return undefined;
}

export type StreamWorld = 'EL1' | 'EL2' | 'EL2-E2H';

export interface CdCheckContext {
  ste: FieldValues;
  world: StreamWorld;
  /** Stage 2 is enabled for the stream (nested). */
  s2: boolean;
}

/** Which CD halves are in use (EPDx effective value; §5.4, errata B.2 last bullet). */
export function cdHalves(cd: FieldValues, world: StreamWorld): { h0: boolean; h1: boolean } {
  // any-EL2 (non-E2H): EPDx are IGNORED with effective value 0 and the TTB1 half is RES0 (no
  // upper VA range). EL1 and any-EL2-E2H streams may disable either half with EPDx (§5.4 EPD0).
  if (world === 'EL2') return { h0: true, h1: false };
  return { h0: num(cd['EPD0']) === 0, h1: num(cd['EPD1']) === 0 };
}

/** The CD fields of each TTBx half and its TGx encodings (TG0 and TG1 encode granules differently, §5.4). */
const CD_HALF = [
  { tg: 'TG0', tsz: 'T0SZ', ttb: 'TTB0', granule: TG0_GRANULE },
  { tg: 'TG1', tsz: 'T1SZ', ttb: 'TTB1', granule: TG1_GRANULE },
] as const;

export function cdIllegal(cd: FieldValues, ctx: CdCheckContext, p: SmmuProfile): IllegalReason | undefined {
  if (num(cd['V']) === 0) return ill('CD_V0', 'CD.V=0');
  const s = num(cd['S']);
  if (s === 1 && num(ctx.ste['S1STALLD']) === 1) return ill('CD_S_WITH_S1STALLD', 'CD.S=1 with STE.S1STALLD=1');
  if (s === 1 && p.stallModel === 1) return ill('CD_S_STALL_UNSUPPORTED', 'CD.S=1 with IDR0.STALL_MODEL=0b01');
  if (s === 0 && p.stallModel === 2) return ill('CD_S_STALL_FORCED', 'CD.S=0 with IDR0.STALL_MODEL=0b10 (stall forced)');
  if (p.termModel && num(cd['A']) === 0) return ill('CD_A_TERM_MODEL', 'CD.A=0 with IDR0.TERM_MODEL=1');
  const { h0, h1 } = cdHalves(cd, ctx.world);
  const endi = num(cd['ENDI']);
  if ((h0 || h1) && ((p.ttendian === 2 && endi === 1) || (p.ttendian === 3 && endi === 0)))
    return ill('CD_ENDI_TTENDIAN', `CD.ENDI=${endi} not supported by IDR0.TTENDIAN`);
  const aa64 = num(cd['AA64']);
  if (aa64 === 0 && ((p.ttf & 1) === 0 || ctx.world === 'EL2-E2H')) return ill('CD_AA64_NO_AARCH32', 'CD.AA64=0 but AArch32 tables are not supported here');
  if (aa64 === 1 && ((p.ttf & 2) === 0 || (ctx.s2 && num(ctx.ste['S2AA64']) === 0)))
    return ill('CD_AA64_NO_AARCH64', 'CD.AA64=1 but AArch64 tables are not supported here');
  if (num(cd['HA']) === 1 && p.httu < 1) return ill('CD_HA_HTTU', 'CD.HA=1 but IDR0.HTTU=0');
  if (num(cd['HD']) === 1 && p.httu < 2) return ill('CD_HD_HTTU', 'CD.HD=1 but IDR0.HTTU<0b10');
  // CD.HAFT is RES0 (not checked) unless HTTU=0b11 (§5.4 HAFT).
  if (num(cd['HAFT']) === 1 && num(cd['HA']) === 0 && p.httu === 3) return ill('CD_HAFT_WITHOUT_HA', 'CD.HAFT=1 with CD.HA=0');
  // ASID is IGNORED for StreamWorld any-EL2 (§5.4 ASID, CdIllegal).
  if (ctx.world !== 'EL2' && !p.asid16 && num(cd['ASID']) > 0xff) return ill('CD_ASID_ASID16', 'CD.ASID[15:8]!=0 with IDR0.ASID16=0');
  const ips = effectivePs(p, cd['IPS'] ?? 0n);
  const ds = num(cd['DS']) === 1 && p.ds;
  for (const half of [0, 1] as const) {
    if (half === 0 ? !h0 : !h1) continue;
    const k = CD_HALF[half];
    const tgField = num(cd[k.tg]);
    const tg = k.granule[tgField];
    if (tg === undefined) return ill('CD_TG_RESERVED', `CD.TG${half}=0b${tgField.toString(2).padStart(2, '0')} is reserved`);
    if (!granuleSupported(p, tg)) return ill('CD_TG_UNSUPPORTED', `CD.TG${half} selects a ${tg / 1024}KB granule the SMMU does not support`);
    const tsz = num(cd[k.tsz]);
    const minTsz = p.vax >= 1 && (tg === 65536 || ds) ? 12 : 16;
    const maxTsz = p.stt ? (tg === 65536 ? 47 : 48) : 39;
    if (tsz < minTsz || tsz > maxTsz) return ill('CD_TSZ_RANGE', `CD.T${half}SZ=${tsz} outside [${minTsz}, ${maxTsz}]`);
    const ttb = cd[k.ttb] ?? 0n;
    if (ttb >> BigInt(ips) !== 0n) return ill('CD_TTB_IPS', `CD.TTB${half} 0x${ttb.toString(16)} is outside the effective IPS (${ips} bits)`);
    if (tg !== 65536 && !ds && ttb >> 48n !== 0n)
      return ill('CD_TTB_ABOVE_48', `CD.TTB${half} 0x${ttb.toString(16)} is above 48 bits with a ${tg / 1024}KB granule and DS=0`);
  }
  return undefined;
}
