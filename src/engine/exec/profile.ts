/**
 * Scenario `smmu:` → emulator profile overrides and boot options. The overrides come from the
 * one mapping the validator also checks (src/scenario/profile-block.ts), applied over the
 * run-level part (`--profile`, ExecuteOptions.profile.smmu) or else the device's default profile
 * (nesting-capable SMMUv3.2-like, src/smmu/profile.ts).
 */
import type { BootOptions } from '../../smmu/boot.ts';
import { type SmmuProfile, makeProfile } from '../../smmu/profile.ts';
import type { CachePolicy } from '../../smmu/cache-policy.ts';
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
  // `boot:` is software's own programming (stream table and queue placement, sizes, start
  // indices, the reset batch); it wins over the older smmu.strtab/split/*_log2size keys.
  const b = s.boot ?? {};
  // Without an explicit size, a driver's default capped by what the part allows (IDR1.CMDQS/EVENTQS,
  // §6.3.2; Linux: min(CMDQ_MAX_SZ_SHIFT, IDR1.CMDQS)); an explicit size above it is a validate error.
  const part = makeProfile(profile);
  const cmdqLog2 = b.cmdq?.log2size ?? m.cmdq_log2size ?? Math.min(DEFAULT_CMDQ_LOG2, part.cmdqs);
  const evtqLog2 = b.evtq?.log2size ?? m.evtq_log2size ?? Math.min(DEFAULT_EVTQ_LOG2, part.eventqs);
  const split = b.strtab?.split ?? m.split;
  const boot: BootOptions = {
    strtab: b.strtab?.fmt ?? m.strtab ?? 'linear',
    cmdqLog2,
    evtqLog2,
    ...(split !== undefined ? { split } : {}),
    ...(m.recinvsid !== undefined ? { recinvsid: m.recinvsid } : {}),
    // SMMU_CR2.E2H is chosen at boot: CR2 is read-only once SMMUEN=1 (§6.3.12).
    ...(m.e2h !== undefined ? { e2h: m.e2h } : {}),
    ...(b.strtab?.base !== undefined ? { strtabBase: b.strtab.base } : {}),
    ...(b.strtab?.l1 !== undefined ? { l1: b.strtab.l1 } : {}),
    ...(b.cmdq?.base !== undefined ? { cmdqBase: b.cmdq.base } : {}),
    ...(b.evtq?.base !== undefined ? { evtqBase: b.evtq.base } : {}),
    ...(b.cmdq?.start !== undefined ? { cmdqStart: b.cmdq.start } : {}),
    ...(b.evtq?.start !== undefined ? { evtqStart: b.evtq.start } : {}),
    ...(b.invalidate === false ? { invalidate: () => {} } : {}),
  };
  return { profile, boot, cachePolicy: m.cache_policy ?? 'max' };
}
