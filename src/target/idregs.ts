/**
 * A target's ID registers → the SmmuProfile the harness drives it as, and the feature names
 * scenarios `requires:` (src/scenario/features.ts). Features come from the target: a scenario whose
 * `requires:` the target's IDRs lack is SKIP with the reason. Field meanings: §6.3.1–§6.3.6.
 */
import { AIDR, IDR0, IDR1, IDR3, IDR5, IIDR } from '../arch/registers.ts';
import type { GranuleName } from '../arch/ttd.ts';
import type { Feature } from '../scenario/features.ts';
import { DEFAULT_PROFILE, type SmmuProfile } from '../smmu/profile.ts';
import type { TargetIdRegs } from './contract.ts';

const OAS_BITS = [32, 36, 40, 42, 44, 48, 52] as const;

export function profileFromIdRegs(name: string, r: TargetIdRegs): SmmuProfile {
  return { ...DEFAULT_PROFILE, ...idRegFields(r), name };
}

/** Only the profile fields the ID registers determine (the rest are implementation choices the IDRs do not show). */
export function idRegFields(r: TargetIdRegs): Partial<SmmuProfile> {
  const i0 = IDR0.decode([r.idr0]);
  const i1 = IDR1.decode([r.idr1]);
  const i3 = IDR3.decode([r.idr3]);
  const i5 = IDR5.decode([r.idr5]);
  const ii = IIDR.decode([r.iidr]);
  const ai = AIDR.decode([r.aidr]);
  const n = (v: Record<string, bigint>, k: string): number => Number(v[k] ?? 0n);
  const b = (v: Record<string, bigint>, k: string): boolean => n(v, k) !== 0;
  const granules: GranuleName[] = [];
  if (b(i5, 'GRAN4K')) granules.push('4k');
  if (b(i5, 'GRAN16K')) granules.push('16k');
  if (b(i5, 'GRAN64K')) granules.push('64k');
  return {
    s1p: b(i0, 'S1P'),
    s2p: b(i0, 'S2P'),
    ttf: (n(i0, 'TTF') || 2) as 1 | 2 | 3,
    cohacc: b(i0, 'COHACC'),
    btm: b(i0, 'BTM'),
    httu: n(i0, 'HTTU') as 0 | 1 | 2 | 3,
    hyp: b(i0, 'HYP'),
    ats: b(i0, 'ATS'),
    asid16: b(i0, 'ASID16'),
    msi: b(i0, 'MSI'),
    sev: b(i0, 'SEV'),
    pri: b(i0, 'PRI'),
    vmid16: b(i0, 'VMID16'),
    cd2l: b(i0, 'CD2L'),
    ttendian: n(i0, 'TTENDIAN') as 0 | 2 | 3,
    stallModel: Math.min(2, n(i0, 'STALL_MODEL')) as 0 | 1 | 2,
    termModel: b(i0, 'TERM_MODEL'),
    stLevel: n(i0, 'ST_LEVEL') === 0 ? 0 : 1,
    sidSize: n(i1, 'SIDSIZE'),
    ssidSize: n(i1, 'SSIDSIZE'),
    priqs: n(i1, 'PRIQS'),
    eventqs: n(i1, 'EVENTQS'),
    cmdqs: n(i1, 'CMDQS'),
    attrTypesOvr: b(i1, 'ATTR_TYPES_OVR'),
    attrPermsOvr: b(i1, 'ATTR_PERMS_OVR'),
    ril: b(i3, 'RIL'),
    fwb: b(i3, 'FWB'),
    stt: b(i3, 'STT'),
    bbml: n(i3, 'BBML') as 0 | 1 | 2,
    oas: OAS_BITS[n(i5, 'OAS')] ?? 48,
    granules,
    ds: b(i5, 'DS'),
    vax: n(i5, 'VAX') === 0 ? 0 : 1,
    stallMax: n(i5, 'STALL_MAX'),
    iidr: { implementer: n(ii, 'Implementer'), revision: n(ii, 'Revision'), variant: n(ii, 'Variant'), productId: n(ii, 'ProductID') },
    aidr: { major: n(ai, 'ArchMajorRev'), minor: n(ai, 'ArchMinorRev') },
  };
}

/** The `requires:` names a profile provides (the inverse of exec/profile.ts's feature switches). */
export function featuresOfProfile(p: SmmuProfile): Feature[] {
  const f: Feature[] = [];
  const add = (on: boolean, name: Feature): void => {
    if (on) f.push(name);
  };
  add(p.s1p, 's1');
  add(p.s2p, 's2');
  add(p.s1p && p.s2p, 'nesting');
  add(p.ats, 'ats');
  add(p.pri, 'pri');
  add(p.stallModel !== 1, 'stall');
  add(p.cd2l, 'cd2l');
  add(p.stLevel === 1, '2lvl_strtab');
  add(p.ril, 'ril');
  add(p.msi, 'msi');
  add(p.hyp, 'hyp');
  add(p.httu !== 0, 'httu');
  add(p.btm, 'btm');
  add(p.vmid16, 'vmid16');
  add(p.asid16, 'asid16');
  add(p.hyp, 'e2h');
  add(p.sev, 'sev');
  add(p.granules.includes('16k'), 'granule_16k');
  add(p.granules.includes('64k'), 'granule_64k');
  return f;
}
