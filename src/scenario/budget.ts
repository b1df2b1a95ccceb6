/**
 * Per-scenario run budget (issue 12 part 6): a runaway scenario is stopped and reported as an
 * error naming its step, and the suite goes on. Two limits, both checked before every step:
 * `maxSteps` (deterministic) and `maxMs` (wall time). Work inside one step is bounded by the
 * load caps (LoadCaps: leaf descriptors, page_only bytes, raw words) and the memory cap, so a
 * step cannot run away between two checks. Configurable from the runner
 * (`run --budget-steps N --budget-ms N`).
 */
export interface RunBudget {
  readonly maxSteps?: number;
  readonly maxMs?: number;
}

export const DEFAULT_BUDGET: Required<RunBudget> = { maxSteps: 100_000, maxMs: 30_000 };

/** Thrown by BudgetMeter.tick; the runner reports it as state `error` with the step's location. */
export class BudgetExceeded extends Error {
  readonly code = 'BUDGET_EXCEEDED';
  /** The step (['steps', i, kind]) or section the run was in. */
  readonly path: readonly (string | number)[];
  constructor(message: string, path: readonly (string | number)[]) {
    super(message);
    this.name = 'BudgetExceeded';
    this.path = path;
  }
}

export class BudgetMeter {
  readonly maxSteps: number;
  readonly maxMs: number;
  readonly #start: number;
  readonly #now: () => number;
  work = 0;
  /** Where the work is being done (e.g. `step 3 (map)`), for the error message, and its scenario path. */
  where = 'setup';
  path: readonly (string | number)[] = [];

  constructor(b: RunBudget = {}, now: () => number = () => performance.now()) {
    this.maxSteps = b.maxSteps ?? DEFAULT_BUDGET.maxSteps;
    this.maxMs = b.maxMs ?? DEFAULT_BUDGET.maxMs;
    this.#now = now;
    this.#start = now();
  }

  /** Account one step; throws BudgetExceeded past either limit. */
  tick(): void {
    this.work += 1;
    if (this.work > this.maxSteps) {
      throw new BudgetExceeded(`Scenario exceeded its budget of ${this.maxSteps} steps at ${this.where}`, this.path);
    }
    this.check();
  }

  check(): void {
    const ms = this.#now() - this.#start;
    if (ms > this.maxMs) throw new BudgetExceeded(`Scenario exceeded its time budget of ${this.maxMs} ms at ${this.where}`, this.path);
  }
}
