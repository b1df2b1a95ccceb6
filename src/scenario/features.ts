/**
 * The central list of SMMU features a scenario may name in `requires:` (test262 `features.txt`
 * style): a scenario that requires a feature the profile under test lacks is reported SKIP, and a
 * name not on this list is a located error with a did-you-mean, so the list cannot go stale.
 */
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
] as const;

export type Feature = (typeof FEATURES)[number];

const SET: ReadonlySet<string> = new Set(FEATURES);

export function isFeature(name: string): name is Feature {
  return SET.has(name);
}
