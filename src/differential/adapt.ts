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
  if (needsAdapting(s, target.streamIdProblem)) reload(adaptText(text(), target.streamIdProblem));
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

/** Does the scenario object need adapting (cheap check before a YAML round trip)? */
export function needsAdapting(s: Scenario, streamIdProblem: ((sid: number) => string | undefined) | undefined): boolean {
  if (s.smmu?.cache_policy !== undefined) return true;
  if (streamIdProblem === undefined) return false;
  const sids = [...(s.devices ?? []).map((d) => d.sid), ...(s.streams ?? []).flatMap((x) => (x.sid !== undefined ? [x.sid] : []))];
  return sids.some((sid) => sid > 0xffff_ffffn || streamIdProblem(Number(sid)) !== undefined);
}

/** The adapted text, or the text itself when nothing needed changing. */
export function adaptText(text: string, streamIdProblem: ((sid: number) => string | undefined) | undefined): string {
  const doc = parseDocument(text);
  let changed = false;
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
  }
  return changed ? doc.toString({ lineWidth: 0 }) : text;
}
