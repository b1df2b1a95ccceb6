/**
 * Implementation profile: what the emulated SMMU advertises in IDR0-5/IIDR/AIDR, the
 * IMPLEMENTATION DEFINED choices it makes, and fault injection. Every IMPDEF choice is a named
 * setting here so that a hardware trace can be compared under the profile of its part.
 *
 * Default: a nesting-capable SMMUv3.2-like part. IIDR = Implementer 0x43B (the Arm JEP106 code
 * used by Arm's own SMMUs), ProductID 0x5C3 (an unused value chosen for "smmu-conform emulator",
 * so host errata tables keyed on MMU-600 0x483 / MMU-700 0x487 never match), Variant 0, Revision 0.
 * AIDR = 0x02 (ArchMajorRev 0 = SMMUv3, ArchMinorRev 2 = v3.2).
 */
import { AIDR, IDR0, IDR1, IDR2, IDR3, IDR4, IDR5, IIDR } from '../arch/registers.ts';
import type { StructCodec } from '../arch/fields.ts';
import { type IdRegName, PROFILE_FIELDS, registerFields } from './profile-fields.ts';

export type { SmmuProfile } from './profile-type.ts';
import type { SmmuProfile } from './profile-type.ts';

export const DEFAULT_PROFILE: SmmuProfile = {
  name: 'smmuv3.2-nesting',
  s1p: true,
  s2p: true,
  ttf: 2,
  cohacc: true,
  btm: false,
  httu: 0,
  hyp: true,
  ats: true,
  asid16: true,
  msi: true,
  sev: true,
  pri: false,
  vmid16: true,
  cd2l: true,
  ttendian: 0,
  stallModel: 0,
  termModel: false,
  stLevel: 1,
  sidSize: 16,
  ssidSize: 20,
  priqs: 0,
  eventqs: 19,
  cmdqs: 19,
  attrTypesOvr: true,
  attrPermsOvr: true,
  // BBML level 1: SMMUv3.2 requires BBML 0b01 or 0b10 (§6.3.4)
  ril: true,
  fwb: true,
  stt: false,
  bbml: 1,
  oas: 48,
  granules: ['4k', '16k', '64k'],
  ds: false,
  vax: 0,
  stallMax: 64,
  iidr: { implementer: 0x43b, revision: 0, variant: 0, productId: 0x5c3 },
  aidr: { major: 0, minor: 2 },
  cmdRes0: 'ill',
  gbpaAbortReset: false,
  wiredIrq: false,
  mergeEvents: false,
  atcInvNeverCompletes: [],
};

/**
 * The default profile with `over` applied. Fields the architecture makes RES0 follow the fields
 * they depend on unless named: IDR0.Hyp defaults to S1P && S2P (RES0 otherwise, §6.3.1), so a
 * stage-1-only or stage-2-only part does not advertise EL2 contexts. Throws only for profiles no
 * register value can express; the consistency rules (profile-rules.ts) are checked by callers
 * that load profiles from files.
 */
export function makeProfile(over: Partial<SmmuProfile> = {}): SmmuProfile {
  const merged: SmmuProfile = { ...DEFAULT_PROFILE, ...over };
  const p: SmmuProfile = over.hyp === undefined ? { ...merged, hyp: merged.hyp && merged.s1p && merged.s2p } : merged;
  if (!p.s1p && !p.s2p) throw new RangeError('Cannot build SMMU profile: at least one of s1p and s2p must be set');
  if (p.hyp && !(p.s1p && p.s2p)) throw new RangeError('Cannot build SMMU profile: IDR0.Hyp is RES0 when S1P or S2P is 0 (SMMUv3 §6.3.1)');
  if (p.sidSize < 0 || p.sidSize > 32) throw new RangeError(`Cannot build SMMU profile: sidSize ${p.sidSize} out of range 0..32`);
  if (p.ssidSize < 0 || p.ssidSize > 20) throw new RangeError(`Cannot build SMMU profile: ssidSize ${p.ssidSize} out of range 0..20`);
  return p;
}

/**
 * Width of the PA/IPA address fields of commands actually used: Address[55:12] and MSIAddr[55:2]
 * have bits [55:52] RES0 in SMMUv3.1-v3.3 and [55:48] RES0 in v3.0 (§4.1.6).
 */
export function commandPaBits(p: SmmuProfile): number {
  if (p.aidr.major !== 0) return 56;
  return p.aidr.minor === 0 ? 48 : p.aidr.minor <= 3 ? 52 : 56;
}

/** IAS = MAX(40 if AArch32 tables, OAS if AArch64 tables) (§3.4). */
export function profileIas(p: SmmuProfile): number {
  return Math.max((p.ttf & 1) !== 0 ? 40 : 0, (p.ttf & 2) !== 0 ? p.oas : 0);
}

export interface IdRegs {
  idr0: bigint;
  idr1: bigint;
  idr2: bigint;
  idr3: bigint;
  idr4: bigint;
  idr5: bigint;
  iidr: bigint;
  aidr: bigint;
}

const ID_CODECS: Readonly<Record<IdRegName, StructCodec>> = { IDR0, IDR1, IDR3, IDR5, IIDR, AIDR };
/** IDR2 and IDR4 hold no field the profile controls. */
const IDR2_VALUE = IDR2.encode({})[0] ?? 0n;
const IDR4_VALUE = IDR4.encode({})[0] ?? 0n;

/**
 * Each profile field's place in its ID register, from the register's field table, made once:
 * every SMMU built encodes its ID registers, and all of them are 32-bit registers, so the values
 * are summed as numbers (the fields are disjoint: StructCodec rejects overlaps) and made BigInts
 * at the end.
 */
const ID_FIELD_PLACES = PROFILE_FIELDS.map((f) => {
  const spec = ID_CODECS[f.reg].field(f.field);
  if (spec.hi > 31) throw new Error(`SMMU_${f.reg}.${f.field} is not in bits [31:0]`);
  return { f, scale: 2 ** spec.lo, limit: 2 ** (spec.hi - spec.lo + 1) };
});
if (new Set(PROFILE_FIELDS.map((f) => `${f.reg}.${f.field}`)).size !== PROFILE_FIELDS.length) throw new Error('PROFILE_FIELDS names a register field twice');

/** Raw ID register values for the profile (what hw_info hands to userspace), from the field table. */
export function profileToIdRegs(p: SmmuProfile): IdRegs {
  const v: Record<IdRegName, number> = { IDR0: 0, IDR1: 0, IDR3: 0, IDR5: 0, IIDR: 0, AIDR: 0 };
  for (const { f, scale, limit } of ID_FIELD_PLACES) {
    const x = f.get(p);
    // a value the field cannot hold: the codec reports it (RangeError naming the register and field)
    if (!(Number.isInteger(x) && x >= 0 && x < limit)) {
      ID_CODECS[f.reg].encode(registerFields(p, f.reg));
      throw new RangeError(`SMMU_${f.reg}.${f.field}: ${x} does not fit the field`);
    }
    v[f.reg] += x * scale;
  }
  return {
    idr0: BigInt(v.IDR0),
    idr1: BigInt(v.IDR1),
    idr2: IDR2_VALUE,
    idr3: BigInt(v.IDR3),
    idr4: IDR4_VALUE,
    idr5: BigInt(v.IDR5),
    iidr: BigInt(v.IIDR),
    aidr: BigInt(v.AIDR),
  };
}
