/**
 * One scenario on the reference model and on a target, compared the way `run --target` compares a
 * target with a golden (the same normalisations, src/target/normalise.ts, and the same permitted
 * alternatives, src/engine/permitted.ts), with the disagreement classified (classify.ts). Never
 * throws: a target that cannot express the scenario is `skip`, a target that fails is a deviation
 * of class `target failed`, a reference model that throws is `error` (a bug of the reference).
 */
import { performance } from 'node:perf_hooks';
import { diffLines } from 'diff';
import { executeOnTarget, executeScenario } from '../engine/execute.ts';
import { matchPermitted } from '../engine/permitted.ts';
import { canonicalGolden } from '../golden/canonical.ts';
import { type Divergence, divergencePoint, divergenceText, sectionDivergences } from '../golden/compare.ts';
import { CHOICE_NAMES, CHOICES, combinations } from '../scenario/choices.ts';
import { notModelledReason } from '../scenario/features.ts';
import type { ExecuteOptions, Observation, StepRecord } from '../scenario/observation.ts';
import type { Scenario } from '../scenario/types.ts';
import { TargetUnsupported } from '../target/contract.ts';
import { projectCanonical } from '../target/normalise.ts';
import { classify, type DeviationClass, failureClass } from './classify.ts';
import type { DiffTarget } from './target.ts';

export type PairVerdict =
  | { readonly kind: 'agree'; readonly note?: string }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'deviates'; readonly cls: DeviationClass; readonly summary: string };

/** Where the time went (milliseconds; not part of any deterministic output). */
export interface PairTimes {
  referenceMs: number;
  /** Opening and closing the target (QEMU: spawn, qtest/QMP connect, PCI set-up, quit). */
  targetStartMs: number;
  /** Running the scenario on the open target. */
  targetRunMs: number;
}

export interface PairResult {
  readonly verdict: PairVerdict;
  readonly times: PairTimes;
}

export function referenceOptions(target: DiffTarget): ExecuteOptions {
  return { profile: { name: target.name, features: target.features, smmu: target.profile } };
}

export function runPair(s: Scenario, target: DiffTarget): PairResult {
  const times: PairTimes = { referenceMs: 0, targetStartMs: 0, targetRunMs: 0 };
  const done = (verdict: PairVerdict): PairResult => ({ verdict, times });
  const unjudged = (s.requires ?? []).filter((f) => notModelledReason(f) !== undefined);
  if (unjudged.length > 0) return done({ kind: 'skip', reason: `requires ${unjudged.join(', ')}: not modelled by the reference` });
  const lacks = (s.requires ?? []).filter((f) => !target.features.includes(f));
  if (lacks.length > 0) return done({ kind: 'skip', reason: `requires ${lacks.join(', ')} (not in ${target.name}'s ID registers)` });

  const opts = referenceOptions(target);
  let t = performance.now();
  let ref: Observation;
  try {
    ref = executeScenario(s, opts);
  } catch (e) {
    return done({ kind: 'error', message: `reference model failed: ${message(e)}` });
  } finally {
    times.referenceMs += performance.now() - t;
  }

  // what the target cannot express shows on a stand-in as well, without starting the target
  if (target.preflight !== undefined) {
    const tp = performance.now();
    const stand = target.preflight();
    try {
      executeOnTarget(s, opts, stand);
    } catch (e) {
      const why = unsupported(e);
      if (why !== undefined) return done({ kind: 'skip', reason: why });
    } finally {
      stand.close();
      times.referenceMs += performance.now() - tp;
    }
  }

  t = performance.now();
  let obs: Observation;
  let tgt;
  try {
    tgt = target.open(s);
  } catch (e) {
    times.targetStartMs += performance.now() - t;
    const why = unsupported(e);
    return done(why !== undefined ? { kind: 'skip', reason: why } : failed(e));
  }
  const t1 = performance.now();
  times.targetStartMs += t1 - t;
  try {
    obs = executeOnTarget(s, opts, tgt);
  } catch (e) {
    const why = unsupported(e);
    return done(why !== undefined ? { kind: 'skip', reason: why } : failed(e));
  } finally {
    const t2 = performance.now();
    times.targetRunMs += t2 - t1;
    tgt.close();
    times.targetStartMs += performance.now() - t2;
  }

  const norms = obs.target?.normalisations ?? [];
  const want = projectCanonical(canonicalGolden(ref), norms);
  const got = projectCanonical(canonicalGolden(obs), norms);
  if (want === got) return done({ kind: 'agree' });
  // every IMPLEMENTATION DEFINED choice the architecture leaves open (src/scenario/choices.ts) is
  // permitted, whether or not the scenario declares it: a generated scenario does not know which
  // of its outcomes depend on one
  const permitted = Object.fromEntries(CHOICE_NAMES.map((n) => [n, CHOICES[n].values]));
  const alt = matchPermitted({ ...s, permitted }, got, norms, (c) => executeScenario(s, { ...opts, choices: c }));
  if (alt !== undefined) return done({ kind: 'agree', note: alt });
  // the deviation is what no permitted choice explains: of the reference's outcomes under every
  // combination of choices, the one the target follows furthest names it (the latest first
  // divergence: step, then the command where the queues part, then the text; fewer differing
  // lines on a tie): a RES0 bit the target ignores (§4.1.5) is not the deviation when a later
  // command is
  const rank = (w: string): readonly number[] => followRank(w, got);
  let best: { ref: Observation; want: string; rank: readonly number[]; choices?: Record<string, string> } = { ref, want, rank: rank(want) };
  for (const c of combinations(permitted)) {
    let o: Observation;
    try {
      o = executeScenario(s, { ...opts, choices: c });
    } catch {
      continue;
    }
    const w = projectCanonical(canonicalGolden(o), norms);
    const r = rank(w);
    if (later(r, best.rank)) best = { ref: o, want: w, rank: r, choices: c };
  }
  const d = divergencePoint(best.want, got);
  if (d === undefined || typeof d === 'string') return done({ kind: 'error', message: `cannot compare observations: ${d ?? 'formatting only'}` });
  const checked = withIllegalChecks(s, best.ref, (x) => executeScenario(x, { ...opts, ...(best.choices !== undefined ? { choices: best.choices } : {}) }));
  return done({ kind: 'deviates', cls: classify(s, d, checked), summary: divergenceText(d) });
}

/**
 * The ILLEGAL check behind a C_BAD_STE / C_BAD_CD of a DMA of several transactions: the step's
 * record names none (one per transaction would be needed), so the class would lack it and not
 * match the entry that knows the check. The STE and CD do not depend on the address, so the same
 * DMA as one transaction (no `size`) meets the same check: its record's `illegal` is used.
 */
function withIllegalChecks(s: Scenario, ref: Observation, run: (x: Scenario) => Observation): Observation {
  const bad = new Set(ref.events.filter((e) => e.type === 'C_BAD_STE' || e.type === 'C_BAD_CD').map((e) => e.step));
  let steps: StepRecord[] | undefined;
  ref.steps.forEach((r, i) => {
    if (r.op !== 'dma' || !Array.isArray(r['addrs']) || typeof r['illegal'] === 'string' || !bad.has(r.step)) return;
    const st = s.steps[r.step - 1];
    if (st === undefined || !('dma' in st)) return;
    const { size: _size, expect: _expect, ...one } = st.dma;
    let o: Observation;
    try {
      o = run({ ...s, steps: s.steps.map((x, k) => (k === r.step - 1 ? { dma: one } : x)) });
    } catch {
      return;
    }
    const ill = o.steps[i]?.['illegal'];
    if (typeof ill !== 'string') return;
    steps ??= [...ref.steps];
    steps[i] = { ...r, illegal: ill };
  });
  return steps === undefined ? ref : { ...ref, steps };
}

/**
 * How far the target's observation `got` follows the reference's `want`, compared with `later`:
 * the earliest divergence in scenario order (step, then command), then the common text prefix,
 * then fewer differing lines.
 */
export function followRank(want: string, got: string): readonly number[] {
  return [...earliestDivergence(want, got), commonPrefix(want, got), -changedLines(want, got)];
}

/**
 * The earliest point, in the scenario's own order, where two observations part: the first
 * divergence of each section (steps, events, ...) placed by its step (and command), the earliest
 * of them. The text's first divergence is not that: every step record precedes every event, so a
 * command at step 5 the target executes (a RES0 bit it ignores, permitted) would hide a wrong
 * event of step 2 that the target shows under every choice.
 */
function earliestDivergence(want: string, got: string): readonly number[] {
  let best: readonly number[] = [Number.MAX_SAFE_INTEGER, 0];
  const ds = sectionDivergences(want, got);
  if (typeof ds === 'string') return best;
  for (const d of ds) {
    const at = divergenceAt(d);
    if (at[0] > 0 && later(best, at)) best = at;
  }
  return best;
}

/** Where a divergence is: its step, and in a command-queue step the command where the queues part. */
function divergenceAt(d: Divergence): [number, number] {
  const r = (d.expectedRecord ?? d.actualRecord) as Readonly<Record<string, unknown>> | undefined;
  const step = typeof r?.['step'] === 'number' ? r['step'] : 0;
  const ex = [
    (d.expectedRecord as Readonly<Record<string, unknown>> | undefined)?.['executed'],
    (d.actualRecord as Readonly<Record<string, unknown>> | undefined)?.['executed'],
  ];
  const nums = ex.filter((x): x is number => typeof x === 'number');
  return [step, nums.length > 0 ? Math.min(...nums) : 0];
}

/** Whether rank `a` is later (the target follows it further) than rank `b`. */
export function later(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return false;
}

/** Lines one text has and the other does not (a line diff). */
function changedLines(a: string, b: string): number {
  let n = 0;
  for (const part of diffLines(a, b)) if (part.added === true || part.removed === true) n += part.count ?? 0;
  return n;
}

/** How many leading characters two texts share. */
function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

function failed(e: unknown): PairVerdict {
  const m = `Target failed: ${message(e)}`;
  return { kind: 'deviates', cls: failureClass(m), summary: m };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function unsupported(e: unknown): string | undefined {
  for (let c: unknown = e; c instanceof Error; c = c.cause) if (c instanceof TargetUnsupported) return `not expressible on the target: ${c.reason}`;
  return undefined;
}
