/**
 * A target's ID registers → the SmmuProfile the harness drives it as, and the feature names
 * scenarios `requires:` (src/scenario/features.ts). Features come from the target: a scenario whose
 * `requires:` the target's IDRs lack is SKIP with the reason. Field meanings: §6.3.1–§6.3.6.
 */
import { AIDR, IDR0, IDR1, IDR3, IDR5, IIDR } from '../arch/registers.ts';
import { linuxOasEnc } from '../host/features.ts';
import { DEFAULT_PROFILE, type SmmuProfile } from '../smmu/profile.ts';
import { type IdRegName, PROFILE_FIELDS, type ProfileField } from '../smmu/profile-fields.ts';
import type { TargetIdRegs } from './contract.ts';

export function profileFromIdRegs(name: string, r: TargetIdRegs): SmmuProfile {
  return { ...DEFAULT_PROFILE, ...idRegFields(r), name };
}

/**
 * Reserved encodings a target may report, read as a defined one: TTF 0b00 as AArch64 tables,
 * STALL_MODEL 0b11 as stall forced, ST_LEVEL 0b1x as 2-level, VAX 0b1x as 52-bit, OAS 0b111
 * (56 bits, not modelled) as Linux reads it, 48 bits (§6.3.1, §6.3.6).
 */
const READ_AS: Readonly<Record<string, (v: number) => number>> = {
  TTF: (v) => v || 2,
  STALL_MODEL: (v) => Math.min(2, v),
  ST_LEVEL: (v) => (v === 0 ? 0 : 1),
  VAX: (v) => (v === 0 ? 0 : 1),
  OAS: linuxOasEnc,
};

/**
 * Only the profile fields the ID registers determine (the rest are implementation choices the
 * IDRs do not show): the profile field table (smmu/profile-fields.ts) read backwards, in the
 * profile's key order.
 */
export function idRegFields(r: TargetIdRegs): Partial<SmmuProfile> {
  const regs: Record<IdRegName, Record<string, bigint>> = {
    IDR0: IDR0.decode([r.idr0]),
    IDR1: IDR1.decode([r.idr1]),
    IDR3: IDR3.decode([r.idr3]),
    IDR5: IDR5.decode([r.idr5]),
    IIDR: IIDR.decode([r.iidr]),
    AIDR: AIDR.decode([r.aidr]),
  };
  const got: Parameters<ProfileField['set']>[0] = { granules: [] };
  for (const f of PROFILE_FIELDS) {
    const v = Number(regs[f.reg][f.field] ?? 0n);
    f.set(got, READ_AS[f.field]?.(v) ?? v, DEFAULT_PROFILE);
  }
  return Object.fromEntries(Object.keys(DEFAULT_PROFILE).flatMap((k) => (k in got ? [[k, got[k as keyof SmmuProfile]]] : []))) as Partial<SmmuProfile>;
}
