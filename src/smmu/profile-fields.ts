/**
 * Every ID-register field the profile controls, by its architecture name, with the encodings the
 * architecture allows and how it maps to the profile (one home: the register values, the scenario
 * `smmu.idr` keys, their schema and the `--profile` files all come from this table).
 * SMMU_IDR0 §6.3.1, IDR1 §6.3.2, IDR3 §6.3.4, IDR5 §6.3.6, IIDR §6.3.7, AIDR §6.3.8.
 * Fields not listed read as zero (features this emulator does not model: ATOS, VATOS, NS1ATS,
 * MPAM, D128, ...).
 */
import { OAS_BITS } from '../arch/registers.ts';
import type { GranuleName } from '../arch/ttd.ts';
import type { SmmuProfile } from './profile-type.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type IdRegName = 'IDR0' | 'IDR1' | 'IDR3' | 'IDR5' | 'IIDR' | 'AIDR';

export interface ProfileField {
  readonly reg: IdRegName;
  /** Field name as in src/arch/registers.ts and the architecture. */
  readonly field: string;
  /** Allowed encodings: a list, or an inclusive range. */
  readonly values: readonly number[] | { readonly min: number; readonly max: number };
  /** What the field says, for the schema and docs. */
  readonly doc: string;
  /** The profile key it sets (for locating consistency errors). */
  readonly key: keyof SmmuProfile;
  get(p: SmmuProfile): number;
  set(p: Partial<Mutable<SmmuProfile>>, v: number, base: SmmuProfile): void;
}

type Bool = { [K in keyof SmmuProfile]-?: SmmuProfile[K] extends boolean ? K : never }[keyof SmmuProfile];
type Num = { [K in keyof SmmuProfile]-?: SmmuProfile[K] extends number ? K : never }[keyof SmmuProfile];

const bit = (reg: IdRegName, field: string, key: Bool, doc: string): ProfileField => ({
  reg,
  field,
  key,
  doc,
  values: [0, 1],
  get: (p) => (p[key] ? 1 : 0),
  set: (p, v) => {
    (p as Record<string, unknown>)[key] = v === 1;
  },
});
const num = (reg: IdRegName, field: string, key: Num, values: ProfileField['values'], doc: string): ProfileField => ({
  reg,
  field,
  key,
  doc,
  values,
  get: (p) => p[key] as number,
  set: (p, v) => {
    (p as Record<string, unknown>)[key] = v;
  },
});
const gran = (field: string, g: GranuleName): ProfileField => ({
  reg: 'IDR5',
  field,
  key: 'granules',
  values: [0, 1],
  doc: `${g.toUpperCase()} translation granule supported`,
  get: (p) => (p.granules.includes(g) ? 1 : 0),
  set: (p, v, base) => {
    const cur = (p.granules ?? base.granules).filter((x) => x !== g);
    p.granules = v === 1 ? [...cur, g] : cur;
  },
});
const sub = <K extends 'iidr' | 'aidr'>(
  reg: IdRegName,
  field: string,
  key: K,
  part: keyof SmmuProfile[K] & string,
  values: ProfileField['values'],
  doc: string,
): ProfileField => ({
  reg,
  field,
  key,
  doc,
  values,
  get: (p) => p[key][part] as number,
  set: (p, v, base) => {
    (p as Record<string, unknown>)[key] = { ...(p[key] ?? base[key]), [part]: v };
  },
});

export const PROFILE_FIELDS: readonly ProfileField[] = [
  bit('IDR0', 'S2P', 's2p', 'stage 2 translation supported'),
  bit('IDR0', 'S1P', 's1p', 'stage 1 translation supported'),
  num('IDR0', 'TTF', 'ttf', [1, 2, 3], 'translation table formats: 1 AArch32, 2 AArch64, 3 both'),
  bit('IDR0', 'COHACC', 'cohacc', 'coherent access to tables, queues and MSIs (a Linux host polls CMD_SYNC by MSI only when set)'),
  bit('IDR0', 'BTM', 'btm', 'broadcast TLB maintenance'),
  num('IDR0', 'HTTU', 'httu', [0, 1, 2, 3], 'hardware table update: 0 none, 1 access flag, 2 AF+dirty, 3 AF+dirty+HAFT'),
  bit('IDR0', 'HYP', 'hyp', 'hypervisor (EL2) stage 1 contexts; RES0 without S1P and S2P'),
  bit('IDR0', 'ATS', 'ats', 'PCIe ATS'),
  bit('IDR0', 'ASID16', 'asid16', '16-bit ASIDs'),
  bit('IDR0', 'MSI', 'msi', 'MSIs (event queue, GERROR, CMD_SYNC)'),
  bit('IDR0', 'SEV', 'sev', 'SEV on command queue progress (CMD_SYNC CS=SIG_SEV)'),
  bit('IDR0', 'PRI', 'pri', 'PCIe Page Request Interface; RES0 without ATS'),
  bit('IDR0', 'VMID16', 'vmid16', '16-bit VMIDs'),
  bit('IDR0', 'CD2L', 'cd2l', '2-level CD tables'),
  num('IDR0', 'TTENDIAN', 'ttendian', [0, 2, 3], 'table endianness: 0 mixed, 2 little-endian only, 3 big-endian only'),
  num('IDR0', 'STALL_MODEL', 'stallModel', [0, 1, 2], 'stall model: 0 stall and terminate, 1 terminate only, 2 stall forced'),
  bit('IDR0', 'TERM_MODEL', 'termModel', 'terminated transactions always abort (CD.A must be 1)'),
  num('IDR0', 'ST_LEVEL', 'stLevel', [0, 1], 'stream table: 0 linear only, 1 2-level as well'),
  num('IDR1', 'SIDSIZE', 'sidSize', { min: 0, max: 32 }, 'StreamID bits'),
  num('IDR1', 'SSIDSIZE', 'ssidSize', { min: 0, max: 20 }, 'SubstreamID bits'),
  num('IDR1', 'PRIQS', 'priqs', { min: 0, max: 19 }, 'log2 of the largest PRI queue'),
  num('IDR1', 'EVENTQS', 'eventqs', { min: 0, max: 19 }, 'log2 of the largest event queue'),
  num('IDR1', 'CMDQS', 'cmdqs', { min: 0, max: 19 }, 'log2 of the largest command queue'),
  bit('IDR1', 'ATTR_PERMS_OVR', 'attrPermsOvr', 'STE.PRIVCFG/INSTCFG overrides honoured'),
  bit('IDR1', 'ATTR_TYPES_OVR', 'attrTypesOvr', 'STE.MTCFG/MemAttr/ALLOCCFG/SHCFG overrides honoured'),
  bit('IDR3', 'FWB', 'fwb', 'stage 2 forced write-back (STE.S2FWB)'),
  bit('IDR3', 'STT', 'stt', 'small translation tables'),
  bit('IDR3', 'RIL', 'ril', 'range invalidation'),
  num('IDR3', 'BBML', 'bbml', [0, 1, 2], 'break-before-make level'),
  {
    reg: 'IDR5',
    field: 'OAS',
    key: 'oas',
    values: [0, 1, 2, 3, 4, 5, 6],
    doc: 'output address size: 0 32, 1 36, 2 40, 3 42, 4 44, 5 48, 6 52 bits',
    get: (p) => OAS_BITS.indexOf(p.oas),
    set: (p, v) => {
      p.oas = OAS_BITS[v] as SmmuProfile['oas'];
    },
  },
  gran('GRAN4K', '4k'),
  gran('GRAN16K', '16k'),
  gran('GRAN64K', '64k'),
  bit('IDR5', 'DS', 'ds', '52-bit addresses with 4K and 16K granules'),
  num('IDR5', 'VAX', 'vax', [0, 1], 'virtual address extend: 0 48-bit, 1 52-bit VA'),
  {
    reg: 'IDR5',
    field: 'STALL_MAX',
    key: 'stallMax',
    values: { min: 0, max: 0xffff },
    doc: 'most outstanding stalled transactions (RES0 with STALL_MODEL 0b01)',
    get: (p) => (p.stallModel === 1 ? 0 : p.stallMax),
    set: (p, v) => {
      p.stallMax = v;
    },
  },
  sub('IIDR', 'Implementer', 'iidr', 'implementer', { min: 0, max: 0xfff }, 'JEP106 implementer code (0x43B Arm)'),
  sub('IIDR', 'Revision', 'iidr', 'revision', { min: 0, max: 15 }, 'implementation revision'),
  sub('IIDR', 'Variant', 'iidr', 'variant', { min: 0, max: 15 }, 'implementation variant'),
  sub('IIDR', 'ProductID', 'iidr', 'productId', { min: 0, max: 0xfff }, 'product (0x483 MMU-600, 0x487 MMU-700: Linux errata)'),
  sub('AIDR', 'ArchMinorRev', 'aidr', 'minor', [0, 1, 2], 'SMMUv3.x minor revision (v3.3 and later are not modelled)'),
  sub('AIDR', 'ArchMajorRev', 'aidr', 'major', [0], 'architecture major revision (0 = SMMUv3)'),
];

const BY_NAME = new Map(PROFILE_FIELDS.map((f) => [f.field, f]));
export function profileField(name: string): ProfileField | undefined {
  return BY_NAME.get(name);
}

export function fieldAllows(f: ProfileField, v: number): boolean {
  return Array.isArray(f.values)
    ? f.values.includes(v)
    : Number.isInteger(v) && v >= (f.values as { min: number }).min && v <= (f.values as { max: number }).max;
}

/** Field name → encoding for one register (what a raw register read gives). */
export function registerFields(p: SmmuProfile, reg: IdRegName): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of PROFILE_FIELDS) if (f.reg === reg) out[f.field] = f.get(p);
  return out;
}
