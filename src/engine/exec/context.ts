/** Shared state of one scenario execution, and small readers of device state for records. */
import { CERROR_NAME } from '../../arch/command.ts';
import { hex32 } from '../../arch/fields.ts';
import { CMDQ_CONS, GERROR, REG } from '../../arch/registers.ts';
import type { SparseMemory } from '../../memory/sparse-memory.ts';
import type { BootInfo } from '../../smmu/boot.ts';
import type { CmdqResult } from '../../smmu/cmdq.ts';
import { SmmuDevice } from '../../smmu/device.ts';
import { TargetUnsupported } from '../../target/contract.ts';
import type { Scenario } from '../../scenario/types.ts';
import type { EventRecord, ObsValue, WalkTrace } from '../types.ts';
import type { HostWorld } from './host-world.ts';
import type { Allocators } from './layout.ts';
import type { TargetDevice } from './target-device.ts';
import type { Tables } from './tables.ts';

/** The device the executor drives: the built-in emulator, or an external target through its contract. */
export type Dut = SmmuDevice | TargetDevice;

export interface ExecContext {
  readonly scenario: Scenario;
  readonly dev: Dut;
  readonly mem: SparseMemory;
  readonly alloc: Allocators;
  readonly tables: Tables;
  readonly boot: BootInfo;
  readonly trace: boolean;
  readonly events: EventRecord[];
  readonly walks: WalkTrace[];
  /** Installed STE addresses by StreamID (for the layout section). */
  readonly steAddrs: Map<number, bigint>;
  /** The host (and guest) layers, when the scenario has a top-level `host` (exec/host.ts). */
  host?: HostWorld;
}

/** GERROR bits active now (GERROR ^ GERRORN), by architecture name. */
export function activeGerror(dev: Dut): string[] {
  const active = dev.readReg(REG.GERROR) ^ dev.readReg(REG.GERRORN);
  return GERROR.fields.filter((f) => ((active >> BigInt(f.lo)) & 1n) === 1n).map((f) => f.name);
}

function cmdqErrActive(dev: Dut): boolean {
  return activeGerror(dev).includes('CMDQ_ERR');
}

/**
 * CMDQ_CONS.ERR is UNKNOWN while GERROR.CMDQ_ERR is not active (§6.3.28), so observations report
 * it only while the error is active: `cerrorOf` says CERROR_NONE and `consOf` masks ERR otherwise.
 */
export function cerrorOf(dev: Dut): string {
  if (!cmdqErrActive(dev)) return 'CERROR_NONE';
  return CERROR_NAME[Number(CMDQ_CONS.get([dev.readReg(REG.CMDQ_CONS)], 'ERR'))] ?? 'CERROR_UNKNOWN';
}

export function consOf(dev: Dut): string {
  const cons = dev.readReg(REG.CMDQ_CONS);
  return hex32(cmdqErrActive(dev) ? cons : CMDQ_CONS.get([cons], 'RD'));
}

/** Step fields describing a command-queue submission (cmdq steps, invalidations, ack). */
export function cmdqFields(dev: Dut, r: CmdqResult): Record<string, ObsValue> {
  return {
    executed: r.executed.length,
    prod: hex32(dev.readReg(REG.CMDQ_PROD)),
    cons: consOf(dev),
    cerror: r.error,
    gerror: activeGerror(dev),
  };
}

/** ok when the queue drained without error, fault on CERROR, stall when it stopped making progress. */
export function cmdqResult(r: CmdqResult): 'ok' | 'fault' | 'stall' {
  if (r.error !== 'CERROR_NONE') return 'fault';
  return r.stalled ? 'stall' : 'ok';
}

/**
 * The emulator itself, for steps that use its injection and observation hooks (fault injection,
 * stall completions); on an external target such a step is SKIP with the reason.
 */
export function emulatorOnly(ctx: ExecContext, what: string): SmmuDevice {
  if (ctx.dev instanceof SmmuDevice) return ctx.dev;
  throw new TargetUnsupported(`${what} needs the built-in emulator's hooks (not part of the target contract)`);
}
