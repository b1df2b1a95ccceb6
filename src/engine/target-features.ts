/**
 * Features of an external target, from its own ID registers (probed once per thread and target):
 * a scenario whose `requires:` the target lacks is SKIP, with the target named.
 */
import { type Feature, profileFeatures } from '../scenario/features.ts';
import type { TargetSpec } from '../target/contract.ts';
import { idRegFields, profileFromIdRegs } from '../target/idregs.ts';
import type { SmmuProfile } from '../smmu/profile.ts';
import { QemuTarget } from '../target/qemu/target.ts';

export interface TargetFeatures {
  readonly name: string;
  readonly features: readonly Feature[];
  /** The profile fields its ID registers determine (idRegFields). */
  readonly idFields: Partial<SmmuProfile>;
}

const cache = new Map<string, TargetFeatures | string>();

/** The target's features, or why it cannot be probed (missing binary, QEMU died). */
export function targetFeatures(spec: TargetSpec): TargetFeatures | string {
  const key = JSON.stringify(spec);
  let f = cache.get(key);
  if (f === undefined) {
    f = probe(spec);
    cache.set(key, f);
  }
  return f;
}

function probe(spec: TargetSpec): TargetFeatures | string {
  if (spec.kind === 'builtin') return 'The built-in emulator takes its features from --features';
  try {
    const t = new QemuTarget({ binary: spec.binary, sids: [] });
    try {
      return { name: t.name, features: profileFeatures(profileFromIdRegs(t.name, t.idRegs())), idFields: idRegFields(t.idRegs()) };
    } finally {
      t.close();
    }
  } catch (e) {
    return `Cannot probe target ${spec.binary}: ${e instanceof Error ? e.message : String(e)}`;
  }
}
