/** Per-scenario outcome as reporters see it. */
import type { GoldenStatus } from '../golden/compare.ts';

/**
 * pass / fail; skip = `requires` not met by the profile; xfail / xpass = listed as an expected
 * failure and failed / passed (xpass counts as a failure); error = invalid input or a crash.
 */
export type ResultState = 'pass' | 'fail' | 'skip' | 'xfail' | 'xpass' | 'error';
export const RESULT_STATES: readonly ResultState[] = ['pass', 'fail', 'skip', 'xfail', 'xpass', 'error'];

export interface ScenarioResult {
  /** Scenario id (path under scenarios/ without .yaml), or the display path if outside the root. */
  readonly id: string;
  /** File as given, relative to the working directory. */
  readonly file: string;
  readonly state: ResultState;
  /** Why it did not pass (load errors, expectation mismatches, golden summary), or notes. */
  readonly messages: readonly string[];
  /** Unified diff golden -> actual on a mismatch. */
  readonly diff?: string;
  /** The first divergent field on a golden mismatch (`steps[0] (step 1 cmdq): field result: …`). */
  readonly divergence?: string;
  readonly golden: GoldenStatus | 'not-run';
  /** True when the scenario file itself is invalid (exit code 2). */
  readonly invalid: boolean;
  /** How many inline `expect:` checks failed; --update never writes a golden while any does. */
  readonly expectFailures?: number;
  /** Canonical golden text, kept when the run may update goldens. */
  readonly actual?: string;
  /** Wall time; reported only when asked (`--timings`). */
  readonly ms?: number;
}

/** The first path segment: the area a scenario belongs to (s1, s2, nested, cmdq, ...). */
export function areaOf(id: string): string {
  const i = id.indexOf('/');
  return i < 0 ? '(top)' : id.slice(0, i);
}

/**
 * A finding about the run as a whole rather than one scenario. Every reporter lists these and
 * the exit code counts them: `invalid` ones (bad arguments, a selection that runs nothing) give
 * exit 2 like an invalid scenario, `fail` ones (obsolete goldens) give exit 1 like a failure.
 */
export interface RunProblem {
  /** Stable id of the kind of problem. */
  readonly kind: RunProblemKind;
  /** What it is about: the argument, tag, or golden id. */
  readonly subject: string;
  readonly message: string;
  readonly severity: 'fail' | 'invalid';
}
export type RunProblemKind = 'bad-directory' | 'empty-selection' | 'unmatched-argument' | 'unknown-tag' | 'shard-too-small' | 'obsolete-golden';
