/**
 * What defines a step kind. Each kind lives in one file of this folder: its body type (merged
 * into StepBodies of src/scenario/types.ts), the key list the compiler checks against that type,
 * its schema fragment, its executor handler, its explain renderer and a docs example.
 * registry.ts lists the files; everything else (schema, validator, docs/steps.md, dispatch,
 * loader checks) is derived from that list. Adding a kind: docs/architecture.md "Adding a step kind".
 */
import type { RefPath, RefTools } from '../../scenario/language.ts';
import type { Json } from '../../scenario/schema.ts';
import type { Shape, StepBodies, StepKind } from '../../scenario/types.ts';
import type { ExecContext } from '../exec/context.ts';
import type { HostWorld } from '../exec/world.ts';
import type { ObsValue, StepRecord } from '../../scenario/observation.ts';

export type Fields = Record<string, ObsValue>;
/** A step's outcome: the record's `result` id and its fields (StepRecord without step/op). */
export interface StepOut {
  readonly result: string;
  readonly fields: Fields;
}

interface StepDefBase<K extends StepKind> {
  readonly kind: K;
  /** `$defs/step_<kind>` of the scenario schema (src/scenario/schema.ts has the building blocks). */
  readonly schema: Json;
  /** The keys of the body type; `shape<Body>()` makes the compiler check them, schema-sync the schema. */
  readonly shape: Shape | undefined;
  /** One step as written in a scenario (YAML), for docs/steps.md; a test loads it. */
  readonly example: string;
  /** One line for `explain`: the step's operands, e.g. `nic read 0x1000`. */
  readonly explain: (body: StepBodies[K]) => string;
  /**
   * What the step did, in architecture terms, for `explain` (after the step ran, before the next):
   * the structures it wrote or read decoded (STE, CD, descriptors, registers), the uAPI call's
   * outcome, the transaction's PA or fault. The commands the SMMU consumed, the walks and the
   * event records of the step are added for every kind (registry.ts explainRun).
   */
  readonly detail: (body: StepBodies[K], record: StepRecord, ctx: ExecContext) => string[];
  /** Name-resolution checks of the body beyond the schema (devices, tables, host objects). */
  readonly refs?: (body: StepBodies[K], t: RefTools, at: RefPath) => void;
}
/** A step on the emulated SMMU and memory (no host needed). */
export interface DeviceStepDef<K extends StepKind> extends StepDefBase<K> {
  readonly layer: 'device';
  readonly run: (ctx: ExecContext, body: StepBodies[K], n: number, where: string) => StepOut;
}
/** A step through the Linux-like host (and guest): needs a top-level `host:`. */
export interface HostStepDef<K extends StepKind> extends StepDefBase<K> {
  readonly layer: 'host';
  readonly run: (ctx: ExecContext, host: HostWorld, body: StepBodies[K], n: number, where: string) => StepOut;
}
export type StepDef<K extends StepKind> = DeviceStepDef<K> | HostStepDef<K>;

/** Identity with the kind inferred, so each definition is checked against its own body type. */
export function defineStep<K extends StepKind>(def: StepDef<K>): StepDef<K> {
  return def;
}
