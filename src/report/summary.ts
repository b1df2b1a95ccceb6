/**
 * The one result model every reporter and the exit code read: per-scenario results plus the
 * run-level problems (bad arguments, empty selection, obsolete goldens). `verdict` is the single
 * place that decides what counts as a failure, an error and a skip; JUnit, TAP, JSON, pretty,
 * HTML and the exit code all derive from it, so they cannot disagree.
 */
import { areaOf, RESULT_STATES, type ResultState, type RunProblem, type ScenarioResult } from '../engine/result.ts';
import type { SuiteResult } from '../engine/run-suite.ts';

/** What a suite run gave (results sorted by id; problems by kind then subject), and how to report it. */
export interface ReportInput extends Pick<SuiteResult, 'results' | 'written' | 'problems' | 'notes'> {
  /** Include per-scenario wall times (off by default so reports are reproducible). */
  readonly timings: boolean;
  /** Wall time of the whole run; shown by the pretty summary (and by others only with timings). */
  readonly elapsedMs?: number;
  /** The SMMU under test when it is not the built-in emulator (`qemu-7.2`). */
  readonly target?: string;
}

export type Counts = Record<ResultState, number> & { total: number };

export function emptyCounts(): Counts {
  return { total: 0, pass: 0, fail: 0, skip: 0, xfail: 0, xpass: 0, error: 0 };
}

export function countStates(results: readonly ScenarioResult[]): Counts {
  const c = emptyCounts();
  for (const r of results) {
    c[r.state]++;
    c.total++;
  }
  return c;
}

/** Area -> counts, areas sorted. */
export function countByArea(results: readonly ScenarioResult[]): [string, Counts][] {
  const m = new Map<string, ScenarioResult[]>();
  for (const r of results) {
    const a = areaOf(r.id);
    const list = m.get(a) ?? [];
    list.push(r);
    m.set(a, list);
  }
  return [...m.keys()].sort().map((a) => [a, countStates(m.get(a) ?? [])]);
}

/** A failure for exit-code purposes: fail, xpass or error. */
export function isFailure(state: ResultState): boolean {
  return state === 'fail' || state === 'xpass' || state === 'error';
}

export type ExitCode = 0 | 1 | 2;

/** How a result or problem is reported in formats with only pass/failure/error/skipped (JUnit, TAP). */
export type Verdict = 'passed' | 'failure' | 'error' | 'skipped';

export function resultVerdict(r: ScenarioResult): Verdict {
  switch (r.state) {
    case 'pass':
      return 'passed';
    case 'skip':
    case 'xfail':
      return 'skipped';
    case 'error':
      return 'error';
    default:
      return 'failure';
  }
}

/** Obsolete goldens are failures; bad arguments and an empty selection are errors (invalid input). */
export function problemVerdict(p: RunProblem): Verdict {
  return p.severity === 'invalid' ? 'error' : 'failure';
}

export interface Totals {
  /** Scenario results plus run-level problems (each problem is one reported test case). */
  readonly tests: number;
  readonly failures: number;
  readonly errors: number;
  readonly skipped: number;
  readonly exitCode: ExitCode;
}

/** Counts as JUnit/TAP/JSON print them, and the exit code: 2 invalid input, 1 failures, 0 otherwise. */
export function totals(input: Pick<ReportInput, 'results' | 'problems'>): Totals {
  const v = [...input.results.map(resultVerdict), ...input.problems.map(problemVerdict)];
  const n = (k: Verdict): number => v.filter((x) => x === k).length;
  const invalid = input.results.some((r) => r.invalid) || input.problems.some((p) => p.severity === 'invalid');
  const failures = n('failure');
  const errors = n('error');
  return { tests: v.length, failures, errors, skipped: n('skipped'), exitCode: invalid ? 2 : failures + errors > 0 ? 1 : 0 };
}

/** The exit code of a run: the same numbers every reporter prints decide it. */
export function exitCodeOf(input: Pick<ReportInput, 'results' | 'problems'>): ExitCode {
  return totals(input).exitCode;
}

/** Test-case name of a run-level problem in JUnit/TAP: `(run) <kind> <subject>`. */
export function problemName(p: RunProblem): string {
  return `(run) ${p.kind} ${p.subject}`;
}

export { RESULT_STATES };
