/**
 * One scenario step → one StepRecord { step, op, result, ...fields } (result ids: ok | fault |
 * stall | abort | error). Fields per kind:
 *   dma          device, [ssid], iova, access; ok: pa; fault: event, recorded, [illegal: the
 *                ILLEGAL rule id of a C_BAD_STE/C_BAD_CD]; abort: [event,
 *                recorded], [raz: true] (RAZ/WI termination) or silent: true; stall: stag.
 *                `size` is not modelled (one translation per step).
 *   cmdq         commands, executed, prod, cons, cerror, gerror (active bit names);
 *                result ok (drained), fault (CERROR raised), stall (queue stopped: injected stall).
 *                cons shows CONS.ERR only while GERROR.CMDQ_ERR is active (UNKNOWN otherwise).
 *                Every record with cmdq fields adds `sync` when a CMD_SYNC signalled (context.ts
 *                syncSignals: msi <addr>=<data>, sev, irq).
 *   write_reg    reg [+ cmdq fields when the write ran the queue]
 *   ste          sid, addr [+ cmdq fields with invalidate]
 *   map / unmap  table, va|ipa, [pa|ipa output of a map], size [+ cmdq fields with invalidate]
 *   write        pa, words
 *   inject_fault kind
 *   resume       sid, stag, action, completed; the completion's dma fields (retry) or raz;
 *                new_stag when the retried transaction stalled again. `stall: N` resumes the
 *                transaction dma step N stalled (its StreamID and STAG).
 *   read_mem     pa, width, values (hex, null where unbacked); result abort if any was unbacked
 *   any other step that ended stalled transactions (STALL_TERM, RESUME in a cmdq step, SMMUEN=0,
 *                a retried unrecorded stall): ended: ['<action> sid=0x.. stag=N: <result> ...']
 *   ack_gerror   gerror (active after the ack) [+ cmdq fields when the queue restarted]
 *   drain_events (nothing while events are drained after every step; after inject_fault
 *                evtq_full or with smmu.event_drain: explicit: records, overflow, prod, cons —
 *                exec/events.ts drainEventsStep)
 *   host / guest steps (hw_info, hwpt_alloc, ..., guest_cmdq, guest_events, msi): exec/host.ts, exec/guest.ts
 */
import { SmmuDevice } from '../../smmu/device.ts';
import { encodeCommand } from '../../arch/command.ts';
import { REG, type RegName } from '../../arch/registers.ts';
import { installSte, submitCommands } from '../../smmu/boot.ts';
import type { TransactionResult } from '../../smmu/device.ts';
import { WalkTrace } from '../../smmu/walk-trace.ts';
import { type FaultInjection, type Step, stepKind } from '../../scenario/types.ts';
import type { ObsScalar, ObsValue, StepRecord } from '../types.ts';
import { hex32, hex64 } from '../../arch/fields.ts';
import { SYNC, encodeScenarioCommand } from './commands.ts';
import { type ExecContext, activeGerror, cmdqFields, cmdqResult, emulatorOnly } from './context.ts';
import { drainEventsStep, stopEventConsumer } from './events.ts';
import { s1Invalidation, s2Invalidation, steInvalidation } from './invalidate.ts';
import { encodeSte, streamSid } from './streams.ts';
import { mapS1, mapS2 } from './tables.ts';
import { hostStep } from './host.ts';
import { BudgetExceeded } from '../budget.ts';
import { ExecFailure } from '../exec-failure.ts';
import { MemoryCapError } from '../../memory/sparse-memory.ts';

type Fields = Record<string, ObsValue>;
type Out = { result: string; fields: Fields };

export function txnFields(r: TransactionResult): Out {
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

export function runStep(ctx: ExecContext, step: Step, n: number): StepRecord {
  const op = stepKind(step);
  const where = `step ${n} (${op})`;
  // stall completions are the emulator's observation (no stall model on an external target's contract)
  const emu = ctx.dev instanceof SmmuDevice ? ctx.dev : undefined;
  const before = emu?.stallCompletions.length ?? 0;
  let out: Out;
  try {
    out = dispatch(ctx, step, n, where);
  } catch (e) {
    if (e instanceof BudgetExceeded) throw e;
    // Executor-side errors name their step, by text and by scenario path (runner: file:line:col).
    const msg = e instanceof Error ? e.message : String(e);
    throw new ExecFailure(['steps', n - 1, op], msg.includes(where) ? msg : `${where}: ${msg}`, { cause: e });
  }
  // Stalled transactions this step ended (STALL_TERM, RESUME in a cmdq step, SMMUEN=0, a retried
  // unrecorded stall): what happened to each. A resume step reports its own transaction itself.
  const ended = emu === undefined ? [] : emu.stallCompletions.slice(before).map(endedText);
  if (op !== 'resume' && ended.length > 0) out.fields['ended'] = ended;
  return { step: n, op, result: out.result, ...out.fields };
}

/** `terminate sid=0x10 stag=0: abort` / `retry sid=0x10 stag=1: ok pa=0x...` / `...: fault F_PERMISSION`. */
function endedText(c: { sid: number; stag: number; action: string; result: TransactionResult }): string {
  const o = txnFields(c.result);
  const pa = o.fields['pa'];
  const ev = o.fields['event'];
  const extra = typeof pa === 'bigint' ? ` pa=${hex64(pa)}` : typeof ev === 'string' ? ` ${ev}` : typeof o.fields['stag'] === 'number' ? ` stag=${o.fields['stag']}` : '';
  return `${c.action} sid=0x${c.sid.toString(16)} stag=${c.stag}: ${o.result}${extra}`;
}

function submit(ctx: ExecContext, cmds: readonly (readonly bigint[])[]): Out {
  const r = submitCommands(ctx.dev, cmds);
  return { result: cmdqResult(r), fields: cmdqFields(ctx.dev, r) };
}

function dispatch(ctx: ExecContext, step: Step, n: number, where: string): Out {
  const s = ctx.scenario;
  const dev = ctx.dev;
  if (ctx.host !== undefined) {
    const o = hostStep(ctx, ctx.host, step, n, where);
    if (o !== undefined) return o;
  }
  if ('dma' in step) {
    const d = step.dma;
    const sid = streamSid(s, d, where);
    const trace = ctx.trace ? new WalkTrace() : undefined;
    const r = dev.transaction({
      sid, iova: d.iova, access: d.access,
      ...(d.ssid !== undefined ? { ssid: Number(d.ssid) } : {}),
      ...(d.priv !== undefined ? { privileged: d.priv } : {}),
      ...(trace !== undefined ? { trace } : {}),
    });
    if (trace !== undefined) ctx.walks.push({ step: n, lines: trace.format() });
    if (r.kind === 'stalled') ctx.stalled?.set(n, { sid, stag: r.stag });
    const o = txnFields(r);
    return { result: o.result, fields: { device: d.device, ...(d.ssid !== undefined ? { ssid: Number(d.ssid) } : {}), iova: d.iova, access: d.access, ...o.fields } };
  }
  if ('read_reg' in step) {
    const key = step.read_reg.reg.replace(/^SMMU_/, '') as RegName;
    return { result: 'ok', fields: { reg: step.read_reg.reg, value: dev.readReg(REG[key]) } };
  }
  if ('cmdq' in step) {
    const c = step.cmdq;
    const cmds = c.commands.map((cmd, i) => encodeScenarioCommand(s, cmd, `${where} command ${i + 1}`));
    if (c.index !== undefined) {
      // Software can only write at PROD: to place the first command at ring index `index`, queue
      // CMD_SYNCs (CS=none, no side effect) until PROD gets there (§3.5: the ring wraps).
      const ptr = dev.cmdq.ptr();
      const at = c.index % ptr.size;
      const pad = (at - ptr.index(dev.readReg(REG.CMDQ_PROD)) + ptr.size) % ptr.size;
      cmds.unshift(...Array.from({ length: pad }, () => [...SYNC]));
    }
    if (c.sync === true) cmds.push([...SYNC]);
    const o = submit(ctx, cmds);
    return { result: o.result, fields: { commands: cmds.length, ...o.fields } };
  }
  if ('write_reg' in step) {
    const w = step.write_reg;
    const key = w.reg.replace(/^SMMU_/, '') as RegName;
    const off = REG[key];
    if (off === undefined) throw new RangeError(`Cannot run ${where}: register ${w.reg} is not modelled`);
    const r = dev.writeReg(off, w.value);
    if (r === undefined) return { result: 'ok', fields: { reg: w.reg } };
    return { result: cmdqResult(r), fields: { reg: w.reg, ...cmdqFields(dev, r) } };
  }
  if ('ste' in step) {
    const st = step.ste;
    const sid = streamSid(s, st, where);
    const addr = installSte(dev, sid, encodeSte(st, ctx.tables, where));
    ctx.steAddrs.set(sid, addr);
    if (st.invalidate !== true) return { result: 'ok', fields: { sid, addr } };
    const o = submit(ctx, steInvalidation(sid));
    return { result: o.result, fields: { sid, addr, ...o.fields } };
  }
  if ('map' in step || 'unmap' in step) return mapStep(ctx, step, where);
  if ('write' in step) {
    const w = step.write;
    w.u64.forEach((v, i) => ctx.mem.write64(w.pa + BigInt(8 * i), v));
    return { result: 'ok', fields: { pa: w.pa, words: w.u64.length } };
  }
  if ('inject_fault' in step) {
    injectFault(ctx, step.inject_fault, where);
    return { result: 'ok', fields: { kind: step.inject_fault.kind } };
  }
  if ('resume' in step) {
    const r = step.resume;
    // By reference: the StreamID and STAG of the transaction an earlier dma step stalled.
    let target: { sid: number; stag: bigint };
    if (r.stall !== undefined) {
      const st = ctx.stalled?.get(r.stall);
      if (st === undefined) throw new Error(`Cannot run ${where}: step ${r.stall} did not stall a transaction`);
      target = { sid: st.sid, stag: BigInt(st.stag) };
    } else {
      if (r.device === undefined || r.stag === undefined) throw new Error(`Cannot run ${where}: give stall, or device and stag`);
      target = { sid: streamSid(s, { device: r.device }, where), stag: r.stag };
    }
    const sid = target.sid;
    const emu = emulatorOnly(ctx, 'A resume step');
    const before = emu.stallCompletions.length;
    const cmd = encodeCommand('RESUME', { StreamID: sid, STAG: target.stag, Ac: r.action === 'retry' ? 1 : 0, Ab: r.action === 'abort' ? 1 : 0 });
    const q = submitCommands(dev, [cmd, [...SYNC]]);
    const done = emu.stallCompletions.slice(before).find((c) => c.sid === sid && BigInt(c.stag) === target.stag);
    const base: Fields = { sid, stag: Number(target.stag), action: r.action, completed: done !== undefined };
    if (q.error !== 'CERROR_NONE' || q.stalled) return { result: cmdqResult(q), fields: { ...base, ...cmdqFields(dev, q) } };
    if (done === undefined) return { result: 'ok', fields: base };
    // A retry that stalls again has a new STAG: report it apart from the STAG this step resumed.
    const { stag: again, ...o } = txnFields(done.result).fields;
    return { result: txnFields(done.result).result, fields: { ...base, ...o, ...(again !== undefined ? { new_stag: again } : {}) } };
  }
  if ('ack_gerror' in step) {
    const r = dev.writeReg(REG.GERRORN, dev.readReg(REG.GERROR));
    if (r === undefined) return { result: 'ok', fields: { gerror: activeGerror(dev) } };
    return { result: cmdqResult(r), fields: cmdqFields(dev, r) };
  }
  if ('drain_events' in step) return drainEventsStep(ctx, n);
  if ('read_mem' in step) {
    // What software (or a checker) reads back: hardware AF/dirty updates, CMD_SYNC MSI writes.
    const m = step.read_mem;
    const width = m.width ?? 64;
    const values: ObsScalar[] = [];
    for (let i = 0; i < (m.count ?? 1); i++) {
      const a = m.pa + BigInt((i * width) / 8);
      const v = width === 64 ? ctx.mem.read64(a) : ctx.mem.read32(a);
      values.push(v === undefined ? null : width === 64 ? hex64(BigInt(v)) : hex32(v));
    }
    return { result: values.includes(null) ? 'abort' : 'ok', fields: { pa: m.pa, width, values } };
  }
  if (ctx.host === undefined) throw new Error(`Cannot run ${where}: host steps need a top-level \`host:\``);
  throw new Error(`Cannot run ${where}: unknown step kind`);
}

/**
 * A map/unmap step is software editing its own tables (io-pgtable map/unmap): when the edit is
 * impossible (the range is already mapped, or an unmap would split a block) the step fails the
 * way the software call would, with result `error` and the reason, and the tables are unchanged
 * from the failing entry on. Validation already rejected every statically impossible edit.
 */
function mapStep(ctx: ExecContext, step: Step, where: string): Out {
  try {
    return mapStepUnguarded(ctx, step, where);
  } catch (e) {
    if (!(e instanceof TableEditError)) throw e;
    const body = 'map' in step ? step.map : 'unmap' in step ? step.unmap : undefined;
    return { result: 'error', fields: { table: body?.table ?? '', reason: e.message } };
  }
}

class TableEditError extends Error {}
const edit = (f: () => void): void => {
  try {
    f();
  } catch (e) {
    if (e instanceof MemoryCapError) throw e;
    throw new TableEditError(e instanceof Error ? e.message.replace(/^Cannot map [^:]*: /, '') : String(e));
  }
};

function mapStepUnguarded(ctx: ExecContext, step: Step, where: string): Out {
  const body = 'map' in step ? step.map : 'unmap' in step ? step.unmap : undefined;
  if (body === undefined) throw new Error(`Cannot run ${where}: not a map/unmap step`);
  const isMap = 'map' in step;
  const s1 = ctx.tables.s1.get(body.table);
  const s2 = ctx.tables.s2.get(body.table);
  if (s1 === undefined && s2 === undefined) throw new RangeError(`Cannot run ${where}: "${body.table}" is neither an s1_tables nor an s2_tables entry`);
  let cmds: bigint[][];
  let addrField: Fields;
  if (s1 !== undefined) {
    const va = body.va;
    if (va === undefined) throw new RangeError(`Cannot run ${where}: stage-1 table "${body.table}" needs \`va\``);
    if ('map' in step) edit(() => mapS1(s1, { ...step.map, va }, ctx.alloc, where));
    else edit(() => s1.builder.unmap(va, body.size));
    cmds = s1Invalidation(ctx.scenario, ctx.tables, body.table, s1.builder, va, body.size);
    addrField = { va };
  } else {
    const sp = s2 as NonNullable<typeof s2>;
    const ipa = body.ipa;
    if (ipa === undefined) throw new RangeError(`Cannot run ${where}: stage-2 table "${body.table}" needs \`ipa\``);
    if ('map' in step) {
      const pa = step.map.pa;
      if (pa === undefined) throw new RangeError(`Cannot run ${where}: a stage-2 mapping needs \`pa\``);
      edit(() => mapS2(sp.builder, { ...step.map, ipa, pa }, where));
    } else {
      edit(() => sp.builder.unmap(ipa, body.size));
    }
    cmds = s2Invalidation(ctx.scenario, body.table, sp.builder, ipa, body.size);
    addrField = { ipa };
  }
  // Echo the output address as mapped: IPA for a nested stage-1 table, else PA.
  const nestedS1 = s1?.s2 !== undefined;
  const out = isMap && 'map' in step ? (nestedS1 ? (step.map.ipa ?? step.map.pa) : (step.map.pa ?? (s1 !== undefined ? step.map.ipa : undefined))) : undefined;
  const fields: Fields = { table: body.table, ...addrField, ...(out !== undefined ? { [nestedS1 ? 'ipa' : 'pa']: out } : {}), size: body.size };
  if (body.invalidate !== true) return { result: 'ok', fields };
  const o = submit(ctx, cmds);
  return { result: o.result, fields: { ...fields, ...o.fields } };
}

/** Fault injection (`smmu.faults` at setup, `inject_fault` steps later). */
export function injectFault(ctx: ExecContext, f: FaultInjection, where: string): void {
  switch (f.kind) {
    case 'ext_abort': {
      // Reads of these PAs abort from now on (contents are lost): F_WALK_EABT / F_CD_FETCH / ...
      if (f.pa === undefined) throw new RangeError(`Cannot inject ext_abort (${where}): \`pa\` is required`);
      emulatorOnly(ctx, 'ext_abort injection');
      ctx.mem.unback(f.pa, Number(f.size ?? 4096n));
      return;
    }
    case 'cmdq_stall':
      // The queue consumes `count` more commands (default 0), then stops making progress.
      emulatorOnly(ctx, 'cmdq_stall injection').cmdq.stallAfter(f.count ?? 0);
      return;
    case 'cmdq_fetch_abort':
      // The next `count` command fetches (default 1) abort: CERROR_ABT at CONS, slot untouched.
      emulatorOnly(ctx, 'cmdq_fetch_abort injection').cmdq.abortFetches(f.count ?? 1);
      return;
    case 'atc_inv_timeout':
      // No StreamID in the injection: every declared device stops completing ATS invalidations.
      for (const d of ctx.scenario.devices ?? []) emulatorOnly(ctx, 'atc_inv_timeout injection').atcInvNeverCompletes.add(Number(d.sid));
      return;
    case 'evtq_full':
      // Software stops consuming the event queue: it fills, then overflows (exec/events.ts).
      stopEventConsumer(ctx);
      return;
  }
}
