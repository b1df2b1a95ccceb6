/**
 * The target side of a differential run: how to open the SMMU under test for one scenario, and the
 * part it is (its ID registers as a profile). The reference model runs every scenario on that same
 * part, so the comparison is about behaviour, not configuration (a scenario whose `smmu:` block
 * asks for another part is SKIP on the target, docs/targets.md).
 */
import type { Scenario } from '../scenario/types.ts';
import type { PartLimits } from '../generate/draft.ts';
import { type Feature, profileFeatures } from '../scenario/features.ts';
import type { SmmuProfile } from '../smmu/profile.ts';
import { openTarget } from '../engine/exec/target-open.ts';
import { SparseMemory } from '../memory/sparse-memory.ts';
import { SmmuDevice } from '../smmu/device.ts';
import type { SmmuTarget, TargetCapabilities, TargetMemoryRange } from '../target/contract.ts';
import { EmulatorTarget } from '../target/emulator.ts';
import { profileFromIdRegs } from '../target/idregs.ts';
import { QEMU_MEMORY, QemuTarget, qemuStreamIdProblem, qemuVersion } from '../target/qemu/target.ts';

export interface DiffTarget {
  /** Report name, e.g. `qemu-7.2`; picks targets/<name>.yaml. */
  readonly name: string;
  /** The part, from the target's ID registers; the reference model runs as this part. */
  readonly profile: SmmuProfile;
  readonly features: readonly Feature[];
  /** A fresh target for one scenario (the caller closes it). */
  open(s: Scenario): SmmuTarget;
  /**
   * A stand-in with the target's part, capabilities and memory map but the emulator behind it:
   * a scenario the target cannot express (TargetUnsupported) is found out before a costly target
   * starts.
   */
  preflight?(): SmmuTarget;
  /** Why the target cannot issue transactions from a StreamID (adapt.ts renumbers such StreamIDs). */
  readonly streamIdProblem?: (sid: number) => string | undefined;
  /** What the target can issue beyond its ID registers (SubstreamIDs, fault injection); default: the emulator's. */
  readonly capabilities?: Pick<TargetCapabilities, 'substreams' | 'faultInjection'>;
}

/**
 * The part a campaign generates for: the target's features and OAS from its ID registers,
 * SubstreamIDs only when IDR1.SSIDSIZE > 0 and the target can issue them, the faults area only
 * with fault injection. The areas draw what this part can run (src/generate/draft.ts PartLimits).
 */
export function targetPart(t: DiffTarget): PartLimits {
  const caps = t.capabilities ?? { substreams: true, faultInjection: true };
  return { features: t.features, oas: t.profile.oas, substreams: t.profile.ssidSize > 0 && caps.substreams, faultInjection: caps.faultInjection };
}

/** The emulator dressed as another target: same name, part, capabilities and memory map. */
export function standIn(name: string, profile: SmmuProfile, capabilities: TargetCapabilities, memory: readonly TargetMemoryRange[]): SmmuTarget {
  const emu = new EmulatorTarget(new SmmuDevice({ mem: new SparseMemory(), profile, cachePolicy: 'max' }));
  return {
    name,
    version: 'stand-in',
    capabilities,
    memory,
    idRegs: () => emu.idRegs(),
    readReg32: (o) => emu.readReg32(o),
    writeReg32: (o, v) => emu.writeReg32(o, v),
    readReg64: (o) => emu.readReg64(o),
    writeReg64: (o, v) => emu.writeReg64(o, v),
    readMem: (pa, n) => emu.readMem(pa, n),
    writeMem: (pa, d) => emu.writeMem(pa, d),
    transaction: (t) => emu.transaction(t),
    close: () => emu.close(),
  };
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
  const caps = { ...probe.capabilities, streamIds: qemuStreamIdProblem };
  return {
    name: profile.name,
    profile,
    features: profileFeatures(profile),
    open: (s) => openTarget(spec, s),
    preflight: () => standIn(profile.name, profile, caps, QEMU_MEMORY),
    streamIdProblem: qemuStreamIdProblem,
    capabilities: caps,
  };
}
