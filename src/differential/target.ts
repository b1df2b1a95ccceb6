/**
 * The target side of a differential run: how to open the SMMU under test for one scenario, and the
 * part it is (its ID registers as a profile). The reference model runs every scenario on that same
 * part, so the comparison is about behaviour, not configuration (a scenario whose `smmu:` block
 * asks for another part is SKIP on the target, docs/targets.md).
 */
import type { Scenario } from '../scenario/types.ts';
import type { Feature } from '../scenario/features.ts';
import type { SmmuProfile } from '../smmu/profile.ts';
import { openTarget } from '../engine/exec/target-open.ts';
import type { SmmuTarget } from '../target/contract.ts';
import { featuresOfProfile, profileFromIdRegs } from '../target/idregs.ts';
import { QemuTarget, qemuVersion } from '../target/qemu/target.ts';

export interface DiffTarget {
  /** Report name, e.g. `qemu-7.2`; picks targets/<name>.yaml. */
  readonly name: string;
  /** The part, from the target's ID registers; the reference model runs as this part. */
  readonly profile: SmmuProfile;
  readonly features: readonly Feature[];
  /** A fresh target for one scenario (the caller closes it). */
  open(s: Scenario): SmmuTarget;
}

/** QEMU's SMMUv3 model: one QEMU per scenario; the part is probed once (a missing binary throws TargetFailure naming it). */
export function qemuDiffTarget(binary: string): DiffTarget {
  qemuVersion(binary);
  const probe = new QemuTarget({ binary, sids: [] });
  let profile: SmmuProfile;
  try {
    profile = profileFromIdRegs(probe.name, probe.idRegs());
  } finally {
    probe.close();
  }
  const spec = { kind: 'qemu', binary } as const;
  return { name: profile.name, profile, features: featuresOfProfile(profile), open: (s) => openTarget(spec, s) };
}
