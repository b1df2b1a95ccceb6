/**
 * The target contract: what an SMMUv3 implementation under test must offer the harness. The
 * harness is the driver (it plays software: writes stream tables, CDs, page tables and queues into
 * memory, programs registers, submits commands, issues DMA, reads event records back); a target is
 * only the device plus the memory it sees. Documented in docs/targets.md. Leaf module: types only,
 * plus the one error class a target throws when it cannot express a request.
 *
 * Register offsets are the architected ones (Arm IHI 0070 §6.2, src/arch/registers.ts REG); page 1
 * registers (EVENTQ_PROD/CONS, PRIQ_*) at their page-1 offset 0x100xx. 64-bit registers are
 * accessed with readReg64/writeReg64 only (§6.2: a 32-bit access to half of one is permitted but
 * not required to be supported by every implementation).
 */

/** Raw ID and identification registers, as read from the target (§6.3.1–§6.3.6, IIDR, AIDR). */
export interface TargetIdRegs {
  readonly idr0: bigint;
  readonly idr1: bigint;
  readonly idr2: bigint;
  readonly idr3: bigint;
  readonly idr4: bigint;
  readonly idr5: bigint;
  readonly iidr: bigint;
  readonly aidr: bigint;
}

export type TargetAccess = 'read' | 'write' | 'exec';

/** One client transaction, as a device behind the SMMU would issue it. */
export interface TargetTransaction {
  /** StreamID of the issuing device. */
  readonly sid: number;
  /** SubstreamID (PASID); absent = no SubstreamID (SSV=0). */
  readonly ssid?: number;
  /** Input address (IOVA), 64 bits. */
  readonly iova: bigint;
  readonly access: TargetAccess;
  /** PnU=1 (privileged); default unprivileged. */
  readonly privileged?: boolean;
  /** Bytes transferred (default 4: one event record even on chunking implementations). */
  readonly size?: number;
  /**
   * The output address the reference (the golden) gives this transaction, when it completes
   * there. A target that cannot report the output address may instead check that the data went
   * there (QEMU: a write's data is looked for at this PA) and answer `completed` with it, or
   * `unobserved` with `notAt`.
   */
  readonly expectPa?: bigint;
}

/**
 * What the target can report about a transaction. `completed`/`aborted` carry what was
 * observed; `unobserved` means the target's transaction source cannot tell (for instance QEMU's
 * edu device reports no completion status): the harness then learns the outcome only from the
 * event queue, and reports that normalisation.
 */
export type TargetTransactionOutcome =
  | { readonly kind: 'completed' /** Output PA, when the target can observe it. */; readonly pa?: bigint }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'stalled'; readonly stag?: number }
  /** `notAt`: the target checked `expectPa` and the transaction's data did not go there. */
  | { readonly kind: 'unobserved'; readonly notAt?: bigint };

/** Optional capabilities; a scenario needing one the target lacks is SKIP with the reason. */
export interface TargetCapabilities {
  /** Transactions with a SubstreamID can be issued. */
  readonly substreams: boolean;
  /** Privileged (PnU=1) transactions can be issued. */
  readonly privileged: boolean;
  /** Instruction-fetch (InD=1) transactions can be issued. */
  readonly instruction: boolean;
  /** Highest input address + 1 a transaction can carry (QEMU: 2^48). */
  readonly iovaLimit: bigint;
  /** StreamIDs the target can issue transactions from (undefined = any). */
  readonly streamIds?: (sid: number) => string | undefined;
  /** Completion status and output PA of a transaction are observable. */
  readonly transactionOutcome: boolean;
  /** Wired interrupt lines can be observed. */
  readonly interrupts: boolean;
  /** MSI writes reach memory (IDR0.MSI and an observable doorbell). */
  readonly msi: boolean;
  /** Stall model observable (stalled transactions, RESUME completions). */
  readonly stall: boolean;
  /** Faults can be injected (external aborts on memory, CMDQ stalls, ATC invalidation timeouts). */
  readonly faultInjection: boolean;
}

/** Physical memory the target backs (reads and writes reach RAM there); anything else is a hole. */
export interface TargetMemoryRange {
  readonly base: bigint;
  readonly size: bigint;
}

export interface SmmuTarget {
  /** Short name used in reports (`emulator`, `qemu-7.2.22`). */
  readonly name: string;
  /** Version string for expectation files (`7.2`, `10.0`); the emulator reports `builtin`. */
  readonly version: string;
  readonly capabilities: TargetCapabilities;
  readonly memory: readonly TargetMemoryRange[];
  idRegs(): TargetIdRegs;
  readReg32(offset: number): number;
  writeReg32(offset: number, value: number): void;
  readReg64(offset: number): bigint;
  writeReg64(offset: number, value: bigint): void;
  /** Physical memory as the SMMU sees it (little-endian bytes). */
  readMem(pa: bigint, length: number): Uint8Array;
  writeMem(pa: bigint, data: Uint8Array): void;
  /** Several writes at once (optional; a target with a round-trip cost per request pipelines them). */
  writeMemMany?(writes: ReadonlyArray<{ readonly pa: bigint; readonly data: Uint8Array }>): void;
  /** Issue one transaction and wait until it has completed (or stalled). */
  transaction(t: TargetTransaction): TargetTransactionOutcome;
  /** Release the target (stop its process). Idempotent; must not throw. */
  close(): void;
}

/**
 * A request the target cannot express (a step kind, an attribute, a memory range). The runner
 * reports the scenario as SKIP with `reason`, never as a failure.
 */
export class TargetUnsupported extends Error {
  override readonly name = 'TargetUnsupported';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** A target that failed (process died, no answer): an `error` result, never a hang. */
export class TargetFailure extends Error {
  override readonly name = 'TargetFailure';
}

/** How a runner names a target (defined beside the Observation contract it travels in). */
export type { TargetSpec } from '../scenario/observation.ts';
