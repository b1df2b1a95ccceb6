/**
 * Consistency rules between the ID-register fields of an SMMU profile: a profile that breaks one
 * describes a part the architecture does not allow (a RES0 field set, a field a version makes
 * mandatory cleared, a reserved encoding). Each rule has a stable id, the section that states it
 * and the profile keys it involves, so a scenario or profile file can point at the key it came
 * from. The scenario validator and the `--profile` loader report every violation; nothing here
 * throws.
 */
import type { GranuleName } from '../arch/ttd.ts';
import type { SmmuProfile } from './profile.ts';

export type ProfileKey = keyof SmmuProfile;

export interface ProfileRule {
  /** Stable id, e.g. `IDR0.Hyp-RES0`. */
  readonly id: string;
  /** SMMUv3 section stating the rule. */
  readonly section: string;
  /** Keys involved; the first is the one an error points at. */
  readonly keys: readonly ProfileKey[];
  /** What the architecture requires, stated positively. */
  readonly text: string;
  /** True when `p` breaks the rule. */
  readonly broken: (p: SmmuProfile) => boolean;
}

export interface ProfileViolation {
  readonly rule: ProfileRule;
  /** `rule <id> (SMMUv3 §x): text`. */
  readonly message: string;
}

/** SMMUv3.minor of the profile's AIDR (ArchMajorRev 0 = SMMUv3). */
export function profileMinor(p: SmmuProfile): number {
  return p.aidr.major === 0 ? p.aidr.minor : 15;
}

const has = (p: SmmuProfile, g: GranuleName): boolean => p.granules.includes(g);
const v32 = (p: SmmuProfile): boolean => profileMinor(p) >= 2;

export const PROFILE_RULES: readonly ProfileRule[] = [
  {
    id: 'AIDR-modelled',
    section: '6.3.1',
    keys: ['aidr'],
    text: 'the architecture version is SMMUv3.0, v3.1 or v3.2 (later versions make IDR3 features mandatory that this emulator does not model: E0PD, PTWNNC, EPAN, MTEPERM)',
    broken: (p) => p.aidr.major !== 0 || p.aidr.minor > 2,
  },
  {
    id: 'IDR0.Hyp-RES0',
    section: '6.3.1',
    keys: ['hyp', 's2p', 's1p'],
    text: 'IDR0.Hyp is RES0 when S1P == 0 or S2P == 0',
    broken: (p) => p.hyp && !(p.s1p && p.s2p),
  },
  {
    id: 'IDR0.Hyp-v3.2',
    section: '6.3.1',
    keys: ['hyp', 'aidr'],
    text: 'Hyp == 1 is mandatory in SMMUv3.2 or later when S1P == 1 and S2P == 1',
    broken: (p) => v32(p) && p.s1p && p.s2p && !p.hyp,
  },
  {
    id: 'IDR0.PRI-RES0',
    section: '6.3.1',
    keys: ['pri', 'ats'],
    text: 'IDR0.PRI is RES0 when IDR0.ATS == 0',
    broken: (p) => p.pri && !p.ats,
  },
  {
    id: 'IDR0.STALL_MODEL-PCI',
    section: '6.3.1',
    keys: ['stallModel', 'ats'],
    text: 'an SMMU associated with a PCI system (IDR0.ATS == 1) must not have STALL_MODEL == 0b10',
    broken: (p) => p.stallModel === 2 && p.ats,
  },
  {
    id: 'IDR1.SIDSIZE-ST_LEVEL',
    section: '6.3.2',
    keys: ['stLevel', 'sidSize'],
    text: 'when IDR1.SIDSIZE >= 7, IDR0.ST_LEVEL != 0b00',
    broken: (p) => p.sidSize >= 7 && p.stLevel === 0,
  },
  {
    id: 'IDR1.SIDSIZE-range',
    section: '6.3.2',
    keys: ['sidSize'],
    text: 'IDR1.SIDSIZE is 0 to 32',
    broken: (p) => !Number.isInteger(p.sidSize) || p.sidSize < 0 || p.sidSize > 32,
  },
  {
    id: 'IDR1.SSIDSIZE-range',
    section: '6.3.2',
    keys: ['ssidSize'],
    text: 'IDR1.SSIDSIZE is 0 to 20',
    broken: (p) => !Number.isInteger(p.ssidSize) || p.ssidSize < 0 || p.ssidSize > 20,
  },
  {
    id: 'IDR1.QS-max',
    section: '6.3.2',
    keys: ['cmdqs', 'eventqs', 'priqs'],
    text: 'IDR1.CMDQS, EVENTQS and PRIQS are at most 19',
    broken: (p) => [p.cmdqs, p.eventqs, p.priqs].some((q) => !Number.isInteger(q) || q < 0 || q > 19),
  },
  {
    id: 'IDR3.RIL-v3.2',
    section: '6.3.4',
    keys: ['ril', 'aidr'],
    text: 'RIL is 1 in SMMUv3.2 or later',
    broken: (p) => v32(p) && !p.ril,
  },
  {
    id: 'IDR3.FWB-v3.2',
    section: '6.3.4',
    keys: ['fwb', 'aidr'],
    text: 'FWB is 1 in SMMUv3.2 or later',
    broken: (p) => v32(p) && !p.fwb,
  },
  {
    id: 'IDR3.BBML-v3.2',
    section: '6.3.4',
    keys: ['bbml', 'aidr'],
    text: 'BBML is 0b01 or 0b10 in SMMUv3.2 or later',
    broken: (p) => v32(p) && p.bbml === 0,
  },
  {
    id: 'IDR5.OAS-52-v3.0',
    section: '6.3.6',
    keys: ['oas', 'aidr'],
    text: 'OAS 52 bits (0b110) is reserved in SMMUv3.0',
    broken: (p) => profileMinor(p) === 0 && p.oas === 52,
  },
  {
    id: 'IDR5.OAS-52-granule',
    section: '6.3.6',
    keys: ['oas', 'granules', 'ds'],
    text: 'if OAS indicates 52 bits, GRAN64K == 1 or DS == 1',
    broken: (p) => p.oas === 52 && !has(p, '64k') && !p.ds,
  },
  {
    id: 'IDR5.VAX-v3.0',
    section: '6.3.6',
    keys: ['vax', 'aidr'],
    text: 'IDR5.VAX is RES0 in SMMUv3.0',
    broken: (p) => profileMinor(p) === 0 && p.vax !== 0,
  },
  {
    id: 'IDR5.VAX-granule',
    section: '6.3.6',
    keys: ['vax', 'granules', 'ds'],
    text: 'if VAX >= 0b01, GRAN64K == 1, or DS == 1 with GRAN4K or GRAN16K',
    broken: (p) => p.vax >= 1 && !has(p, '64k') && !(p.ds && (has(p, '4k') || has(p, '16k'))),
  },
  {
    id: 'IDR5.DS-VAX',
    section: '6.3.6',
    keys: ['ds', 'vax'],
    text: 'if DS == 1 the SMMU also supports at least 52-bit VA (VAX >= 0b01)',
    broken: (p) => p.ds && p.vax === 0,
  },
  {
    id: 'IDR5.DS-RES0',
    section: '6.3.6',
    keys: ['ds', 'granules'],
    text: 'IDR5.DS is RES0 when GRAN4K == 0 and GRAN16K == 0',
    broken: (p) => p.ds && !has(p, '4k') && !has(p, '16k'),
  },
  {
    id: 'IDR5.granules',
    section: '6.3.6',
    keys: ['granules'],
    text: 'at least one translation granule (GRAN4K, GRAN16K, GRAN64K) is supported',
    broken: (p) => p.granules.length === 0,
  },
];

/** Every rule `p` breaks, in table order. */
export function profileViolations(p: SmmuProfile): ProfileViolation[] {
  return PROFILE_RULES.filter((r) => r.broken(p)).map((rule) => ({ rule, message: `rule ${rule.id} (SMMUv3 §${rule.section}): ${rule.text}` }));
}
