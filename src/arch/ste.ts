/**
 * STE, Stream Table Entry (SMMUv3 §5.2): 64 bytes = 8 dwords. Every architected field is
 * declared here, including the ones only Secure/Realm/MPAM/DPT/VMSAv9-128 implementations use,
 * so that `decode` can print anything software may write. Bit numbers are per dword
 * (abs bit = 64*dword + bit). Positions checked against smmu/smmu-5.2.md (errata rows 5-9, 33,
 * B.13).
 *
 * Address fields keep the address in place (`addr: true`): S1ContextPtr [55:6], S2TTB [55:4],
 * VMSPtr [55:12], S_S2TTB [55:4]. For VMSAv8-64 stage 2, S2TTB bits [55:52] are RES0 (used only
 * by VMSAv9-128); the codec still stores them so illegal values can be represented and checked.
 *
 * S2POI is kept as one 64-bit field (S2POI<p> = bits [4p+3:4p], p = 0..15); IMPLEMENTATION
 * DEFINED areas are declared as IMPDEF_DW1/IMPDEF_DW2/IMPDEF_DW4 so they round-trip.
 */
import { PS_NAMES as PS_ENUM, SH_NAMES as SH, TG0_NAMES as S2TG, WALK_CACHE_NAMES as CACHE_WALK } from './encodings.ts';
import { type FieldSpec, StructCodec } from './fields.ts';

/** STE.Config (§5.2): 0b001-0b011 are reserved and behave as 0b000 (abort, no event). */
export const STE_CONFIG = {
  ABORT: 0,
  BYPASS: 4,
  S1_TRANS: 5,
  S2_TRANS: 6,
  NESTED: 7,
} as const;

const CONFIG_NAMES: Readonly<Record<number, string>> = {
  0: 'ABORT',
  1: 'RESERVED(ABORT)',
  2: 'RESERVED(ABORT)',
  3: 'RESERVED(ABORT)',
  4: 'BYPASS',
  5: 'S1_TRANS',
  6: 'S2_TRANS',
  7: 'NESTED',
};

/** Name of an STE.Config value (reserved values name the abort they behave as). */
export function steConfigName(v: number | bigint): string {
  return CONFIG_NAMES[Number(v)] ?? `UNKNOWN(${String(v)})`;
}

const S1FMT: Readonly<Record<number, string>> = { 0: 'LINEAR', 1: '64K_L2(4KB leaf)', 2: '1024_L2(64KB leaf)', 3: 'RESERVED(LINEAR)' };
const S1DSS: Readonly<Record<number, string>> = { 0: 'TERMINATE', 1: 'BYPASS', 2: 'SUBSTREAM0', 3: 'RESERVED(TERMINATE)' };
/** S1CIR/S1COR: CD fetch cacheability (§5.2; errata row 10). */
const CACHE_RA: Readonly<Record<number, string>> = { 0: 'NC', 1: 'WB-RA', 2: 'WT-RA', 3: 'WB-noRA' };
const EATS: Readonly<Record<number, string>> = { 0: 'ABORT', 1: 'TRANS', 2: 'S1CHK', 3: 'TRANS_DPT' };
const STRW: Readonly<Record<number, string>> = { 0: 'EL1', 1: 'RESERVED(EL3 if Secure)', 2: 'EL2', 3: 'RESERVED' };
const SHCFG: Readonly<Record<number, string>> = { 0: 'NSH', 1: 'INCOMING', 2: 'OSH', 3: 'ISH' };
const NSCFG: Readonly<Record<number, string>> = { 0: 'INCOMING', 1: 'RESERVED(INCOMING)', 2: 'SECURE', 3: 'NONSECURE' };
const PRIVCFG: Readonly<Record<number, string>> = { 0: 'INCOMING', 1: 'RESERVED(INCOMING)', 2: 'UNPRIV', 3: 'PRIV' };
const INSTCFG: Readonly<Record<number, string>> = { 0: 'INCOMING', 1: 'RESERVED(INCOMING)', 2: 'DATA', 3: 'INSTR' };
const DPT_VMATCH: Readonly<Record<number, string>> = { 0: 'VMID_OR_AC10', 1: 'VMID_OR_AC01_10', 2: 'NO_VMID', 3: 'RESERVED' };
const BOOL_ENDI: Readonly<Record<number, string>> = { 0: 'LE', 1: 'BE' };

export const STE_FIELDS: readonly FieldSpec[] = [
  // dw0
  { name: 'V', dword: 0, lo: 0, hi: 0, doc: 'valid' },
  { name: 'Config', dword: 0, lo: 1, hi: 3, enum: CONFIG_NAMES, doc: 'stream configuration' },
  { name: 'S1Fmt', dword: 0, lo: 4, hi: 5, enum: S1FMT, doc: 'CD table format' },
  { name: 'S1ContextPtr', dword: 0, lo: 6, hi: 55, addr: true, doc: 'CD (table) address; IPA if stage 2 enabled' },
  { name: 'S1CDMax', dword: 0, lo: 59, hi: 63, doc: 'log2(number of CDs)' },
  // dw1
  { name: 'S1DSS', dword: 1, lo: 0, hi: 1, enum: S1DSS, doc: 'default substream behaviour' },
  { name: 'S1CIR', dword: 1, lo: 2, hi: 3, enum: CACHE_RA, doc: 'CD fetch inner cacheability' },
  { name: 'S1COR', dword: 1, lo: 4, hi: 5, enum: CACHE_RA, doc: 'CD fetch outer cacheability' },
  { name: 'S1CSH', dword: 1, lo: 6, hi: 7, enum: SH, doc: 'CD fetch shareability' },
  { name: 'S2HWU59', dword: 1, lo: 8, hi: 8 },
  { name: 'S2HWU60', dword: 1, lo: 9, hi: 9 },
  { name: 'S2HWU61', dword: 1, lo: 10, hi: 10 },
  { name: 'S2HWU62', dword: 1, lo: 11, hi: 11 },
  { name: 'DRE', dword: 1, lo: 12, hi: 12, doc: 'destructive read enable' },
  { name: 'CONT', dword: 1, lo: 13, hi: 16, doc: 'contiguous hint: log2 span of identical STEs' },
  { name: 'DCP', dword: 1, lo: 17, hi: 17, doc: 'directed cache prefetch' },
  { name: 'PPAR', dword: 1, lo: 18, hi: 18, doc: 'PRI auto-response PASID' },
  { name: 'MEV', dword: 1, lo: 19, hi: 19, doc: 'merge events' },
  { name: 'SW_RESERVED', dword: 1, lo: 20, hi: 23, doc: 'software use, IGNORED by the SMMU' },
  { name: 'S1PIE', dword: 1, lo: 24, hi: 24, doc: 'CDs may enable S1 permission indirection' },
  { name: 'S2FWB', dword: 1, lo: 25, hi: 25, doc: 'stage 2 forced write-back' },
  { name: 'S1MPAM', dword: 1, lo: 26, hi: 26 },
  { name: 'S1STALLD', dword: 1, lo: 27, hi: 27, doc: 'stage 1 stall disable' },
  { name: 'EATS', dword: 1, lo: 28, hi: 29, enum: EATS, doc: 'ATS enable' },
  { name: 'STRW', dword: 1, lo: 30, hi: 31, enum: STRW, doc: 'StreamWorld' },
  { name: 'MemAttr', dword: 1, lo: 32, hi: 35, doc: 'memory type override (stage 2 MemAttr encoding)' },
  { name: 'MTCFG', dword: 1, lo: 36, hi: 36, doc: 'use MemAttr' },
  { name: 'ALLOCCFG', dword: 1, lo: 37, hi: 40, doc: 'allocation hint override 0b1RWT' },
  { name: 'SHCFG', dword: 1, lo: 44, hi: 45, enum: SHCFG, doc: 'shareability override' },
  { name: 'NSCFG', dword: 1, lo: 46, hi: 47, enum: NSCFG, doc: 'NS override (Secure/Realm streams)' },
  { name: 'PRIVCFG', dword: 1, lo: 48, hi: 49, enum: PRIVCFG, doc: 'privilege override' },
  { name: 'INSTCFG', dword: 1, lo: 50, hi: 51, enum: INSTCFG, doc: 'instruction/data override' },
  { name: 'IMPDEF_DW1', dword: 1, lo: 52, hi: 63, doc: 'IMPLEMENTATION DEFINED' },
  // dw2
  { name: 'S2VMID', dword: 2, lo: 0, hi: 15, doc: 'VMID' },
  { name: 'IMPDEF_DW2', dword: 2, lo: 16, hi: 31, doc: 'IMPLEMENTATION DEFINED' },
  { name: 'S2T0SZ', dword: 2, lo: 32, hi: 37, doc: '64 - IPA bits' },
  { name: 'S2SL0', dword: 2, lo: 38, hi: 39, doc: 'stage 2 start level (with S2SL0_2)' },
  { name: 'S2IR0', dword: 2, lo: 40, hi: 41, enum: CACHE_WALK, doc: 'S2 walk inner cacheability' },
  { name: 'S2OR0', dword: 2, lo: 42, hi: 43, enum: CACHE_WALK, doc: 'S2 walk outer cacheability' },
  { name: 'S2SH0', dword: 2, lo: 44, hi: 45, enum: SH, doc: 'S2 walk shareability' },
  { name: 'S2TG', dword: 2, lo: 46, hi: 47, enum: S2TG, doc: 'stage 2 granule' },
  { name: 'S2PS', dword: 2, lo: 48, hi: 50, enum: PS_ENUM, doc: 'stage 2 output size' },
  { name: 'S2AA64', dword: 2, lo: 51, hi: 51, enum: { 0: 'VMSAv8-32/v9-128', 1: 'VMSAv8-64' } },
  { name: 'S2ENDI', dword: 2, lo: 52, hi: 52, enum: BOOL_ENDI },
  { name: 'S2AFFD', dword: 2, lo: 53, hi: 53, doc: 'S2 access flag fault disable' },
  { name: 'S2PTW', dword: 2, lo: 54, hi: 54, doc: 'protected table walk' },
  { name: 'S2HD', dword: 2, lo: 55, hi: 55, doc: 'S2 HTTU dirty' },
  { name: 'S2HA', dword: 2, lo: 56, hi: 56, doc: 'S2 HTTU access flag' },
  { name: 'S2S', dword: 2, lo: 57, hi: 57, doc: 'stall on S2 faults' },
  { name: 'S2R', dword: 2, lo: 58, hi: 58, doc: 'record S2 faults' },
  { name: 'S2HAFT', dword: 2, lo: 59, hi: 59 },
  { name: 'S2PIE', dword: 2, lo: 60, hi: 60 },
  { name: 'S2POE', dword: 2, lo: 61, hi: 61 },
  { name: 'DPT_VMATCH', dword: 2, lo: 62, hi: 63, enum: DPT_VMATCH },
  // dw3
  { name: 'S2NSW', dword: 3, lo: 0, hi: 0 },
  { name: 'S2NSA', dword: 3, lo: 1, hi: 1 },
  { name: 'S2SL0_2', dword: 3, lo: 2, hi: 2 },
  { name: 'S2DS', dword: 3, lo: 3, hi: 3, doc: '52-bit addresses with 4K/16K granules' },
  { name: 'S2TTB', dword: 3, lo: 4, hi: 55, addr: true, doc: 'stage 2 table base' },
  { name: 'S2SKL', dword: 3, lo: 61, hi: 62 },
  // dw4
  { name: 'IMPDEF_DW4', dword: 4, lo: 0, hi: 15, doc: 'IMPLEMENTATION DEFINED' },
  { name: 'PARTID', dword: 4, lo: 16, hi: 31 },
  { name: 'S_S2T0SZ', dword: 4, lo: 32, hi: 37 },
  { name: 'S_S2SL0', dword: 4, lo: 38, hi: 39 },
  { name: 'S_S2TG', dword: 4, lo: 46, hi: 47, enum: S2TG },
  { name: 'MECID', dword: 4, lo: 48, hi: 63 },
  // dw5
  { name: 'PMG', dword: 5, lo: 0, hi: 7 },
  { name: 'MPAM_NS', dword: 5, lo: 8, hi: 8 },
  { name: 'AssuredOnly', dword: 5, lo: 9, hi: 9 },
  { name: 'TL0', dword: 5, lo: 10, hi: 10 },
  { name: 'TL1', dword: 5, lo: 11, hi: 11 },
  { name: 'VMSPtr', dword: 5, lo: 12, hi: 55, addr: true },
  // dw6
  { name: 'S2SW', dword: 6, lo: 0, hi: 0 },
  { name: 'S2SA', dword: 6, lo: 1, hi: 1 },
  { name: 'S_S2SL0_2', dword: 6, lo: 2, hi: 2 },
  { name: 'S_S2TTB', dword: 6, lo: 4, hi: 55, addr: true },
  { name: 'S_S2SKL', dword: 6, lo: 61, hi: 62 },
  // dw7
  { name: 'S2POI', dword: 7, lo: 0, hi: 63, doc: 'S2POI<p> = bits [4p+3:4p]' },
];

export const STE = new StructCodec('STE', 8, STE_FIELDS);

/**
 * The encoding of STE.`field` that its table names `name` (§5.2), e.g. ('S1DSS', 'BYPASS') = 1:
 * users name an encoding instead of writing its number again.
 */
export function steEncoding(field: string, name: string): number {
  const hit = Object.entries(STE.field(field).enum ?? {}).find(([, n]) => n === name);
  if (hit === undefined) throw new Error(`STE.${field} has no encoding named ${name}`);
  return Number(hit[0]);
}
