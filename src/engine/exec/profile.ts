/**
 * Scenario `smmu:` → emulator profile overrides and boot options. The overrides come from the
 * one mapping the validator also checks (src/scenario/profile-block.ts), applied over the
 * run-level part (`--profile`, ExecuteOptions.profile.smmu) or else the device's default profile
 * (nesting-capable SMMUv3.2-like, src/smmu/profile.ts).
 */
import type { BootOptions } from '../../smmu/boot.ts';
import { type SmmuProfile, makeProfile } from '../../smmu/profile.ts';
import type { CachePolicy } from '../../smmu/translate-types.ts';
import { profileOverrides } from '../../scenario/profile-block.ts';
import type { Scenario } from '../../scenario/types.ts';

export interface ExecProfile {
  readonly profile: Partial<SmmuProfile>;
  readonly boot: BootOptions;
  readonly cachePolicy: CachePolicy;
}

/** Default queue sizes: small rings keep CONS/PROD values readable in goldens. */
export const DEFAULT_CMDQ_LOG2 = 8;
export const DEFAULT_EVTQ_LOG2 = 8;

/** `under`: the run-level part (`--profile`) the scenario's own `smmu:` block is applied to. */
export function execProfile(s: Scenario, under: Partial<SmmuProfile> = {}): ExecProfile {
  const m = s.smmu ?? {};
  const profile = { ...under, ...profileOverrides(m, ['smmu'], makeProfile(under)).profile };
  const cmdqLog2 = m.cmdq_log2size ?? DEFAULT_CMDQ_LOG2;
  const evtqLog2 = m.evtq_log2size ?? DEFAULT_EVTQ_LOG2;
  const boot: BootOptions = {
    strtab: m.strtab ?? 'linear',
    cmdqLog2,
    evtqLog2,
    ...(m.split !== undefined ? { split: m.split } : {}),
    ...(m.recinvsid !== undefined ? { recinvsid: m.recinvsid } : {}),
  };
  return { profile, boot, cachePolicy: m.cache_policy ?? 'max' };
}
