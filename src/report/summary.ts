/** Counts by state and by area, shared by all reporters. */
import { areaOf, RESULT_STATES, type ResultState, type ScenarioResult } from '../engine/result.ts';

export interface ReportInput {
  /** Sorted by id. */
  readonly results: readonly ScenarioResult[];
  readonly written: readonly string[];
  readonly obsolete: readonly string[];
  readonly notes: readonly string[];
  /** Include per-scenario wall times (off by default so reports are reproducible). */
  readonly timings: boolean;
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

export { RESULT_STATES };
