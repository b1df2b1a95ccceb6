/**
 * Opening an external target for one scenario, and the checks that decide, before anything runs,
 * whether the scenario can run on it: a scenario's `smmu:` block configures the emulated SMMU
 * (IDR bits, OAS, queue sizes, cache policy); a real implementation has fixed ID registers, so a
 * scenario asking for a different value than the target has is SKIP with the difference named.
 */
import type { Scenario } from '../../scenario/types.ts';
import type { SmmuProfile } from '../../smmu/profile.ts';
import { type SmmuTarget, type TargetSpec, TargetUnsupported } from '../../target/contract.ts';
import { QemuTarget } from '../../target/qemu/target.ts';
import type { ExecProfile } from './profile.ts';
import type { TargetDevice } from './target-device.ts';

/** StreamIDs a scenario's transactions can come from (declared devices and streams). */
export function scenarioSids(s: Scenario): number[] {
  const out = new Set<number>();
  for (const d of s.devices ?? []) out.add(Number(d.sid));
  for (const st of s.streams ?? []) if (st.sid !== undefined) out.add(Number(st.sid));
  return [...out].sort((a, b) => a - b);
}

export function openTarget(spec: TargetSpec, s: Scenario): SmmuTarget {
  switch (spec.kind) {
    case 'qemu':
      return new QemuTarget({ binary: spec.binary, sids: scenarioSids(s) });
    case 'builtin':
      throw new Error('The built-in emulator is not opened through openTarget');
  }
}

export function checkTargetProfile(ep: ExecProfile, dev: TargetDevice): void {
  const name = dev.target.name;
  if (ep.cachePolicy !== 'max')
    throw new TargetUnsupported(`smmu.cache_policy: ${ep.cachePolicy} configures the emulator's caches; ${name}'s caching is its own`);
  const differs: string[] = [];
  for (const [k, want] of Object.entries(ep.profile) as Array<[keyof SmmuProfile, unknown]>) {
    const have = dev.profile[k];
    const norm = (v: unknown): string => JSON.stringify(Array.isArray(v) ? [...(v as unknown[])].sort() : v);
    if (norm(want) !== norm(have)) differs.push(`${k}=${norm(want)} (${name} has ${norm(have)})`);
  }
  if (differs.length > 0) throw new TargetUnsupported(`scenario configures the SMMU (${differs.join(', ')}); ${name}'s ID registers are fixed`);
  const p = dev.profile;
  if (ep.boot.cmdqLog2 > p.cmdqs || ep.boot.evtqLog2 > p.eventqs) throw new TargetUnsupported(`queue sizes exceed ${name}'s IDR1`);
  if (ep.boot.strtab === '2level' && p.stLevel !== 1) throw new TargetUnsupported(`${name} has no 2-level stream table`);
  // host-layer values derived from the IDRs (hw_info, STE fields Linux picks) are compared with the
  // reference model run with the target's IDRs (engine/target-reference.ts), not skipped
}
