/**
 * The central list of SMMU features a scenario may name in `requires:` (test262 `features.txt`
 * style): a scenario that requires a feature the profile under test lacks is reported SKIP, and a
 * name not on this list is a located error with a did-you-mean, so the list cannot go stale.
 */
import type { SmmuProfile } from '../smmu/profile-type.ts';

export const FEATURES = [
  's1', // stage 1 translation (IDR0.S1P)
  's2', // stage 2 translation (IDR0.S2P)
  'nesting', // both stages at once (S1P && S2P, STE.Config = 0b111)
  'ats', // PCIe ATS, ATC invalidation (IDR0.ATS)
  'pri', // page request interface, PRI queue (IDR0.PRI)
  'stall', // stall fault model (IDR0.STALL_MODEL != 0b01)
  'cd2l', // two-level CD tables (IDR0.CD2L)
  '2lvl_strtab', // two-level stream table (IDR0.ST_LEVEL)
  'ril', // range invalidation (IDR3.RIL)
  'msi', // MSI-based interrupts and CMD_SYNC completion (IDR0.MSI)
  'hyp', // EL2 translation regime, TLBI_EL2_* (IDR0.HYP)
  'httu', // hardware access flag / dirty state update (IDR0.HTTU)
  'btm', // broadcast TLB maintenance (IDR0.BTM)
  'vmid16', // 16-bit VMIDs (IDR0.VMID16)
  'asid16', // 16-bit ASIDs (IDR0.ASID16)
  'e2h', // EL2-E2H regime (STE.STRW = EL2-E2H)
  'sev', // SEV on command queue wakeup (IDR0.SEV)
  'granule_16k', // 16KB translation granule (IDR5.GRAN16K)
  'granule_64k', // 64KB translation granule (IDR5.GRAN64K)
  'vatos', // VATOS address translation operations (IDR0.VATOS)
  // Not modelled by the reference emulator (NOT_MODELLED below, docs/not-modelled.md): always SKIP.
  'ds', // 52-bit addresses with 4KB/16KB granules, FEAT_LPA2, level -1 (IDR5.DS, CD.DS, STE.S2DS)
  'contiguous', // the Contiguous hint cached as one larger TLB entry
  'aarch32', // VMSAv8-32 LPAE tables (IDR0.TTF[0], CD.AA64=0, STE.S2AA64=0)
  'secure', // Secure and Realm streams and their register frames (SEC_SID, SMMU_S_*, SMMU_R_*)
  's2fwb', // STE.S2FWB stage-2 forced write-back attribute combining
] as const;

export type Feature = (typeof FEATURES)[number];

const SET: ReadonlySet<string> = new Set(FEATURES);

export function isFeature(name: string): name is Feature {
  return SET.has(name);
}

/**
 * Features the reference emulator does not model, with the reason. A scenario that `requires:`
 * one is reported SKIP with this reason whatever profile is selected: the emulator cannot judge
 * those rules, so a pass or a fail would mean nothing (docs/not-modelled.md says more).
 */
export const NOT_MODELLED: Readonly<Partial<Record<Feature, string>>> = {
  ds: 'DS/LPA2 (52-bit OA with 4KB/16KB granules, level -1 walks, 16KB level-0 start) is not modelled: walks read OA[47:g] only and CD.DS/STE.S2DS are treated as 0',
  contiguous:
    'the Contiguous hint is not modelled as a larger TLB entry: every descriptor is cached at its own page or block size (architecturally permitted, so the hint cannot be observed)',
  aarch32: 'AArch32 (VMSAv8-32 LPAE) translation tables are not modelled: the profile advertises AArch64 tables only (IDR0.TTF=0b10)',
  secure: 'Secure and Realm streams are not modelled: every StreamID is Non-secure and only the Non-secure register frame exists',
  s2fwb:
    'STE.S2FWB attribute combining is not modelled: the emulator checks permissions and addresses only, and memory attributes are not observable in its output',
};

/** The reason a feature cannot be judged by the reference emulator, or undefined when it is modelled. */
export function notModelledReason(f: Feature): string | undefined {
  return NOT_MODELLED[f];
}

type BoolKey = { [K in keyof SmmuProfile]-?: SmmuProfile[K] extends boolean ? K : never }[keyof SmmuProfile];

/**
 * Features that are one boolean ID register field of the part, both ways: `features: { ats: true }`
 * in an `smmu:` block sets IDR0.ATS (profile-block.ts), and a part with IDR0.ATS offers `ats`.
 */
export const FEATURE_BITS = {
  s1: 's1p',
  s2: 's2p',
  ats: 'ats',
  pri: 'pri',
  cd2l: 'cd2l',
  ril: 'ril',
  msi: 'msi',
  hyp: 'hyp',
  btm: 'btm',
  vmid16: 'vmid16',
  asid16: 'asid16',
  sev: 'sev',
} as const satisfies Partial<Record<Feature, BoolKey>>;

/** The profile field a feature switch sets alone, if it is one of FEATURE_BITS. */
export function featureBit(name: string): BoolKey | undefined {
  return Object.hasOwn(FEATURE_BITS, name) ? FEATURE_BITS[name as keyof typeof FEATURE_BITS] : undefined;
}

/** What a part offers, as `requires:` names: a `--profile` file's part, or a target's ID registers read as a profile. */
export function profileFeatures(p: SmmuProfile): Feature[] {
  const has: Record<Feature, boolean> = {
    ...(Object.fromEntries(Object.entries(FEATURE_BITS).map(([f, k]) => [f, p[k]])) as Record<keyof typeof FEATURE_BITS, boolean>),
    nesting: p.s1p && p.s2p,
    stall: p.stallModel !== 1,
    '2lvl_strtab': p.stLevel === 1,
    httu: p.httu >= 2,
    e2h: p.hyp,
    granule_16k: p.granules.includes('16k'),
    granule_64k: p.granules.includes('64k'),
    vatos: false, // no VATOS interface is modelled
    // Not modelled by the emulator (NOT_MODELLED): what the part advertises; a scenario
    // requiring one is a SKIP whatever the part says (run-one.ts).
    ds: p.ds,
    contiguous: true,
    aarch32: (p.ttf & 1) !== 0,
    secure: false,
    s2fwb: p.fwb,
  };
  return FEATURES.filter((f) => has[f]);
}
