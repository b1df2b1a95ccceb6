/** Shared state of one scenario execution, and small readers of device state for records. */
import { CERROR_NAME } from '../../arch/command.ts';
import { hex32, hex64 } from '../../arch/fields.ts';
import { CMDQ_CONS, GERROR, REG } from '../../arch/registers.ts';
import type { SparseMemory } from '../../memory/sparse-memory.ts';
import { type BootInfo, submitCommands } from '../../smmu/boot.ts';
import type { CmdqResult } from '../../smmu/cmdq.ts';
import { SmmuDevice } from '../../smmu/device.ts';
import type { TransactionResult } from '../../smmu/transaction.ts';
import { TargetUnsupported } from '../../target/contract.ts';
import type { Scenario } from '../../scenario/types.ts';
import type { EventRecord, ObsValue, WalkTrace } from '../../scenario/observation.ts';
import type { HostWorld } from './world.ts';
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
  /** Per step, what it did (`explain`; filled only with `trace`). */
  readonly explained: WalkTrace[];
  /** Installed STE addresses by StreamID (for the layout section). */
  readonly steAddrs: Map<number, bigint>;
  /** The host (and guest) layers, when the scenario has a top-level `host` (exec/host.ts). */
  host?: HostWorld;
  /** Transactions that stalled, by the number of the dma step that issued them (resume `stall:`). */
  readonly stalled?: Map<number, { sid: number; stag: number }>;
  /**
   * `smmu.event_drain: explicit`: records written to the event queue so far, noted after setup
   * (step 0) and after every step, and how many the drain_events steps consumed, so a drained
   * record is attributed to the step that produced it.
   */
  readonly explicitDrain?: { marks: Array<{ step: number; written: number }>; consumed: number };
}

/** Records the event queue has accepted since reset (written, not merged or discarded). */
export function eventsWritten(dev: SmmuDevice): number {
  let n = 0;
  for (const e of dev.eventq.log) if (e.outcome === 'written') n++;
  return n;
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
  const sync = syncSignals(r);
  return {
    executed: r.executed.length,
    prod: hex32(dev.readReg(REG.CMDQ_PROD)),
    cons: consOf(dev),
    cerror: r.error,
    gerror: activeGerror(dev),
    ...(sync.length > 0 ? { sync } : {}),
  };
}

/**
 * CMD_SYNC completion signals (§4.7.3), one entry per CMD_SYNC that signalled, in queue order:
 * `msi 0x<addr>=0x<data>` (the 32-bit MSI write, address truncated to the OAS), `sev`, or `irq`
 * (the wired interrupt alone); `+irq` when the wired interrupt fired with the MSI. CMD_SYNCs that
 * signalled nothing (CS=SIG_NONE, or SIG_SEV without IDR0.SEV) are not listed.
 */
export function syncSignals(r: CmdqResult): string[] {
  const out: string[] = [];
  for (const s of r.syncs) {
    if (s.signal === 'msi') out.push(`msi ${hex64(s.msiAddr ?? 0n)}=${hex32(s.msiData ?? 0)}${s.wiredIrq === true ? '+irq' : ''}`);
    else if (s.signal !== 'none') out.push(s.signal);
  }
  return out;
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

export type Fields = Record<string, ObsValue>;
/** A step's outcome: the record's `result` id and its fields (a StepRecord without step and op). */
export interface StepOut {
  readonly result: string;
  readonly fields: Fields;
}

/** Submit commands (then consume them synchronously); the record fields of the submission. */
export function submitOut(ctx: ExecContext, cmds: readonly (readonly bigint[])[]): StepOut {
  const r = submitCommands(ctx.dev, cmds);
  return { result: cmdqResult(r), fields: cmdqFields(ctx.dev, r) };
}

/** A transaction's outcome as record fields: ok + pa, stall + stag, or fault/abort + event. */
export function txnFields(r: TransactionResult): StepOut {
  if (r.kind === 'translated') return { result: 'ok', fields: { pa: r.pa } };
  if (r.kind === 'stalled') return { result: 'stall', fields: { stag: r.stag } };
  const f: Fields = {};
  if (r.event !== undefined) f['event'] = r.event;
  if (r.event !== undefined) f['recorded'] = r.recorded === true;
  // Which ILLEGAL rule made the STE/CD C_BAD_* (config-checks.ts ids): a scenario about one rule
  // must not pass because another one fired.
  if (r.reasonId !== undefined) f['illegal'] = r.reasonId;
  if (r.raz === true) f['raz'] = true;
  if (r.silent === true) f['silent'] = true;
  return { result: r.raz === true || r.event === undefined ? 'abort' : 'fault', fields: f };
}
