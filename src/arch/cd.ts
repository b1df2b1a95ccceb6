/**
 * CD, Context Descriptor (SMMUv3 §5.4): 64 bytes = 8 dwords, and the L1CD level-1 CD table
 * descriptor (§5.3). Positions checked against smmu/smmu-5.4.md (errata rows 1, 13-15, B.13).
 *
 * Choices:
 * - TBI is declared as the architecture's two 1-bit fields TBI0 dw0[38] and TBI1 dw0[39]
 *   (Linux's 2-bit "TBI" macro is the same bits).
 * - dw1[1]/dw2[1] are HAD0/HAD1 (DisCH0/DisCH1 when IDR5.D128=1) and dw1[63:62]/dw2[63:62]
 *   are HWU061/062 and HWU161/162 (SKL0/SKL1 when D128=1); the codec uses the non-D128 names.
 * - PIIU/PIIP are raw 48-bit fields: PIIU<p> / PIIP<p> = bits [3p+2:3p].
 * - TG1 has its own encoding (0 reserved, 1 16KB, 2 4KB, 3 64KB), unlike TG0.
 */
import { PS_NAMES as IPS, SH_NAMES as SH, TG0_NAMES as TG0, WALK_CACHE_NAMES as CACHE } from './encodings.ts';
import { type FieldSpec, StructCodec } from './fields.ts';

const TG1: Readonly<Record<number, string>> = { 0: 'RESERVED', 1: '16KB', 2: '4KB', 3: '64KB' };

export const CD_FIELDS: readonly FieldSpec[] = [
  // dw0
  { name: 'T0SZ', dword: 0, lo: 0, hi: 5, doc: '64 - VA bits for TTB0' },
  { name: 'TG0', dword: 0, lo: 6, hi: 7, enum: TG0, doc: 'TTB0 granule' },
  { name: 'IR0', dword: 0, lo: 8, hi: 9, enum: CACHE },
  { name: 'OR0', dword: 0, lo: 10, hi: 11, enum: CACHE },
  { name: 'SH0', dword: 0, lo: 12, hi: 13, enum: SH },
  { name: 'EPD0', dword: 0, lo: 14, hi: 14, doc: 'TTB0 walks disabled' },
  { name: 'ENDI', dword: 0, lo: 15, hi: 15, enum: { 0: 'LE', 1: 'BE' } },
  { name: 'T1SZ', dword: 0, lo: 16, hi: 21, doc: '64 - VA bits for TTB1' },
  { name: 'TG1', dword: 0, lo: 22, hi: 23, enum: TG1, doc: 'TTB1 granule (TG1 encoding)' },
  { name: 'IR1', dword: 0, lo: 24, hi: 25, enum: CACHE },
  { name: 'OR1', dword: 0, lo: 26, hi: 27, enum: CACHE },
  { name: 'SH1', dword: 0, lo: 28, hi: 29, enum: SH },
  { name: 'EPD1', dword: 0, lo: 30, hi: 30, doc: 'TTB1 walks disabled' },
  { name: 'V', dword: 0, lo: 31, hi: 31, doc: 'valid' },
  { name: 'IPS', dword: 0, lo: 32, hi: 34, enum: IPS, doc: 'stage 1 output size' },
  { name: 'AFFD', dword: 0, lo: 35, hi: 35, doc: 'access flag fault disable' },
  { name: 'WXN', dword: 0, lo: 36, hi: 36 },
  { name: 'UWXN', dword: 0, lo: 37, hi: 37 },
  { name: 'TBI0', dword: 0, lo: 38, hi: 38, doc: 'top byte ignore, TTB0' },
  { name: 'TBI1', dword: 0, lo: 39, hi: 39, doc: 'top byte ignore, TTB1' },
  { name: 'PAN', dword: 0, lo: 40, hi: 40 },
  { name: 'AA64', dword: 0, lo: 41, hi: 41, enum: { 0: 'VMSAv8-32/v9-128', 1: 'VMSAv8-64' } },
  { name: 'HD', dword: 0, lo: 42, hi: 42, doc: 'HTTU dirty' },
  { name: 'HA', dword: 0, lo: 43, hi: 43, doc: 'HTTU access flag' },
  { name: 'S', dword: 0, lo: 44, hi: 44, doc: 'stall on fault' },
  { name: 'R', dword: 0, lo: 45, hi: 45, doc: 'record faults' },
  { name: 'A', dword: 0, lo: 46, hi: 46, doc: 'abort (vs RAZ/WI) on terminate' },
  { name: 'ASET', dword: 0, lo: 47, hi: 47, doc: 'ASID set (1 = not shared with PE)' },
  { name: 'ASID', dword: 0, lo: 48, hi: 63 },
  // dw1
  { name: 'NSCFG0', dword: 1, lo: 0, hi: 0 },
  { name: 'HAD0', dword: 1, lo: 1, hi: 1, doc: 'hierarchical attribute disable (DisCH0 if D128)' },
  { name: 'E0PD0', dword: 1, lo: 2, hi: 2 },
  { name: 'HAFT', dword: 1, lo: 3, hi: 3 },
  { name: 'TTB0', dword: 1, lo: 4, hi: 55, addr: true, doc: 'TTB0 table base' },
  { name: 'PnCH', dword: 1, lo: 58, hi: 58 },
  { name: 'EPAN', dword: 1, lo: 59, hi: 59 },
  { name: 'HWU059', dword: 1, lo: 60, hi: 60 },
  { name: 'HWU060', dword: 1, lo: 61, hi: 61 },
  { name: 'HWU061', dword: 1, lo: 62, hi: 62, doc: 'SKL0[0] if D128' },
  { name: 'HWU062', dword: 1, lo: 63, hi: 63, doc: 'SKL0[1] if D128' },
  // dw2
  { name: 'NSCFG1', dword: 2, lo: 0, hi: 0 },
  { name: 'HAD1', dword: 2, lo: 1, hi: 1, doc: 'DisCH1 if D128' },
  { name: 'E0PD1', dword: 2, lo: 2, hi: 2 },
  { name: 'AIE', dword: 2, lo: 3, hi: 3, doc: 'attribute index extension' },
  { name: 'TTB1', dword: 2, lo: 4, hi: 55, addr: true, doc: 'TTB1 table base' },
  { name: 'DS', dword: 2, lo: 58, hi: 58, doc: '52-bit addresses with 4K/16K granules' },
  { name: 'PIE', dword: 2, lo: 59, hi: 59, doc: 'S1 permission indirection' },
  { name: 'HWU159', dword: 2, lo: 60, hi: 60 },
  { name: 'HWU160', dword: 2, lo: 61, hi: 61 },
  { name: 'HWU161', dword: 2, lo: 62, hi: 62, doc: 'SKL1[0] if D128' },
  { name: 'HWU162', dword: 2, lo: 63, hi: 63, doc: 'SKL1[1] if D128' },
  // dw3..dw7
  { name: 'MAIR0', dword: 3, lo: 0, hi: 31 },
  { name: 'MAIR1', dword: 3, lo: 32, hi: 63 },
  { name: 'AMAIR0', dword: 4, lo: 0, hi: 31 },
  { name: 'AMAIR1', dword: 4, lo: 32, hi: 63 },
  { name: 'IMPDEF', dword: 5, lo: 0, hi: 31, doc: 'IMPLEMENTATION DEFINED' },
  { name: 'PARTID', dword: 5, lo: 32, hi: 47 },
  { name: 'PMG', dword: 5, lo: 48, hi: 55 },
  { name: 'PIIU', dword: 6, lo: 0, hi: 47, doc: 'PIIU<p> = bits [3p+2:3p]' },
  { name: 'PIIP', dword: 7, lo: 0, hi: 47, doc: 'PIIP<p> = bits [3p+2:3p]' },
];

export const CD = new StructCodec('CD', 8, CD_FIELDS);

/** L1CD (§5.3): V bit 0, L2Ptr [55:12] (an IPA when stage 2 is enabled). */
export const L1CD = new StructCodec('L1CD', 1, [
  { name: 'V', dword: 0, lo: 0, hi: 0, doc: 'valid' },
  { name: 'L2Ptr', dword: 0, lo: 12, hi: 55, addr: true, doc: 'level-2 CD table address' },
]);
