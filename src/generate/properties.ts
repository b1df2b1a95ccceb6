/**
 * Properties the reference model keeps on every scenario (issue 16 part 2), checked without a
 * second implementation:
 *
 *  - no-exception: the executor answers every scenario the validator accepts (architectural
 *    errors are events, CERROR, GERROR; observation.ts ExecuteScenario contract);
 *  - event-fields: every event is of an architected type (§7.3, vocab EVENT_TYPES), written during
 *    the DMA that caused it, with that DMA's StreamID, SubstreamID, InputAddr and RnW (§7.3.1),
 *    S2 as the stream's configuration allows (no stage-2 fault on a stage-1-only stream, only
 *    stage-2 faults on a stage-2-only one, whose IPA is the input address, CLASS=IN); one record
 *    per recorded fault and none for a translated access;
 *  - stage-composition: a nested result equals a stage-1-only walk of the same guest tables
 *    followed by a stage-2-only walk of the IPA it gives (§3.3.2: stage 1 output is the stage 2
 *    input; a stage-1 fault is reported as such, a stage-2 fault on the output carries the IPA);
 *  - caching: under `cache_policy: max` every DMA gives a result that `cache_policy: none` gives
 *    in some state of the memory since the last full invalidation + CMD_SYNC (so right after
 *    one, exactly the uncached result; before it, an old or the new translation, never a third
 *    value; §3.21, §4.3.3, §4.4);
 *  - cons-prod: CMDQ_CONS never passes CMDQ_PROD (§3.5.1: the consumer reads only up to PROD);
 *  - determinism: two runs give the same golden text byte for byte.
 */
import { canonicalGolden } from '../golden/canonical.ts';
import { executeScenario } from '../engine/execute.ts';
import type { EventRecord, ExecuteScenario, Observation, StepRecord } from '../scenario/observation.ts';
import type { Command, FaultInjection, S1Table, Scenario, Step, StreamInstall } from '../scenario/types.ts';
import { HOST_BASE, HOST_LIMIT } from '../engine/exec/layout.ts';
import { EVENT_TYPES } from '../scenario/vocab.ts';
import { DEFAULT_PROFILE, profileIas } from '../smmu/profile.ts';

export const PROPERTY_IDS = ['no-exception', 'event-fields', 'stage-composition', 'caching', 'cons-prod', 'determinism'] as const;
export type PropertyId = (typeof PROPERTY_IDS)[number];

export interface Violation {
  readonly property: PropertyId;
  /** 1-based step of the scenario the violation is about (absent: the whole scenario). */
  readonly step?: number;
  readonly message: string;
}

export interface PropertyOptions {
  /** Run twice and compare the golden text (default true). */
  readonly determinism?: boolean;
  /** The executor under check (default: the reference model; tests hand in a broken one). */
  readonly execute?: ExecuteScenario;
}

const PROFILE = { name: 'generated', features: [] } as const;
const BUDGET = { maxSteps: 10_000, maxMs: 60_000 };
/** IAS of the default part (§3.4: MAX(40 if AArch32 tables, OAS)); generated scenarios keep its OAS. */
const IAS = profileIas(DEFAULT_PROFILE);

type Run = (s: Scenario) => Observation | Violation;

/** Run on the reference model (or `execute`); an exception is a no-exception violation. */
export function runReference(s: Scenario, execute: ExecuteScenario = executeScenario): Observation | Violation {
  try {
    return execute(s, { profile: PROFILE, budget: BUDGET });
  } catch (e) {
    return { property: 'no-exception', message: `executor threw: ${e instanceof Error ? e.message : String(e)}` };
  }
}

const isViolation = (x: Observation | Violation): x is Violation => 'property' in x;

export function checkProperties(s: Scenario, opts: PropertyOptions = {}): Violation[] {
  const run: Run = (x) => runReference(x, opts.execute);
  const obs = run(s);
  if (isViolation(obs)) return [obs];
  const out: Violation[] = [...eventFields(s, obs), ...consProd(s, obs)];
  out.push(...stageComposition(s, obs, run));
  out.push(...cachingSoundness(s, obs, run));
  if (opts.determinism !== false) {
    const again = run(s);
    if (isViolation(again)) out.push(again);
    else if (canonicalGolden(again) !== canonicalGolden(obs)) out.push({ property: 'determinism', message: 'a second run gave a different golden' });
  }
  return out;
}

// ---------------------------------------------------------------- event-fields

const TRANSLATION_FAULTS = new Set(['F_TRANSLATION', 'F_ADDR_SIZE', 'F_ACCESS', 'F_PERMISSION']);
type Config = NonNullable<StreamInstall['config']>;

/** Each device's STE configuration, when no step rewrites it (else undefined: several may be cached). */
function fixedConfigs(s: Scenario): Map<string, Config> {
  const m = new Map<string, Config>();
  for (const st of s.streams ?? [])
    if (st.device !== undefined && st.raw === undefined && st.fields?.['Config'] === undefined) m.set(st.device, st.config ?? 'bypass');
  for (const step of s.steps) if ('ste' in step && step.ste.device !== undefined) m.delete(step.ste.device);
  return m;
}

/**
 * The first step (1-based) from which a recorded fault may leave no record: software stopped
 * draining the event queue (evtq_full: it fills, then overflows and later events are lost, §7.4)
 * or the queue's memory aborts (EVENTQ_ABT_ERR: the record is not written, §7.2). Injected at
 * set-up: step 1; never: Infinity.
 */
function eventsLostFrom(s: Scenario): number {
  const base = s.boot?.evtq?.base;
  const hitsQueue = (f: FaultInjection): boolean => {
    if (f.kind === 'evtq_full') return true;
    if (f.kind !== 'ext_abort' || f.pa === undefined) return false;
    const end = f.pa + (f.size ?? 4096n);
    // the queue is at boot.evtq.base, else somewhere in the executor's HOST region
    return base !== undefined ? f.pa < base + 0x10_0000n && base < end : f.pa < HOST_LIMIT && HOST_BASE < end;
  };
  if ((s.smmu?.faults ?? []).some(hitsQueue)) return 1;
  const i = s.steps.findIndex((st) => 'inject_fault' in st && hitsQueue(st.inject_fault));
  return i < 0 ? Number.POSITIVE_INFINITY : i + 1;
}

function eventFields(s: Scenario, obs: Observation): Violation[] {
  const out: Violation[] = [];
  const lostFrom = eventsLostFrom(s);
  const sids = new Map((s.devices ?? []).map((d) => [d.name, Number(d.sid)] as const));
  const configs = fixedConfigs(s);
  const byStep = new Map<number, EventRecord[]>();
  for (const e of obs.events) {
    const list = byStep.get(e.step) ?? [];
    list.push(e);
    byStep.set(e.step, list);
    if (!(EVENT_TYPES as readonly string[]).includes(e.type))
      out.push({ property: 'event-fields', step: e.step, message: `event of no architected type: ${e.type}` });
  }
  s.steps.forEach((step, i) => {
    const n = i + 1;
    if (!('dma' in step)) return;
    const d = step.dma;
    const rec = obs.steps[i] as StepRecord;
    const evs = byStep.get(n) ?? [];
    const bad = (message: string): void => {
      out.push({ property: 'event-fields', step: n, message });
    };
    if (rec.result === 'ok') {
      if (evs.length > 0) bad(`translated access (pa ${String(rec['pa'])}) recorded ${evs.map((e) => e.type).join(', ')}`);
      return;
    }
    const multi = Array.isArray(rec['addrs']);
    const recorded = rec['recorded'] === true || rec.result === 'stall';
    if (!multi && recorded && n < lostFrom && (evs.length !== 1 || (rec['event'] !== undefined && evs[0]?.type !== rec['event'])))
      bad(`a recorded ${String(rec['event'] ?? 'stall')} wrote ${evs.length} event(s): ${evs.map((e) => e.type).join(', ')}`);
    if (!multi && !recorded && evs.length > 0) bad(`an unrecorded ${String(rec['event'] ?? rec.result)} wrote ${evs.map((e) => e.type).join(', ')}`);
    for (const e of evs) {
      if (e['sid'] !== undefined && e['sid'] !== sids.get(d.device))
        bad(`${e.type} StreamID ${String(e['sid'])}, the DMA came from ${String(sids.get(d.device))}`);
      if (e['ssid'] !== undefined && e.type !== 'C_BAD_STREAMID') {
        // C_BAD_SUBSTREAMID has no SSV: a substream-less transaction that fetched CD 0 through
        // S1DSS=0b10 records SubstreamID 0 (§7.3.9)
        const want = d.ssid === undefined ? (e.type === 'C_BAD_SUBSTREAMID' ? 0 : null) : Number(d.ssid);
        if (e['ssid'] !== want) bad(`${e.type} SubstreamID ${String(e['ssid'])}, the DMA had ${String(want)}`);
      }
      if (e['rnw'] !== undefined && e['rnw'] !== (d.access === 'write' ? 0 : 1)) bad(`${e.type} RnW=${String(e['rnw'])} for a ${d.access}`);
      if (!TRANSLATION_FAULTS.has(e.type)) continue;
      const addrs = multi ? (rec['addrs'] as readonly bigint[]) : [d.iova];
      if (!addrs.includes(e['input_addr'] as bigint))
        bad(`${e.type} InputAddr 0x${String((e['input_addr'] as bigint).toString(16))}, the DMA was at 0x${d.iova.toString(16)}`);
      const cfg = configs.get(d.device);
      if (cfg === 's1' && e['s2'] !== 0) bad(`${e.type} with S2=1 on a stage-1-only stream`);
      if (cfg === 's2') {
        // stage 1 bypassed: an input above the IAS is a stage-1 Address Size fault (§3.4)
        if (e['s2'] !== 1 && !(e.type === 'F_ADDR_SIZE' && (e['input_addr'] as bigint) >= 1n << BigInt(IAS)))
          bad(`${e.type} with S2=0 on a stage-2-only stream (input 0x${(e['input_addr'] as bigint).toString(16)} is inside the ${IAS}-bit IAS)`);
        else if (e['s2'] !== 1) continue;
        else {
          if (e['class'] !== 'IN') bad(`${e.type} CLASS=${String(e['class'])} on a stage-2-only stream (no CD or stage-1 table fetch)`);
          const ipa = e['ipa'] as bigint;
          if (!addrs.some((a) => a >> 12n === ipa >> 12n))
            bad(`${e.type} IPA 0x${ipa.toString(16)} on a stage-2-only stream is not the input address 0x${d.iova.toString(16)}`);
        }
      }
    }
  });
  return out;
}

// ---------------------------------------------------------------- cons-prod

/**
 * The SMMU consumes only commands software has produced: CONS never passes PROD, so after every
 * step the indexes are in a consistent state, CONS at most 2^LOG2SIZE entries behind PROD (§3.5).
 * Software may write the indexes into an inconsistent state (write_reg of CMDQ_PROD behind CONS);
 * the SMMU may then consume from UNKNOWN locations (§3.5 CONSTRAINED UNPREDICTABLE), so the check
 * pauses until the indexes are consistent again.
 */
function consProd(s: Scenario, obs: Observation): Violation[] {
  const log2 = s.boot?.cmdq?.log2size ?? s.smmu?.cmdq_log2size ?? 8;
  const mask = 2 ** (log2 + 1) - 1;
  const size = 2 ** log2;
  const out: Violation[] = [];
  let paused = false;
  const records: { prod: unknown; cons: unknown; step?: number }[] = [
    ...obs.steps.map((r) => ({ prod: r['prod'], cons: r['cons'], step: r.step })),
    { prod: obs.cmdq['prod'], cons: obs.cmdq['cons'] },
  ];
  for (const r of records) {
    if (typeof r.prod !== 'string' || typeof r.cons !== 'string') continue;
    const p = Number.parseInt(r.prod, 16) & mask;
    const c = Number.parseInt(r.cons, 16) & mask;
    const consistent = ((p - c) & mask) <= size;
    const step = r.step !== undefined ? s.steps[r.step - 1] : undefined;
    if (step !== undefined && 'write_reg' in step && /^SMMU_CMDQ_(PROD|CONS)$/.test(step.write_reg.reg)) paused = !consistent;
    else if (consistent) paused = false;
    else if (!paused)
      out.push({
        property: 'cons-prod',
        ...(r.step !== undefined ? { step: r.step } : {}),
        message: `CMDQ_CONS ${r.cons} has passed CMDQ_PROD ${r.prod} (2^${log2} entries)`,
      });
  }
  return out;
}

// ---------------------------------------------------------------- stage-composition

/** The part of a DMA outcome the composition compares: kind, output, event. */
function outcome(r: StepRecord | undefined): string {
  if (r === undefined) return 'missing';
  // a DMA of several transactions (it crosses a 4KB boundary): each one's result and output
  if (Array.isArray(r['results'])) {
    const pas = (r['pas'] as readonly (bigint | null)[]).map((p) => (p === null ? '-' : `0x${p.toString(16)}`));
    return `${r.result} [${(r['results'] as readonly string[]).join(' ')}] [${pas.join(' ')}]`;
  }
  return `${r.result}${r['pa'] !== undefined ? ` pa 0x${(r['pa'] as bigint).toString(16)}` : ''}${r['event'] !== undefined ? ` ${String(r['event'])}` : ''}`;
}

function stageComposition(s: Scenario, obs: Observation, run: Run): Violation[] {
  const nested = new Map<string, StreamInstall>();
  // streams whose STE is exactly the typed nested configuration (no raw dwords, extra fields or V=0)
  for (const st of s.streams ?? [])
    if (st.config === 'nested' && st.device !== undefined && st.raw === undefined && st.fields === undefined && st.valid !== false) nested.set(st.device, st);
  if (nested.size === 0) return [];
  // only scenarios whose tables and streams never change: the three runs see the same state
  if (s.steps.some((st) => !('dma' in st))) return [];
  const s1Tables: S1Table[] = (s.memory?.s1_tables ?? []).map(({ ipa_space: _i, map, ...t }) => ({
    ...t,
    map: map.map(({ ipa, ...m }) => ({ ...m, ...(ipa !== undefined ? { pa: ipa } : {}) })),
  }));
  const walkOnly = { ...s.smmu, cache_policy: 'none' as const };
  const s1only: Scenario = {
    ...s,
    smmu: walkOnly,
    memory: { ...s.memory, s1_tables: s1Tables, cd_tables: (s.memory?.cd_tables ?? []).map(({ ipa_space: _i, ...t }) => t) },
    streams: (s.streams ?? []).map((st) => {
      if (!nested.has(st.device ?? '')) return st;
      const { s2_table: _t, vmid: _v, s2s: _s, s2r: _r, s2ha: _a, s2hd: _h, s2ptw: _p, fields: _f, ...rest } = st;
      return { ...rest, config: 's1' as const };
    }),
  };
  const o1 = run(s1only);
  if (isViolation(o1)) return [{ ...o1, message: `stage-1-only variant: ${o1.message}` }];
  const s2steps: Step[] = [];
  const s2index: number[] = [];
  s.steps.forEach((st, i) => {
    if (!('dma' in st) || !nested.has(st.dma.device)) return;
    const r1 = o1.steps[i];
    if (r1?.result !== 'ok' || r1['pa'] === undefined) return;
    s2steps.push({
      dma: { device: st.dma.device, iova: r1['pa'] as bigint, access: st.dma.access, ...(st.dma.priv !== undefined ? { priv: st.dma.priv } : {}) },
    });
    s2index.push(i);
  });
  const s2only: Scenario = {
    ...s,
    smmu: walkOnly,
    streams: (s.streams ?? []).map((st) => {
      if (!nested.has(st.device ?? '')) return st;
      const { cd_table: _c, s1dss: _d, s1stalld: _s, s1fmt: _f, s1cdmax: _m, ...rest } = st;
      return { ...rest, config: 's2' as const };
    }),
    steps: s2steps,
  };
  const o2 = run(s2only);
  if (isViolation(o2)) return [{ ...o2, message: `stage-2-only variant: ${o2.message}` }];
  const out: Violation[] = [];
  const evAt = (o: Observation, step: number): EventRecord | undefined => o.events.find((e) => e.step === step);
  s.steps.forEach((st, i) => {
    if (!('dma' in st) || !nested.has(st.dma.device)) return;
    const n = i + 1;
    const got = obs.steps[i];
    const r1 = o1.steps[i];
    const bad = (message: string): void => {
      out.push({ property: 'stage-composition', step: n, message });
    };
    // an STE the nested configuration makes ILLEGAL (e.g. S2HA without HTTU) has no stage-1-only counterpart
    if (got?.['event'] === 'C_BAD_STE') return;
    // several transactions: each would need its own stage-2 walk; composition compares single ones
    if (Array.isArray(got?.['addrs'])) return;
    if (r1?.result !== 'ok') {
      if (outcome(got) !== outcome(r1)) bad(`nested gave ${outcome(got)}, the stage-1-only walk ${outcome(r1)}`);
      return;
    }
    const k = s2index.indexOf(i);
    const r2 = o2.steps[k];
    const ipa = r1['pa'] as bigint;
    if (outcome(got) !== outcome(r2)) {
      bad(`nested gave ${outcome(got)}; stage 1 gives IPA 0x${ipa.toString(16)}, the stage-2-only walk of it ${outcome(r2)}`);
      return;
    }
    const e = evAt(obs, n);
    const e2 = evAt(o2, k + 1);
    if (e !== undefined && e2 !== undefined) {
      for (const f of ['type', 's2', 'class', 'ipa', 'stall'] as const)
        if (e[f] !== e2[f]) bad(`nested ${e.type} ${f}=${String(e[f])}, the stage-2-only walk of IPA 0x${ipa.toString(16)} records ${String(e2[f])}`);
      if (e['input_addr'] !== undefined && e['input_addr'] !== st.dma.iova) bad(`nested ${e.type} InputAddr is not the VA`);
    }
  });
  return out;
}

// ---------------------------------------------------------------- caching

// an injected fault changes what memory answers: a state of its own
const MUTATING = new Set(['map', 'unmap', 'ste', 'write', 'inject_fault']);

function isFullInvalidation(st: Step, rec: StepRecord | undefined, el2: boolean): boolean {
  if (!('cmdq' in st) || rec?.['cerror'] !== 'CERROR_NONE') return false;
  const ops = st.cmdq.commands.map((c: Command) => c.op);
  const synced = st.cmdq.sync === true || ops[ops.length - 1] === 'SYNC';
  // TLBI_EL2_ALL is needed only where EL2 entries can exist: a stream of an EL2 StreamWorld (STRW)
  return synced && ops.includes('CFGI_ALL') && ops.includes('TLBI_NSNH_ALL') && (ops.includes('TLBI_EL2_ALL') || !el2) && rec['executed'] === rec['commands'];
}

/**
 * The ASID and VMID a TLBI must name to hit the only stream's stage-1 entries, when the scenario
 * allows page-precise windows: one stream (stage 1 or nested) whose STE and CD never change.
 */
function targetedTag(s: Scenario): { asid: bigint; vmid: bigint } | undefined {
  const st = s.streams ?? [];
  if (st.length !== 1 || s.steps.some((x) => 'ste' in x || 'write' in x)) return undefined;
  const one = st[0] as StreamInstall;
  if ((one.config !== 's1' && one.config !== 'nested') || one.fields !== undefined || one.raw !== undefined) return undefined;
  const cd = (s.memory?.cd_tables ?? []).find((t) => t.name === one.cd_table);
  const e = cd?.entries[0];
  if (cd === undefined || cd.entries.length !== 1 || e === undefined || e.raw !== undefined || e.fields !== undefined) return undefined;
  return { asid: e.asid ?? 0n, vmid: one.vmid ?? 0n };
}

/** Pages a fully executed, synchronised step invalidates with a non-range TLBI_NH_VA of all levels for `tag`. */
function vaInvalidations(st: Step, rec: StepRecord | undefined, tag: { asid: bigint; vmid: bigint }): bigint[] {
  if (!('cmdq' in st) || rec?.['cerror'] !== 'CERROR_NONE' || rec['executed'] !== rec['commands']) return [];
  const ops = st.cmdq.commands;
  if (st.cmdq.sync !== true && ops[ops.length - 1]?.op !== 'SYNC') return [];
  return ops
    .filter(
      (c) =>
        c.op === 'TLBI_NH_VA' &&
        c.leaf !== true &&
        c.num === undefined &&
        c.scale === undefined &&
        c.fields === undefined &&
        (c.asid ?? 0n) === tag.asid &&
        (c.vmid ?? 0n) === tag.vmid &&
        c.addr !== undefined,
    )
    .map((c) => (c.addr as bigint) >> 12n);
}

function cachingSoundness(s: Scenario, obs: Observation, run: Run): Violation[] {
  if ((s.smmu?.cache_policy ?? 'max') !== 'max') return [];
  if (!s.steps.some((st) => 'dma' in st)) return [];
  const none = (steps: readonly Step[]): Scenario => ({ ...s, smmu: { ...s.smmu, cache_policy: 'none' }, steps });
  const fresh = run(none(s.steps));
  if (isViolation(fresh)) return [{ ...fresh, message: `cache_policy none variant: ${fresh.message}` }];
  const out: Violation[] = [];
  let since = 0; // number of steps before the state the window starts at
  const states: number[] = [0];
  const tag = targetedTag(s);
  const el2 = [...(s.streams ?? []), ...s.steps.flatMap((x) => ('ste' in x ? [x.ste] : []))].some(
    (st) => (st.strw !== undefined && st.strw !== 'el1') || st.fields?.['STRW'] !== undefined || st.raw !== undefined,
  );
  /** 4KB VA page -> steps before the state after its last TLBI_NH_VA + CMD_SYNC (leaf=0, this stream's ASID/VMID). */
  const invalidatedAt = new Map<bigint, number>();
  s.steps.forEach((st, i) => {
    const rec = obs.steps[i];
    if (isFullInvalidation(st, rec, el2)) {
      since = i + 1;
      states.length = 0;
      states.push(since);
      invalidatedAt.clear();
      return;
    }
    if (MUTATING.has(Object.keys(st)[0] ?? '')) {
      states.push(i + 1);
      return;
    }
    if (tag !== undefined) for (const page of vaInvalidations(st, rec, tag)) invalidatedAt.set(page, i + 1);
    if (!('dma' in st)) return;
    const got = outcome(rec);
    // after TLBI_NH_VA of this page (all levels) + CMD_SYNC nothing cached from before it may
    // translate it (§4.4.2): the window starts there
    const from = st.dma.iova < 1n << 48n ? (invalidatedAt.get(st.dma.iova >> 12n) ?? since) : since;
    const window = from > since ? [from, ...states.filter((p) => p > from)] : states;
    if (got === outcome(fresh.steps[i])) return;
    // the uncached result of this DMA in every state since the window opened
    const permitted = new Set<string>();
    for (const p of window) {
      const o = run(none([...s.steps.slice(0, p), st]));
      permitted.add(isViolation(o) ? 'exception' : outcome(o.steps[p]));
    }
    if (!permitted.has(got))
      out.push({
        property: 'caching',
        step: i + 1,
        message: `cached result ${got}; uncached results since step ${from}${from > since ? ' (TLBI_NH_VA of this page + CMD_SYNC)' : ''} (${window.length} state(s)): ${[...permitted].join(' | ')}`,
      });
  });
  return out;
}
