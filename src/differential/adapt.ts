/**
 * Fitting a scenario to a target without changing what it checks, before a differential run:
 *  - `smmu.cache_policy` is dropped: it configures the reference model's caches, a target's caching
 *    is its own, and the differential run tries both policies on the reference anyway (§3.21, a
 *    permitted choice, src/scenario/choices.ts);
 *  - StreamIDs the target cannot issue (QEMU: 0x0-0x7 belong to the PCI host bridge, nothing above
 *    bus 0) are renumbered, consistently everywhere a `sid:` names them, to free StreamIDs it can
 *    issue. A generated translation scenario's StreamID is incidental; both sides run the same
 *    renumbered scenario, so the comparison is unchanged, and the minimised scenario written for
 *    the class is the renumbered one, which reproduces on the target as it is.
 *  - the stage-2 table of a nest-parent HWPT (host scenarios) gets the target's IAS as ipa_bits (and
 *    the start level that derives from it): Linux sizes a nest parent by the SMMU's IAS
 *    (linux-smmuv3-iommufd.md §6.3), so on the target's part the VMM's tables are that size; a
 *    mapping that no longer fits makes the scenario not load there (skipped).
 *  - DMA steps the target cannot issue (a SubstreamID, a privileged or instruction access, an
 *    IOVA beyond its limit) are dropped, found by running the scenario on the target's stand-in
 *    (target.ts preflight): the rest of the scenario still runs, on both sides alike.
 * Works on the YAML document (the minimiser's input), keeping its notation.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, Scalar } from 'yaml';
import { executeOnTarget } from '../engine/execute.ts';
import { failurePath } from '../scenario/exec-failure.ts';
import { loadScenarioText } from '../engine/load.ts';
import { formatLoadError } from '../scenario/errors.ts';
import { parseScenarioInt } from '../scenario/ints.ts';
import type { Scenario } from '../scenario/types.ts';
import { profileIas } from '../smmu/profile.ts';
import { TargetUnsupported } from '../target/contract.ts';
import { referenceOptions } from './pair.ts';
import type { DiffTarget } from './target.ts';

/** At most this many steps are dropped; a scenario that needs more is left to be skipped. */
const MAX_DROPPED = 32;

export interface Fitted {
  /** The scenario to run, or why it does not load on the target's part. */
  readonly scenario: Scenario | string;
  /** Its text (the minimiser starts from it). */
  readonly text: string;
}

/** A scenario fitted to a target: adaptText, then the steps the target cannot express dropped. */
export function fitScenario(s: Scenario | string, text: () => string, target: DiffTarget): Fitted {
  if (typeof s === 'string') return { scenario: s, text: text() };
  let scenario: Scenario | string = s;
  let t: string | undefined;
  const reload = (next: string): void => {
    t = next;
    const r = loadScenarioText(next, { file: 'fitted.yaml', profile: target.profile });
    scenario = r.scenario ?? r.errors.map((e) => formatLoadError(e)).join('\n');
  };
  const ias = profileIas(target.profile);
  if (needsAdapting(s, target.streamIdProblem, ias)) reload(adaptText(text(), target.streamIdProblem, ias));
  for (let dropped = 0; target.preflight !== undefined && typeof scenario === 'object' && dropped < MAX_DROPPED; dropped++) {
    const i = inexpressibleStep(scenario, target);
    if (i === undefined || scenario.steps.length <= 1) break;
    const doc = parseDocument(t ?? text());
    doc.deleteIn(['steps', i]);
    reload(doc.toString({ lineWidth: 0 }));
  }
  return { scenario, text: t ?? text() };
}

/** The index of the step the target's stand-in cannot express, if that is what stops it. */
function inexpressibleStep(s: Scenario, target: DiffTarget): number | undefined {
  const stand = target.preflight?.();
  if (stand === undefined) return undefined;
  try {
    executeOnTarget(s, referenceOptions(target), stand);
    return undefined;
  } catch (e) {
    let unsupported = false;
    for (let c: unknown = e; c instanceof Error; c = c.cause) if (c instanceof TargetUnsupported) unsupported = true;
    const p = failurePath(e);
    return unsupported && p[0] === 'steps' && typeof p[1] === 'number' ? p[1] : undefined;
  } finally {
    stand.close();
  }
}

/**
 * A stream table too small for a renumbered StreamID whose STE the scenario installs (the ste
 * area's tables of 2-16 entries, whose StreamIDs 0x0-0x7 QEMU cannot issue) grows to cover it
 * (boot.strtab.log2size): else the scenario would not load on the target. StreamIDs of devices
 * without an STE (beyond the table on purpose: C_BAD_STREAMID, §7.3.3) do not make it grow.
 */
function growStreamTable(doc: ReturnType<typeof parseDocument>, renumbered: ReadonlySet<bigint>): boolean {
  const strtab = doc.getIn(['boot', 'strtab'], true);
  const log2size = isMap(strtab) ? strtab.get('log2size') : undefined;
  if (!isMap(strtab) || typeof log2size !== 'number') return false;
  const sidOf = new Map<string, bigint>();
  const devices = doc.get('devices', true);
  if (isSeq(devices))
    for (const d of devices.items) {
      const sid = isMap(d) ? d.get('sid') : undefined;
      if (isMap(d) && (typeof sid === 'number' || typeof sid === 'string')) sidOf.set(String(d.get('name')), BigInt(sid));
    }
  let need = log2size;
  const streams = doc.get('streams', true);
  if (isSeq(streams))
    for (const st of streams.items) {
      if (!isMap(st)) continue;
      const sid = sidOf.get(String(st.get('device')));
      if (sid !== undefined && renumbered.has(sid)) need = Math.max(need, sid.toString(2).length);
    }
  if (need === log2size) return false;
  strtab.set('log2size', need);
  return true;
}

/** Does the scenario object need adapting (cheap check before a YAML round trip)? */
/** The s2_tables a nest-parent hwpt_alloc names (their ipa_bits must be the SMMU's IAS). */
function nestParentTables(s: Scenario): Set<string> {
  const out = new Set<string>();
  for (const step of s.steps) {
    if (!('hwpt_alloc' in step)) continue;
    const b = step.hwpt_alloc;
    const nestParent = b.flags !== undefined ? (b.flags & 1) === 1 : (b.nest_parent ?? true);
    if (nestParent && b.s2_table !== undefined) out.add(b.s2_table);
  }
  return out;
}

export function needsAdapting(s: Scenario, streamIdProblem: ((sid: number) => string | undefined) | undefined, ias?: number): boolean {
  if (s.smmu?.cache_policy !== undefined) return true;
  if (ias !== undefined && s.host !== undefined) {
    const parents = nestParentTables(s);
    if ((s.memory?.s2_tables ?? []).some((t) => parents.has(t.name) && t.ipa_bits !== ias)) return true;
  }
  if (streamIdProblem === undefined) return false;
  const sids = [...(s.devices ?? []).map((d) => d.sid), ...(s.streams ?? []).flatMap((x) => (x.sid !== undefined ? [x.sid] : []))];
  return sids.some((sid) => sid > 0xffff_ffffn || streamIdProblem(Number(sid)) !== undefined);
}

/** The adapted text, or the text itself when nothing needed changing. */
export function adaptText(text: string, streamIdProblem: ((sid: number) => string | undefined) | undefined, ias?: number): string {
  const doc = parseDocument(text);
  let changed = false;
  const tables = doc.getIn(['memory', 's2_tables'], true);
  if (ias !== undefined && doc.has('host') && isSeq(tables)) {
    const steps = doc.get('steps', true);
    const parents = new Set<string>();
    if (isSeq(steps))
      for (const st of steps.items) {
        const b = isMap(st) ? st.get('hwpt_alloc', true) : undefined;
        if (!isMap(b)) continue;
        const flags = b.get('flags');
        const np = typeof flags === 'number' ? (flags & 1) === 1 : b.get('nest_parent') !== false;
        const t = b.get('s2_table');
        if (np && typeof t === 'string') parents.add(t);
      }
    for (const t of tables.items) {
      if (!isMap(t) || !parents.has(String(t.get('name'))) || t.get('ipa_bits') === ias) continue;
      t.set('ipa_bits', ias);
      t.delete('sl0'); // the start level derives from the new size
      changed = true;
    }
  }
  const smmu = doc.get('smmu', true);
  if (isMap(smmu) && smmu.has('cache_policy')) {
    smmu.delete('cache_policy');
    if (smmu.items.length === 0) doc.delete('smmu');
    changed = true;
  }
  if (streamIdProblem !== undefined) {
    const nodes: Array<{ node: Scalar; sid: bigint }> = [];
    const walk = (n: unknown): void => {
      if (isSeq(n)) for (const x of n.items) walk(x);
      else if (isMap(n)) {
        for (const it of n.items) {
          if (!isPair(it)) continue;
          const key = isScalar(it.key) ? it.key.value : undefined;
          const sid = key === 'sid' && isScalar(it.value) ? parseScenarioInt(it.value.value) : undefined;
          if (sid !== undefined) nodes.push({ node: it.value as Scalar, sid });
          else walk(it.value);
        }
      }
    };
    walk(doc.contents);
    const used = new Set(nodes.map((n) => n.sid));
    const bad = [...used].filter((s) => s > 0xffff_ffffn || streamIdProblem(Number(s)) !== undefined).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const map = new Map<bigint, bigint>();
    let next = 0x10n;
    for (const b of bad) {
      while (used.has(next) || streamIdProblem(Number(next)) !== undefined) next++;
      if (next > 0xffn) break; // no room: leave the rest, the target skips the scenario
      map.set(b, next);
      used.add(next);
    }
    for (const n of nodes) {
      const to = map.get(n.sid);
      if (to === undefined) continue;
      n.node.value = Number(to);
      n.node.format = 'HEX';
      changed = true;
    }
    if (growStreamTable(doc, new Set(map.values()))) changed = true;
  }
  return changed ? doc.toString({ lineWidth: 0 }) : text;
}
