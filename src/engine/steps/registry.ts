/**
 * The step registry: every step kind, in schema order. Each entry is defined once, in its own
 * file of this folder (define.ts says what a definition holds); the schema's `$defs/step*`, the
 * loader's checks, the dispatch of the executor, `explain` and docs/steps.md are derived from
 * this list. The `satisfies` below makes the compiler reject a kind merged into StepBodies
 * without a definition here, and a definition whose handler does not fit its body type.
 */
import { SmmuDevice } from '../../smmu/device.ts';
import type { RefPath, RefTools, StepLanguage } from '../../scenario/language.ts';
import { type Json, buildScenarioSchema } from '../../scenario/schema.ts';
import { type Shape, type Step, type StepKind, stepKind } from '../../scenario/types.ts';
import { BudgetExceeded } from '../../scenario/budget.ts';
import { ExecFailure } from '../../scenario/exec-failure.ts';
import { hex64 } from '../../arch/fields.ts';
import type { TransactionResult } from '../../smmu/transaction.ts';
import { type ExecContext, txnFields } from '../exec/context.ts';
import type { EventRecord, StepRecord } from '../../scenario/observation.ts';
import type { CmdqResult } from '../../smmu/cmdq.ts';
import { commandEffect, commandLine } from '../../arch/explain.ts';
import { show } from './explain.ts';
import type { StepDef, StepOut } from './define.ts';
import { ackGerror } from './ack-gerror.ts';
import { attach } from './attach.ts';
import { cmdq } from './cmdq.ts';
import { destroy } from './destroy.ts';
import { dma } from './dma.ts';
import { drainEvents } from './drain-events.ts';
import { guestCmdq } from './guest-cmdq.ts';
import { guestEvents } from './guest-events.ts';
import { hwInfo } from './hw-info.ts';
import { hwptAlloc } from './hwpt-alloc.ts';
import { injectFault } from './inject-fault.ts';
import { invalidate } from './invalidate.ts';
import { map } from './map.ts';
import { msi } from './msi.ts';
import { nestedHwpt } from './nested-hwpt.ts';
import { readMem } from './read-mem.ts';
import { readReg } from './read-reg.ts';
import { readVevents } from './read-vevents.ts';
import { resume } from './resume.ts';
import { s2Map } from './s2-map.ts';
import { s2Unmap } from './s2-unmap.ts';
import { ste } from './ste.ts';
import { unmap } from './unmap.ts';
import { vdevice } from './vdevice.ts';
import { veventq } from './veventq.ts';
import { viommu } from './viommu.ts';
import { write } from './write.ts';
import { writeReg } from './write-reg.ts';

export const STEPS = {
  write_reg: writeReg,
  read_reg: readReg,
  ste,
  cmdq,
  dma,
  map,
  unmap,
  write,
  inject_fault: injectFault,
  resume,
  ack_gerror: ackGerror,
  drain_events: drainEvents,
  read_mem: readMem,
  hw_info: hwInfo,
  hwpt_alloc: hwptAlloc,
  s2_map: s2Map,
  s2_unmap: s2Unmap,
  viommu,
  vdevice,
  nested_hwpt: nestedHwpt,
  attach,
  invalidate,
  veventq,
  read_vevents: readVevents,
  destroy,
  guest_cmdq: guestCmdq,
  guest_events: guestEvents,
  msi,
} as const satisfies { readonly [K in StepKind]: StepDef<K> };

/** Every step kind, in schema order. */
export const STEP_KINDS = Object.keys(STEPS) as StepKind[];
/** The definition of a kind, typed by its body (one cast: an index by a union key loses the pairing). */
export function stepDef<K extends StepKind>(kind: K): StepDef<K> {
  return STEPS[kind] as unknown as StepDef<K>;
}

/** `$defs/step_<kind>` fragments by kind, in schema order. */
export const STEP_SCHEMAS: Readonly<Record<string, Json>> = Object.fromEntries(STEP_KINDS.map((k) => [k, STEPS[k].schema]));

/** The whole scenario schema (schemas/scenario.schema.json is this, serialised). */
let schemaCache: Json | undefined;
export function scenarioSchema(): Json {
  return (schemaCache ??= buildScenarioSchema(STEP_SCHEMAS));
}

/** SHAPES entries of the step definitions (schema location -> keys), for test/schema-sync.test.ts. */
export const STEP_SHAPES: Readonly<Record<string, Shape>> = {
  step: { all: STEP_KINDS, required: [] },
  ...Object.fromEntries(
    STEP_KINDS.flatMap((k) => {
      const s = STEPS[k].shape;
      return s === undefined ? [] : [[`step_${k}`, s]];
    }),
  ),
};

/** What the scenario loader needs to know about the kinds (src/engine/load.ts hands it over). */
export const STEP_LANGUAGE: StepLanguage = {
  schema: scenarioSchema,
  hostKinds: new Set(STEP_KINDS.filter((k) => STEPS[k].layer === 'host')),
  checkStep: (kind: StepKind, body: unknown, tools: RefTools, at: RefPath): void => {
    const def = stepDef(kind) as StepDef<StepKind>;
    def.refs?.(body as never, tools, at);
  },
};

/** The operands of a step in one line, for `explain`. */
export function explainStep(step: Step): string {
  const kind = stepKind(step);
  const def = stepDef(kind) as StepDef<StepKind>;
  return def.explain((step as unknown as Record<string, unknown>)[kind] as never);
}

/**
 * What one step did, for `explain`: its kind's detail, then every command the SMMU consumed
 * during it (decoded, with its effect), the walks of its transactions and the event records it
 * produced (decoded).
 */
export function explainRun(ctx: ExecContext, step: Step, record: StepRecord, batches: readonly CmdqResult[]): string[] {
  const kind = stepKind(step);
  const def = stepDef(kind) as StepDef<StepKind>;
  const lines = [`result: ${record.result}`, ...def.detail((step as unknown as Record<string, unknown>)[kind] as never, record, ctx)];
  for (const b of batches) {
    for (const c of b.executed) lines.push(`command ${commandLine(c)}: ${commandEffect(c)}`);
    if (b.error !== 'CERROR_NONE') {
      lines.push(
        `command queue stopped at index ${b.errorIndex ?? '?'}: ${b.error}${b.errorReason !== undefined ? ` (${b.errorReason})` : ''}; CONS stays on it, GERROR.CMDQ_ERR toggles (§7.1)`,
      );
    }
    if (b.stalled) lines.push('command queue made no progress (injected stall): CONS stays behind PROD');
  }
  for (const w of ctx.walks) if (w.step === record.step) lines.push(...w.lines.map((l) => `walk ${l}`));
  for (const e of ctx.events) if (e.step === record.step) lines.push(`event ${eventLine(e)}`);
  return lines;
}

/** `F_TRANSLATION sid=0x10 input_addr=0x2000 class=IN rnw=0 ...`: the decoded fields of an event record. */
function eventLine(e: EventRecord): string {
  const skip = new Set(['step', 'type', 'raw', 'host']);
  const parts = Object.entries(e)
    .filter(([k, v]) => !skip.has(k) && v !== null)
    .map(([k, v]) => `${k}=${show(v)}`);
  return [e.type, ...parts].join(' ');
}

/** Run one step → its StepRecord { step, op, result, ...fields }. Executor errors name the step. */
export function runStep(ctx: ExecContext, step: Step, n: number): StepRecord {
  const op = stepKind(step);
  const where = `step ${n} (${op})`;
  // stall completions are the emulator's observation (an external target's contract has no stall model)
  const emu = ctx.dev instanceof SmmuDevice ? ctx.dev : undefined;
  const before = emu?.stallCompletions.length ?? 0;
  let out: StepOut;
  try {
    out = dispatch(ctx, op, (step as unknown as Record<string, unknown>)[op] as never, n, where);
  } catch (e) {
    if (e instanceof BudgetExceeded) throw e;
    // Executor-side errors name their step, by text and by scenario path (runner: file:line:col).
    const msg = e instanceof Error ? e.message : String(e);
    throw new ExecFailure(['steps', n - 1, op], msg.includes(where) ? msg : `${where}: ${msg}`, { cause: e });
  }
  // Stalled transactions this step ended (STALL_TERM, RESUME in a cmdq step, SMMUEN=0, a retried
  // unrecorded stall): what happened to each. A resume step reports its own transaction itself.
  const ended = emu === undefined ? [] : emu.stallCompletions.slice(before).map(endedText);
  const fields = op !== 'resume' && ended.length > 0 ? { ...out.fields, ended } : out.fields;
  return { step: n, op, result: out.result, ...fields };
}

/** `terminate sid=0x10 stag=0: abort` / `retry sid=0x10 stag=1: ok pa=0x...` / `...: fault F_PERMISSION`. */
function endedText(c: { sid: number; stag: number; action: string; result: TransactionResult }): string {
  const o = txnFields(c.result);
  const pa = o.fields['pa'];
  const ev = o.fields['event'];
  const extra =
    typeof pa === 'bigint' ? ` pa=${hex64(pa)}` : typeof ev === 'string' ? ` ${ev}` : typeof o.fields['stag'] === 'number' ? ` stag=${o.fields['stag']}` : '';
  return `${c.action} sid=0x${c.sid.toString(16)} stag=${c.stag}: ${o.result}${extra}`;
}

function dispatch(ctx: ExecContext, kind: StepKind, body: never, n: number, where: string): StepOut {
  const def = stepDef(kind) as StepDef<StepKind> | undefined;
  if (def === undefined) throw new Error(`Cannot run ${where}: unknown step kind`);
  if (def.layer === 'device') return def.run(ctx, body, n, where);
  if (ctx.host === undefined) throw new Error(`Cannot run ${where}: host steps need a top-level \`host:\``);
  return def.run(ctx, ctx.host, body, n, where);
}
