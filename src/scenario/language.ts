/**
 * What the loader needs to know about the step kinds, handed in by the step registry
 * (src/engine/steps/registry.ts). The scenario layer defines the document around the steps and
 * never names a step kind itself, so a new kind is added in one place above this layer.
 */
import type { LoadErrorCode } from './errors.ts';
import type { Json } from './schema.ts';
import type { Command, Scenario, StepKind, StreamInstall } from './types.ts';

export type RefPath = (string | number)[];

/** Name-resolution tools a step definition uses to check its body (src/scenario/references.ts). */
export interface RefTools {
  readonly scenario: Scenario;
  readonly report: (code: LoadErrorCode, path: RefPath, message: string) => void;
  /** UNKNOWN_REFERENCE (with a did-you-mean) when `name` is given and not in `set`. */
  readonly ref: (set: ReadonlySet<string>, what: string, name: string | undefined, path: RefPath) => void;
  readonly devices: ReadonlySet<string>;
  readonly s1: ReadonlySet<string>;
  readonly s2: ReadonlySet<string>;
  readonly cds: ReadonlySet<string>;
  /** Host objects (HWPTs, vIOMMUs, vDEVICEs, vEVENTQs) created by earlier steps; `*` = any kind. */
  readonly objects: (kind: string) => ReadonlySet<string>;
  /** A step creates a host object (one namespace for all kinds; DUPLICATE_NAME on reuse). */
  readonly declareObject: (kind: string, name: string | undefined, path: RefPath) => void;
  /** The rules of an STE selection and its tables (streams and `ste` steps). */
  readonly checkStream: (st: StreamInstall, at: RefPath) => void;
  /** Command lists: devices resolve, op or raw is given; `deviceOrSid`: not both device and sid. */
  readonly checkCommands: (cmds: readonly Command[], at: RefPath, deviceOrSid: boolean) => void;
}

export interface StepLanguage {
  /** The whole scenario schema; the loader turns its `$defs/u64` and `$defs/size` values into bigint. */
  readonly schema: () => Json;
  /** Kinds that drive the host layer and need a top-level `host:`. */
  readonly hostKinds: ReadonlySet<string>;
  /** The name-resolution checks of one step's body, at `at` (`steps[i].<kind>`). */
  readonly checkStep: (kind: StepKind, body: unknown, tools: RefTools, at: RefPath) => void;
}
