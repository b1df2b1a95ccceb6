/**
 * The per-scenario executor: a validated Scenario → Observation, by driving the emulator
 * (src/smmu). Order: profile (exec/profile.ts) → device + boot (stream table, CMDQ, EVTQ from the
 * HOST region) → tables (exec/tables.ts, layout in exec/layout.ts) → STEs of `streams` → raw
 * `memory.writes` → `smmu.faults` injections → steps (one file per kind in steps/, run by
 * steps/registry.ts), draining the event queue after
 * setup (step 0) and after every step (exec/events.ts). Deterministic: no clocks, no randomness,
 * every address from the bump allocators. With a top-level `host:` (exec/host-world.ts) the Linux-like
 * host and, with `guest:`, the vSMMU (exec/guest.ts) drive the same device: drained events also
 * go through the host's event thread; `host_log` and `guest_events` are filled.
 */
import { hex32 } from '../arch/fields.ts';
import { REG, type RegName } from '../arch/registers.ts';
import { SparseMemory } from '../memory/sparse-memory.ts';
import { bootSmmu, installSte } from '../smmu/boot.ts';
import { SmmuDevice } from '../smmu/device.ts';
import { type SmmuProfile, makeProfile } from '../smmu/profile.ts';
import { CHOICE_NAMES } from '../scenario/choices.ts';
import { type Scenario, stepExpect, stepKind } from '../scenario/types.ts';
import { BudgetExceeded, BudgetMeter } from '../scenario/budget.ts';
import { ExecFailure, type ScenarioPath } from '../scenario/exec-failure.ts';
import { activeGerror, cerrorOf, consOf, type Dut, emulatorOnly, eventsWritten, type ExecContext } from './exec/context.ts';
import { eventRecord } from './exec/events.ts';
import { layoutKey, makeAllocators } from './exec/layout.ts';
import { type ExecProfile, execProfile } from './exec/profile.ts';
import { TargetDevice } from './exec/target-device.ts';
import { checkTargetProfile, openTarget } from './exec/target-open.ts';
import { normalisationsFor } from '../target/normalise.ts';
import type { SmmuTarget } from '../target/contract.ts';
import { injectFault } from './exec/faults.ts';
import { hostAfterStep, hostEvent, hostResetInvalidate, makeHostWorld } from './exec/host-world.ts';
import { encodeSte, streamSid } from './exec/streams.ts';
import { buildTables } from './exec/tables.ts';
import { explainRun, runStep } from './steps/registry.ts';
import type { CmdqResult } from '../smmu/cmdq.ts';
import type { ExecuteOptions, ExecuteScenario, ObsScalar, Observation, StepRecord } from '../scenario/observation.ts';

/** Linear stream tables cover at least 8 SID bits, more when a declared StreamID needs them. */
function sidBitsFor(s: Scenario, sidSize: number, strtab: 'linear' | '2level'): number | undefined {
  const given = s.boot?.strtab?.log2size;
  if (given !== undefined) return Math.min(given, sidSize);
  if (strtab === '2level') return undefined;
  let max = 0n;
  for (const d of s.devices ?? []) if (d.sid > max) max = d.sid;
  for (const st of s.streams ?? []) if (st.sid !== undefined && st.sid > max) max = st.sid;
  for (const step of s.steps) if ('ste' in step && step.ste.sid !== undefined && step.ste.sid > max) max = step.ste.sid;
  return Math.min(sidSize, Math.max(8, max.toString(2).length));
}

export const executeScenario: ExecuteScenario = (scenario: Scenario, opts: ExecuteOptions): Observation => {
  const ep = at(['smmu'], () => withChoices(execProfile(scenario, opts.profile.smmu), opts.choices));
  if (opts.target === undefined || opts.target.kind === 'builtin') {
    const mem = new SparseMemory();
    const profile = opts.asTarget !== undefined ? { ...ep.profile, ...opts.asTarget } : ep.profile;
    try {
      const dev = at(['smmu'], () => new SmmuDevice({ mem, profile, cachePolicy: ep.cachePolicy }));
      return executeOn(scenario, opts, dev, ep);
    } finally {
      // the device and its memory end here: the pages go to the next scenario's memory
      mem.release();
    }
  }
  const target = openTarget(opts.target, scenario);
  try {
    return executeOn(scenario, opts, new TargetDevice(target), ep);
  } finally {
    target.close();
  }
};

/** Run a scenario on an already-open target (the caller closes it): tests, embedders. */
export function executeOnTarget(scenario: Scenario, opts: ExecuteOptions, target: SmmuTarget): Observation {
  return executeOn(scenario, opts, new TargetDevice(target), execProfile(scenario, opts.profile.smmu));
}

function executeOn(scenario: Scenario, opts: ExecuteOptions, dev: Dut, ep: ExecProfile): Observation {
  if (dev instanceof TargetDevice) {
    checkTargetProfile(ep, dev);
    if (opts.expectedPas !== undefined) dev.expectedPas = opts.expectedPas;
  }
  const meter = new BudgetMeter(opts.budget);
  const mem = dev.mem;
  // Zero-filled RAM first: boot structures and tables may be placed inside it.
  (scenario.memory?.ram ?? []).forEach((r, i) => at(['memory', 'ram', i], () => mem.zero(r.pa, Number(r.size))));
  const alloc = makeAllocators(mem);
  const ref = makeProfile(ep.profile);
  const sidBits = sidBitsFor(scenario, ref.sidSize, ep.boot.strtab);
  // a target without IDR0.Hyp (or the emulator run as one, asTarget) boots with as many commands
  // as the reference model (boot.ts padEl2)
  const padEl2 = ref.hyp && !dev.profile.hyp;
  // a host scenario's SMMU is reset by the Linux-like host (three CMD_SYNC batches); others by the compact batch
  const boot = at(['smmu'], () =>
    bootSmmu(dev, alloc.host, {
      ...ep.boot,
      ...(sidBits !== undefined ? { sidBits } : {}),
      // boot.invalidate: false skips the reset invalidation whoever resets (host or compact batch)
      ...(scenario.host !== undefined && scenario.boot?.invalidate !== false ? { invalidate: hostResetInvalidate } : {}),
      ...(padEl2 ? { padEl2 } : {}),
    }),
  );
  const tables = at(['memory'], () => buildTables(scenario, mem, alloc, dev.profile.oas));
  const ctx: ExecContext = {
    scenario,
    dev,
    mem,
    alloc,
    tables,
    boot,
    trace: opts.trace === true,
    events: [],
    walks: [],
    explained: [],
    steAddrs: new Map(),
    stalled: new Map(),
  };
  (scenario.streams ?? []).forEach((st, i) =>
    at(['streams', i], () => {
      const where = `streams[${i}]`;
      const sid = streamSid(scenario, st, where);
      ctx.steAddrs.set(sid, installSte(dev, sid, encodeSte(st, tables, where)));
    }),
  );
  // Raw writes last among the memory contents (they may overwrite any table or STE), then faults
  // (an ext_abort on a table page must not be undone by building the table).
  (scenario.memory?.writes ?? []).forEach((w, i) => at(['memory', 'writes', i], () => w.u64.forEach((v, k) => mem.write64(w.pa + BigInt(8 * k), v))));
  (scenario.memory?.unbacked ?? []).forEach((r, i) => at(['memory', 'unbacked', i], () => mem.unback(r.pa, Number(r.size))));
  (scenario.smmu?.faults ?? []).forEach((f, i) => at(['smmu', 'faults', i], () => injectFault(ctx, f, `smmu.faults[${i}]`)));
  const host = at(['host'], () => makeHostWorld(ctx));
  if (host !== undefined) ctx.host = host;
  const drain = (step: number): void => {
    for (const r of dev.drainEvents()) {
      const rec = eventRecord(step, r.raw);
      // with a host, each record also goes through the host's event thread (vEVENTQ or kernel log)
      ctx.events.push(host !== undefined ? { ...rec, host: hostEvent(host, r.raw) } : rec);
    }
    if (host !== undefined) hostAfterStep(host);
  };
  at([], () => drain(0));
  // smmu.event_drain: explicit — from here on only drain_events steps consume the event queue.
  const emuForDrain = scenario.smmu?.event_drain === 'explicit' ? emulatorOnly(ctx, 'smmu.event_drain: explicit') : undefined;
  const explicit = emuForDrain !== undefined ? { marks: [{ step: 0, written: eventsWritten(emuForDrain) }], consumed: eventsWritten(emuForDrain) } : undefined;
  if (explicit !== undefined) {
    (ctx as { explicitDrain?: typeof explicit }).explicitDrain = explicit;
    dev.evtqConsumerStopped = true;
  }
  // Table addresses as set up (a later unmap may remove the S2 mapping of a guest table).
  const layout = layoutOf(ctx);
  const steps: StepRecord[] = [];
  const regs: { step: number; values: Record<string, bigint> }[] = [];
  // explain: the command batches the SMMU consumed during each step
  const batches: CmdqResult[] = [];
  if (ctx.trace && dev instanceof SmmuDevice) dev.onCommands = (r) => batches.push(r);
  scenario.steps.forEach((step, i) => {
    const path = ['steps', i, stepKind(step)];
    meter.where = `step ${i + 1} (${stepKind(step)})`;
    meter.path = path;
    meter.tick();
    batches.length = 0;
    if (dev instanceof TargetDevice) dev.step = i + 1;
    const rec = runStep(ctx, step, i + 1);
    steps.push(rec);
    if (explicit !== undefined && emuForDrain !== undefined) explicit.marks.push({ step: i + 1, written: eventsWritten(emuForDrain) });
    at(path, () => drain(i + 1));
    if (ctx.trace) ctx.explained.push({ step: i + 1, lines: at(path, () => explainRun(ctx, step, rec, batches)) });
    // Read only what an inline expectation names, after the drain (a read of EVENTQ_PROD then
    // sees every record of the step).
    const want = stepExpect(step)?.regs;
    if (want !== undefined) regs.push({ step: i + 1, values: Object.fromEntries(Object.keys(want).map((r) => [r, dev.readReg(REG[r.slice(5) as RegName])])) });
  });

  const gerror = dev.readReg(REG.GERROR);
  const gerrorn = dev.readReg(REG.GERRORN);
  // assigned key by key in record order (a literal with spreads is several times slower to build)
  const obs = {
    scenario: scenario.name,
    steps,
    events: ctx.events,
    guest_events: host?.guestEvents ?? [],
    host_log: host?.hostLog ?? [],
    cmdq: { prod: hex32(dev.readReg(REG.CMDQ_PROD)), cons: consOf(dev), error: cerrorOf(dev) },
  } as { -readonly [K in keyof Observation]: Observation[K] };
  if (gerror !== 0n || gerrorn !== 0n) obs.gerror = { gerror: hex32(gerror), gerrorn: hex32(gerrorn), active: activeGerror(dev) };
  obs.layout = steLayout(ctx, layout);
  if (regs.length > 0) obs.regs = regs;
  if (ctx.trace) {
    obs.walks = ctx.walks;
    obs.explained = ctx.explained;
  }
  if (scenario.permitted !== undefined && !(dev instanceof TargetDevice)) obs.permitted = referenceChoices(scenario, dev.profile, ep);
  if (dev instanceof TargetDevice) obs.target = targetSummary(dev);
  return obs;
}

function targetSummary(dev: TargetDevice): NonNullable<Observation['target']> {
  const normalisations = normalisationsFor(dev.target.capabilities).map((n) => n.id);
  return dev.paChecks.checked > 0 ? { name: dev.target.name, normalisations, paChecks: dev.paChecks } : { name: dev.target.name, normalisations };
}

/** Run a setup phase; an exception becomes an ExecFailure located at `path` in the scenario. */
function at<T>(path: ScenarioPath, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof BudgetExceeded || e instanceof ExecFailure) throw e;
    throw new ExecFailure(path, e instanceof Error ? e.message : String(e), { cause: e });
  }
}

/** Named structures → addresses, so goldens can be checked by hand. */
function layoutOf(ctx: ExecContext): Record<string, ObsScalar> {
  const l: Record<string, ObsScalar> = { strtab: ctx.boot.strtabBase, cmdq: ctx.boot.cmdqBase, evtq: ctx.boot.evtqBase };
  (ctx.host?.extraSmmus ?? []).forEach((e, i) => {
    Object.assign(l, { [`smmu${i + 1}_strtab`]: e.boot.strtabBase, [`smmu${i + 1}_cmdq`]: e.boot.cmdqBase, [`smmu${i + 1}_evtq`]: e.boot.evtqBase });
  });
  for (const [name, s2] of ctx.tables.s2) l[layoutKey('s2', name, 'ttb')] = s2.builder.ttb;
  for (const [name, s1] of ctx.tables.s1) {
    l[layoutKey('s1', name, 'ttb')] = s1.builder.ttb;
    if (s1.s2 !== undefined) {
      const pa = s1.s2.builder.outputAddress(s1.builder.ttb);
      if (pa !== undefined) l[layoutKey('s1', name, 'ttb_pa')] = pa;
    }
  }
  for (const [name, cd] of ctx.tables.cd) {
    l[layoutKey('cd', name)] = cd.addr;
    if (cd.s2 !== undefined) l[layoutKey('cd', name, 'pa')] = cd.pa;
  }
  return l;
}

/** `l` with the STE addresses by StreamID (streams and `ste` steps) added, in StreamID order. */
function steLayout(ctx: ExecContext, l: Record<string, ObsScalar>): Record<string, ObsScalar> {
  for (const sid of [...ctx.steAddrs.keys()].sort((a, b) => a - b)) l[layoutKey('ste', `0x${sid.toString(16)}`)] = ctx.steAddrs.get(sid) ?? null;
  return l;
}

/** The emulator with other values of IMPLEMENTATION DEFINED choices (the alternatives a scenario permits). */
function withChoices(ep: ExecProfile, choices: Readonly<Record<string, string>> | undefined): ExecProfile {
  if (choices === undefined) return ep;
  let out = ep;
  for (const [name, v] of Object.entries(choices)) {
    if (name === 'cmd_res0' && (v === 'ill' || v === 'ignore')) out = { ...out, profile: { ...out.profile, cmdRes0: v } };
    else if (name === 'cache_policy' && (v === 'max' || v === 'none')) out = { ...out, cachePolicy: v };
    else throw new RangeError(`Unknown choice ${name}=${v}`);
  }
  return out;
}

/** The values the emulator took for the choices the scenario declares. */
function referenceChoices(s: Scenario, p: SmmuProfile, ep: ExecProfile): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CHOICE_NAMES) {
    if (s.permitted?.[name] === undefined) continue;
    out[name] = name === 'cmd_res0' ? p.cmdRes0 : ep.cachePolicy;
  }
  return out;
}
