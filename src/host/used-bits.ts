/**
 * "Used bits" of an STE / CD as the Linux driver models them (reference §1.2, §2): for a given
 * entry, which bits the SMMU may look at. The entry writer (write-entry.ts) may change any bit
 * the current entry does not use without a sync being observable. Masks are per dword (bigint).
 */
import { CFG, LINUX_S1CTXPTR, LINUX_S2TTB, LINUX_TTB0, S1DSS, STE2_VTCR, cdMask, steMask } from './masks.ts';

export const ENTRY_QWORDS = 8;

const zero = (): bigint[] => new Array<bigint>(ENTRY_QWORDS).fill(0n);
const q = (e: readonly bigint[], i: number): bigint => e[i] ?? 0n;
const ALL = (1n << 64n) - 1n;

const M = {
  V: steMask('V'),
  Config: steMask('Config'),
  S1Fmt: steMask('S1Fmt'),
  S1CDMax: steMask('S1CDMax'),
  S1DSS: steMask('S1DSS'),
  S1CIR: steMask('S1CIR'),
  S1COR: steMask('S1COR'),
  S1CSH: steMask('S1CSH'),
  S1STALLD: steMask('S1STALLD'),
  STRW: steMask('STRW'),
  EATS: steMask('EATS'),
  MEV: steMask('MEV'),
  SHCFG: steMask('SHCFG'),
  S2FWB: steMask('S2FWB'),
  S2VMID: steMask('S2VMID'),
  S2AA64: steMask('S2AA64'),
  S2ENDI: steMask('S2ENDI'),
  S2PTW: steMask('S2PTW'),
  S2S: steMask('S2S'),
  S2R: steMask('S2R'),
};

/** Config field value of an STE (dw0[3:1]). */
export function steConfig(ste: readonly bigint[]): bigint {
  return (q(ste, 0) & M.Config) >> 1n;
}

/** Linux's STE used bits (arm_smmu_get_ste_used, §1.2). */
export function steUsedBits(ste: readonly bigint[]): bigint[] {
  const used = zero();
  used[0] = M.V;
  if ((q(ste, 0) & M.V) === 0n) return used;
  used[0] |= M.Config;
  const cfg = steConfig(ste);
  if ((cfg & 1n) !== 0n) {
    // stage 1 translates (Config 5 or 7)
    used[0] |= M.S1Fmt | LINUX_S1CTXPTR | M.S1CDMax;
    used[1] = q(used, 1) | M.S1DSS | M.S1CIR | M.S1COR | M.S1CSH | M.S1STALLD | M.STRW | M.EATS | M.MEV;
    used[2] = q(used, 2) | M.S2VMID;
    // SHCFG applies to traffic that bypasses stage 1 (§13.5)
    if ((q(ste, 1) & M.S1DSS) === S1DSS.BYPASS) used[1] = q(used, 1) | M.SHCFG;
  }
  if ((cfg & 2n) !== 0n) {
    // stage 2 translates (Config 6 or 7)
    used[1] = q(used, 1) | M.S2FWB | M.EATS | M.SHCFG | M.MEV;
    used[2] = q(used, 2) | M.S2VMID | STE2_VTCR | M.S2AA64 | M.S2ENDI | M.S2PTW | M.S2S | M.S2R;
    used[3] = q(used, 3) | LINUX_S2TTB;
  }
  if (cfg === CFG.BYPASS) used[1] = q(used, 1) | M.SHCFG;
  return used;
}

/** EATS bit 0 (the TRANS encoding) and bit 1 (set in S1CHK=0b10 and 0b11). */
const EATS_TRANS_BIT = 1n << 28n;
const EATS_S1CHK_BIT = 1n << 29n;

/**
 * Bits that may change in place without sequencing (6.18-stable fixes): MEV always (it only
 * changes how many records are merged, and software must cope with merged records anyway);
 * the EATS TRANS bit unless either entry has the S1CHK bit (0b1x) or S2S set (a transient
 * S2S=1 with EATS=1 would be an ILLEGAL STE). The writer only honours a safe bit when both the
 * current and the target entry use it.
 */
export function steUpdateSafeBits(cur: readonly bigint[], target: readonly bigint[]): bigint[] {
  const safe = zero();
  safe[1] = M.MEV;
  const s1chk = ((q(cur, 1) | q(target, 1)) & EATS_S1CHK_BIT) !== 0n;
  const s2s = ((q(cur, 2) | q(target, 2)) & M.S2S) !== 0n;
  if (!s1chk && !s2s) safe[1] = q(safe, 1) | EATS_TRANS_BIT;
  return safe;
}

const C = {
  V: cdMask('V'),
  EPD0: cdMask('EPD0'),
  TTB0_FIELDS: cdMask('T0SZ') | cdMask('TG0') | cdMask('IR0') | cdMask('OR0') | cdMask('SH0'),
};

/** Linux's CD used bits (arm_smmu_get_cd_used, §2): V only if invalid; else everything, minus the TTB0 half when EPD0=1. */
export function cdUsedBits(cd: readonly bigint[]): bigint[] {
  const used = zero();
  used[0] = C.V;
  if ((q(cd, 0) & C.V) === 0n) return used;
  used.fill(ALL);
  if ((q(cd, 0) & C.EPD0) !== 0n) {
    used[0] = ALL & ~C.TTB0_FIELDS;
    used[1] = ALL & ~LINUX_TTB0;
  }
  return used;
}

/** Per-entry-type hooks for the generic writer. */
export interface EntryOps {
  readonly name: 'STE' | 'CD';
  usedBits(e: readonly bigint[]): bigint[];
  updateSafeBits?(cur: readonly bigint[], target: readonly bigint[]): bigint[];
  /** The V bit (dw0): an entry with it clear is invalid. */
  readonly validBit: bigint;
}

export const STE_OPS: EntryOps = { name: 'STE', usedBits: steUsedBits, updateSafeBits: steUpdateSafeBits, validBit: M.V };
export const CD_OPS: EntryOps = { name: 'CD', usedBits: cdUsedBits, validBit: C.V };
