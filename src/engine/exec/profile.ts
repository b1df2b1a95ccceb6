/**
 * Scenario `smmu:` → emulator profile overrides and boot options. Starts from the device's default
 * profile (nesting-capable SMMUv3.2-like, src/smmu/profile.ts); each scenario feature switch sets
 * the matching IDR bit. `nesting`, `e2h` and `vatos` have no profile bit of their own here:
 * `nesting: false` clears IDR0.S2P only if `s2` is not named as well (it is ignored otherwise);
 * `e2h` and `vatos` are ignored (documented gap). `smmu.e2h` sets SMMU_CR2.E2H at boot (before
 * SMMUEN=1, after which CR2 is read-only, §6.3.12); `smmu.vax` sets IDR5.VAX.
 */
import type { BootOptions } from '../../smmu/boot.ts';
import { DEFAULT_PROFILE, type SmmuProfile } from '../../smmu/profile.ts';
import type { CachePolicy } from '../../smmu/translate-types.ts';
import type { Scenario } from '../../scenario/types.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface ExecProfile {
  readonly profile: Partial<SmmuProfile>;
  readonly boot: BootOptions;
  readonly cachePolicy: CachePolicy;
}

/** Default queue sizes: small rings keep CONS/PROD values readable in goldens. */
export const DEFAULT_CMDQ_LOG2 = 8;
export const DEFAULT_EVTQ_LOG2 = 8;

const OAS = [32, 36, 40, 42, 44, 48, 52] as const;

export function execProfile(s: Scenario): ExecProfile {
  const m = s.smmu ?? {};
  const p: Partial<Mutable<SmmuProfile>> = {};
  if (m.oas !== undefined) {
    const oas = OAS.find((o) => o === m.oas);
    if (oas === undefined) throw new RangeError(`Cannot apply smmu.oas ${m.oas}: use one of ${OAS.join(', ')}`);
    p.oas = oas;
  }
  if (m.sidsize !== undefined) p.sidSize = m.sidsize;
  if (m.vax !== undefined) p.vax = m.vax ? 1 : 0;
  if (m.ssidsize !== undefined) p.ssidSize = m.ssidsize;
  let granules = [...(m.granules ?? DEFAULT_PROFILE.granules)];
  if (m.stall_model !== undefined) p.stallModel = m.stall_model === 'stall_and_terminate' ? 0 : m.stall_model === 'terminate' ? 1 : 2;
  const f = m.features ?? {};
  const set = <K extends keyof SmmuProfile>(key: K, v: SmmuProfile[K]): void => { p[key] = v; };
  for (const [name, on] of Object.entries(f)) {
    if (on === undefined) continue;
    switch (name) {
      case 's1': set('s1p', on); break;
      case 's2': set('s2p', on); break;
      case 'nesting': if (!on && f.s2 === undefined) set('s2p', false); break;
      case 'ats': set('ats', on); break;
      case 'pri': set('pri', on); break;
      case 'stall': set('stallModel', on ? (m.stall_model === 'stall_force' ? 2 : 0) : 1); break;
      case 'cd2l': set('cd2l', on); break;
      case '2lvl_strtab': set('stLevel', on ? 1 : 0); break;
      case 'ril': set('ril', on); break;
      case 'msi': set('msi', on); break;
      case 'hyp': set('hyp', on); break;
      case 'httu': set('httu', on ? 2 : 0); break;
      case 'btm': set('btm', on); break;
      case 'vmid16': set('vmid16', on); break;
      case 'asid16': set('asid16', on); break;
      case 'sev': set('sev', on); break;
      case 'granule_16k': granules = toggle(granules, '16k', on); break;
      case 'granule_64k': granules = toggle(granules, '64k', on); break;
      default: break; // e2h, vatos: no profile bit (see header)
    }
  }
  if (m.granules !== undefined || f.granule_16k !== undefined || f.granule_64k !== undefined) p.granules = granules;
  const cmdqLog2 = m.cmdq_log2size ?? DEFAULT_CMDQ_LOG2;
  const evtqLog2 = m.evtq_log2size ?? DEFAULT_EVTQ_LOG2;
  const boot: BootOptions = {
    strtab: m.strtab ?? 'linear',
    cmdqLog2,
    evtqLog2,
    ...(m.split !== undefined ? { split: m.split } : {}),
    ...(m.recinvsid !== undefined ? { recinvsid: m.recinvsid } : {}),
    ...(m.e2h !== undefined ? { e2h: m.e2h } : {}),
  };
  return { profile: p, boot, cachePolicy: m.cache_policy ?? 'max' };
}

function toggle(gs: Array<'4k' | '16k' | '64k'>, g: '16k' | '64k', on: boolean): Array<'4k' | '16k' | '64k'> {
  const rest = gs.filter((x) => x !== g);
  return on ? [...rest, g] : rest;
}
