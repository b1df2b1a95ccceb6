/**
 * The contract between the harness (loader, runner, goldens, reporters, CLI) and the per-scenario
 * executor (src/engine/execute.ts), which drives the emulator. The harness never looks inside the
 * device; it sees only the Observation.
 *
 * Observation records are flat maps of scalar values. The golden serialiser prints their keys in
 * a fixed leading order (`step`, then `op`/`type`, then `result`) followed by the executor's own
 * insertion order, which must be deterministic. Values: bigint prints as fixed-width 64-bit hex,
 * number as decimal, string verbatim (pre-format narrower hex with hex32 / your own width),
 * boolean as true/false, null as null, arrays of those in flow style (e.g. raw dwords).
 */
import type { Feature } from './features.ts';
import type { Scenario } from './types.ts';
import type { SmmuProfile } from '../smmu/profile.ts';
import type { RunBudget } from './budget.ts';

export type ObsScalar = string | number | bigint | boolean | null;
export type ObsValue = ObsScalar | readonly ObsScalar[];

/** One per scenario step, in step order. `step` is 1-based (steps[step - 1]). */
export interface StepRecord {
  readonly step: number;
  /** The step kind (`dma`, `cmdq`, ...). */
  readonly op: string;
  /** Outcome by stable id: ok | fault | stall | abort | error (inline `expect.result`). */
  readonly result: string;
  /** Optional extra fields; inline `expect.cerror` compares with `cerror`, `expect.gerror` with `gerror` (list of bit names). */
  readonly [field: string]: ObsValue;
}

/** One event record as read from an event queue, decoded and raw. */
export interface EventRecord {
  /** The step during which the event was written (1-based; 0 = during setup). */
  readonly step: number;
  /** Architecture name: F_TRANSLATION, C_BAD_STE, ... */
  readonly type: string;
  /**
   * Decoded fields in lower case (sid, ssid, s2, class, rnw, pnu, ind, stall, stag, input_addr,
   * ipa, fetch_addr, ...); inline `expect.events` compares by these names. `raw`: the 4 dwords.
   */
  readonly [field: string]: ObsValue;
}

/** A decoded walk: one line per descriptor fetched (stage, level, address, descriptor, S2 of the fetch). */
export interface WalkTrace {
  readonly step: number;
  readonly lines: readonly string[];
}

export interface Observation {
  /** The scenario name (path under scenarios/). */
  readonly scenario: string;
  readonly steps: readonly StepRecord[];
  /** The physical event queue, in order. */
  readonly events: readonly EventRecord[];
  /** What a guest's event queue received after forwarding (empty at hardware level). */
  readonly guest_events: readonly EventRecord[];
  /** Lines a Linux host would print, in the kernel's own formats. */
  readonly host_log: readonly string[];
  /** Final command queue state, e.g. { prod, cons, error: CERROR_NONE }. */
  readonly cmdq: Readonly<Record<string, ObsScalar>>;
  /** Final GERROR state, when the scenario touched it. */
  readonly gerror?: Readonly<Record<string, ObsValue>>;
  /**
   * Named structures → addresses (stream table, queues, table roots, CD tables, STEs), so goldens
   * can be checked by hand. Optional; serialised after `gerror`.
   */
  readonly layout?: Readonly<Record<string, ObsScalar>>;
  /**
   * The external target that produced this observation and the normalisations (src/target/
   * normalise.ts) its comparison with the reference golden needs; absent for the built-in
   * emulator. Never part of the golden.
   */
  readonly target?: {
    readonly name: string;
    readonly normalisations: readonly string[];
    /** DMA writes whose output address was checked at the golden's PA (ExecuteOptions.expectedPas), and those not found there. */
    readonly paChecks?: { readonly checked: number; readonly missed: readonly PaMiss[] };
  };
  /** The value the executed SMMU took for each choice the scenario's `permitted:` declares. */
  readonly permitted?: Readonly<Record<string, string>>;
  /** Registers read after a step whose inline `expect.regs` names them; never part of the golden. */
  readonly regs?: readonly { readonly step: number; readonly values: Readonly<Record<string, bigint>> }[];
  /** Walk traces for `explain`; never part of the golden. Filled only when `ExecuteOptions.trace` is set. */
  readonly walks?: readonly WalkTrace[];
  /**
   * What each step did in architecture terms (its kind's detail, the commands the SMMU consumed,
   * the walks, the event records), for `explain`; never part of the golden. Only with `trace`.
   */
  readonly explained?: readonly WalkTrace[];
}

/**
 * What the SMMU under test offers; scenarios whose `requires` are not all in `features` are
 * skipped. `smmu`: the part itself (`--profile FILE`), overrides of the emulator's one profile
 * type that every scenario's own `smmu:` block is applied to; absent = the default part.
 */
export interface Profile {
  readonly name: string;
  readonly features: readonly Feature[];
  readonly smmu?: Partial<SmmuProfile>;
}

/** Step number → the golden's PA of each transaction of a DMA write (null: not translated there); src/target/pa-check.ts. */
export type ExpectedPas = ReadonlyMap<number, ReadonlyArray<bigint | null>>;

/** A DMA write an external target checked at the golden's PA and did not find there. */
export interface PaMiss {
  readonly step: number;
  /** Transaction index within the step (0 for a single-transaction DMA). */
  readonly txn: number;
  readonly pa: bigint;
}

export interface ExecuteOptions {
  readonly profile: Profile;
  /** Collect WalkTrace records (costly; `explain` sets it). */
  readonly trace?: boolean;
  /** The SMMU under test (default: the built-in emulator). */
  readonly target?: TargetSpec;
  /** Run the built-in emulator with these values of IMPLEMENTATION DEFINED choices (src/scenario/choices.ts). */
  readonly choices?: Readonly<Record<string, string>>;
  /** Work and wall-time limits for this run (scenario/budget.ts); a runaway run throws BudgetExceeded. */
  readonly budget?: RunBudget;
  /**
   * Run the built-in emulator with an external target's ID-register values (src/target/idregs.ts
   * idRegFields) in place of the profile's, booting as a run on that target does: the reference
   * observation for a target whose IDRs differ from the reference part (engine/run-one.ts).
   */
  readonly asTarget?: Partial<SmmuProfile>;
  /** On an external target: the golden's PA of each DMA write, for a target that can only check it (src/target/pa-check.ts). */
  readonly expectedPas?: ExpectedPas;
}

/**
 * Run one validated scenario from reset to the end and report what happened. Must be
 * deterministic and must not throw for architectural errors (those are events, CERROR, GERROR);
 * a throw is reported as state `error` (executor crash).
 */
export type ExecuteScenario = (scenario: Scenario, opts: ExecuteOptions) => Observation;

/** Shape of a module that provides an executor (src/engine/execute.ts, or a test fake). */
export interface ExecutorModule {
  readonly executeScenario: ExecuteScenario;
}

/** How a runner names the SMMU under test (src/target/contract.ts re-exports it): serialisable, so worker threads can build their own. */
export type TargetSpec = { readonly kind: 'builtin' } | { readonly kind: 'qemu'; readonly binary: string };
