/**
 * An executor failure with the place in the scenario it came from (issue 12 part 6): the runner
 * reports it as `file:line:col: error[EXECUTOR_FAILED]` with exit 2, never as a stack. Every
 * scenario `validate` accepts should run to an answer, so one of these is a bug to fix (the
 * mutation fuzzer in test/scenario-mutants.ts hunts for them).
 */
export type ScenarioPath = readonly (string | number)[];

export class ExecFailure extends Error {
  readonly code = 'EXECUTOR_FAILED';
  readonly path: ScenarioPath;
  constructor(path: ScenarioPath, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ExecFailure';
    this.path = path;
  }
}

/** The scenario path an executor error points at ([] = the whole scenario). */
export function failurePath(e: unknown): ScenarioPath {
  return typeof e === 'object' && e !== null && 'path' in e && Array.isArray((e as { path: unknown }).path) ? (e as { path: ScenarioPath }).path : [];
}
