/**
 * Run one scenario file end to end: load, requires check, execute, inline expectations, golden
 * comparison. Used in-process (`--jobs 1`) and inside workers; never throws.
 */
import { formatLoadError, pathString } from '../scenario/errors.ts';
import { locateInSource } from '../scenario/locate.ts';
import { BudgetExceeded, type RunBudget } from '../scenario/budget.ts';
import { failurePath } from '../scenario/exec-failure.ts';
import type { LoadCaps } from '../scenario/caps.ts';
import { loadScenarioFile } from './load.ts';
import { notModelledReason } from '../scenario/features.ts';
import { canonicalGolden } from '../golden/canonical.ts';
import { compareGolden } from '../golden/compare.ts';
import { readGolden } from '../golden/store.ts';
import { locateIn } from '../scenario/locate.ts';
import { expectMismatches } from './check-expect.ts';
import type { ScenarioResult } from './result.ts';
import type { ExecuteScenario, ExecutorModule, Observation, Profile } from '../scenario/observation.ts';
import { TargetFailure, type TargetSpec, TargetUnsupported } from '../target/contract.ts';
import { projectCanonical } from '../target/normalise.ts';
import { expectedWritePas, paMissMessage } from '../target/pa-check.ts';
import type { ChoiceName } from '../scenario/choices.ts';
import { matchPermitted } from './permitted.ts';
import { targetFeatures } from './target-features.ts';
import { type TargetReference, alsoMissedBy, targetExpectMismatches, targetReference } from './target-reference.ts';
import { quote } from './shell-quote.ts';

export interface RunTask {
  readonly id: string | undefined;
  readonly file: string;
  readonly display: string;
  /** Absolute golden path, undefined if the scenario is outside the root. */
  readonly goldenFile: string | undefined;
  /** Golden path as shown in messages. */
  readonly goldenDisplay: string;
  /** Keep canonical text in the result (for --update). */
  readonly keepActual: boolean;
  readonly timings: boolean;
  /** Command prefix for the update/create commands suggested in messages (`npx smmu-conform run --root x`). */
  readonly rerun?: string;
}

export interface RunContext {
  readonly executorModule: string;
  readonly profile: Profile;
  /** The SMMU under test (default: the built-in emulator); its ID registers decide `requires:`. */
  readonly target?: TargetSpec;
  readonly caps?: Partial<LoadCaps>;
  /** Per-scenario work and wall-time limits (scenario/budget.ts; default DEFAULT_BUDGET). */
  readonly budget?: RunBudget;
}

/** Suggested command when the caller does not say how the tool is run. */
export const DEFAULT_RERUN = 'npx smmu-conform run';

const executors = new Map<string, Promise<ExecuteScenario | string>>();

/** Import an executor module once per thread; a string is the reason it is unusable. */
export function loadExecutor(spec: string): Promise<ExecuteScenario | string> {
  let p = executors.get(spec);
  if (p === undefined) {
    p = import(spec).then(
      (m: Partial<ExecutorModule>) => (typeof m.executeScenario === 'function' ? m.executeScenario : `Executor module ${spec} does not export executeScenario`),
      (e: unknown) => `Executor not available (${spec}): ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
    );
    executors.set(spec, p);
  }
  return p;
}

export async function runOne(task: RunTask, ctx: RunContext): Promise<ScenarioResult> {
  try {
    return await runOneUnguarded(task, ctx);
  } catch (e) {
    // Harness faults (unreadable golden, ...) must not hang a worker or abort the run.
    return {
      id: task.id ?? task.display,
      file: task.display,
      state: 'error',
      invalid: false,
      golden: 'not-run',
      messages: [`Cannot run scenario: ${crashText(e)}`],
    };
  }
}

async function runOneUnguarded(task: RunTask, ctx: RunContext): Promise<ScenarioResult> {
  const t0 = task.timings ? performance.now() : 0;
  const id = task.id ?? task.display;
  const base = { id, file: task.display };
  const done = (r: Omit<ScenarioResult, 'id' | 'file'>): ScenarioResult => ({
    ...base,
    ...r,
    ...(task.timings ? { ms: Math.round(performance.now() - t0) } : {}),
  });

  const loaded = loadScenarioFile(task.file, {
    file: task.display,
    ...(task.id !== undefined ? { id: task.id } : {}),
    ...(ctx.caps !== undefined ? { caps: ctx.caps } : {}),
    ...(ctx.profile.smmu !== undefined ? { profile: ctx.profile.smmu } : {}),
  });
  if (loaded.scenario === undefined) {
    return done({ state: 'error', invalid: true, golden: 'not-run', messages: loaded.errors.map((e) => formatLoadError(e, loaded.source)) });
  }
  const scenario = loaded.scenario;
  // A feature the reference emulator does not model is a SKIP with its reason, whatever the profile.
  const unjudged = (scenario.requires ?? []).filter((f) => notModelledReason(f) !== undefined);
  if (unjudged.length > 0) {
    return done({
      state: 'skip',
      invalid: false,
      golden: 'not-run',
      messages: unjudged.map((f) => `requires ${f}: not modelled (docs/not-modelled.md): ${notModelledReason(f) ?? ''}`),
    });
  }
  const missing = (scenario.requires ?? []).filter((f) => !ctx.profile.features.includes(f));
  if (missing.length > 0) {
    return done({ state: 'skip', invalid: false, golden: 'not-run', messages: [`requires ${missing.join(', ')} (not in profile ${ctx.profile.name})`] });
  }
  if (ctx.target !== undefined && ctx.target.kind !== 'builtin') {
    const tf = targetFeatures(ctx.target);
    if (typeof tf === 'string') return done({ state: 'error', invalid: false, golden: 'not-run', messages: [tf] });
    const lacks = (scenario.requires ?? []).filter((f) => !tf.features.includes(f));
    if (lacks.length > 0)
      return done({ state: 'skip', invalid: false, golden: 'not-run', messages: [`requires ${lacks.join(', ')} (not in ${tf.name}'s ID registers)`] });
  }
  if (task.goldenFile === undefined) {
    return done({
      state: 'error',
      invalid: true,
      golden: 'not-run',
      messages: [`Scenario ${task.display} is outside the scenarios root, so it has no golden`],
    });
  }
  const exec = await loadExecutor(ctx.executorModule);
  if (typeof exec === 'string') return done({ state: 'error', invalid: false, golden: 'not-run', messages: [exec] });

  const golden = readGolden(task.goldenFile);
  const external = ctx.target !== undefined && ctx.target.kind !== 'builtin';
  let obs;
  try {
    obs = exec(scenario, {
      profile: ctx.profile,
      ...(ctx.budget !== undefined ? { budget: ctx.budget } : {}),
      ...(ctx.target !== undefined ? { target: ctx.target } : {}),
      ...(external ? { expectedPas: expectedWritePas(golden) } : {}),
    });
  } catch (e) {
    const unsupported = unsupportedReason(e);
    if (unsupported !== undefined) return done({ state: 'skip', invalid: false, golden: 'not-run', messages: [unsupported] });
    // on an external target the executor that runs the reference cleanly can only be thrown off by
    // what the target did (QEMU aborted on an assertion, stopped answering, left the queue inconsistent):
    // a failure of the target, which an expectation file can list, not a harness error
    if (hasFailure(e) || (ctx.target !== undefined && ctx.target.kind !== 'builtin')) {
      return done({ state: 'fail', invalid: false, golden: 'not-run', messages: [`Target failed: ${e instanceof Error ? e.message : String(e)}`] });
    }
    // An executor failure or a run over its budget: located in the scenario, exit 2 (like an
    // invalid file), no stack; the suite goes on with the next scenario.
    const path = failurePath(e);
    const pos = loaded.source !== undefined ? locateInSource(loaded.source, path) : { line: 1, col: 1 };
    const code = e instanceof BudgetExceeded ? 'BUDGET_EXCEEDED' : 'EXECUTOR_FAILED';
    const where = path.length > 0 ? ` at ${pathString(path)}` : '';
    const why = e instanceof Error ? e.message : String(e);
    return done({ state: 'error', invalid: true, golden: 'not-run', messages: [`${task.display}:${pos.line}:${pos.col}: error[${code}]${where}: ${why}`] });
  }
  let actual: string;
  try {
    actual = canonicalGolden(obs);
  } catch (e) {
    return done({
      state: 'error',
      invalid: false,
      golden: 'not-run',
      messages: [`Cannot serialise observation: ${e instanceof Error ? e.message : String(e)}`],
    });
  }
  const notes: string[] = [];
  // on a target: the golden, or the reference model run with the target's ID registers where the
  // golden depends on them (target-reference.ts)
  const tf = obs.target !== undefined && ctx.target !== undefined ? targetFeatures(ctx.target) : undefined;
  const ref: TargetReference =
    obs.target !== undefined && tf !== undefined && typeof tf !== 'string'
      ? targetReference(scenario, ctx.profile, exec, golden, obs.target.normalisations, tf)
      : {
          expected: obs.target !== undefined && golden !== undefined ? projectCanonical(golden, obs.target.normalisations) : golden,
          norms: obs.target?.normalisations ?? [],
        };
  const norms = ref.norms;
  // Every failed inline expectation; on a target those about normalised values, or that the
  // reference run it is compared with does not meet either (target IDRs), are not applied.
  let expectMiss = obs.target !== undefined ? targetExpectMismatches(scenario, obs, ref) : expectMismatches(scenario, obs);
  const messages: string[] = [];
  let cmp = compareGolden(projectCanonical(actual, norms), ref.expected, task.goldenDisplay);
  if (ref.note !== undefined) notes.push(ref.note);
  if (obs.target === undefined) {
    // the reference model must itself take one of the values the scenario permits
    for (const [name, v] of Object.entries(obs.permitted ?? {})) {
      const allowed = scenario.permitted?.[name as ChoiceName] ?? [];
      if (!allowed.includes(v)) messages.push(`The reference model took ${name}=${v}, which permitted.${name} does not list (${allowed.join(', ')})`);
    }
  } else if (cmp.status === 'mismatch' && scenario.permitted !== undefined) {
    const asTarget = ref.asTarget;
    let last: Observation | undefined; // matchPermitted stops at the alternative that matched
    const alt = matchPermitted(scenario, projectCanonical(actual, norms), norms, (c) => {
      last = exec(scenario, { profile: ctx.profile, choices: c, ...(asTarget !== undefined ? { asTarget } : {}) });
      return last;
    });
    if (alt !== undefined && last !== undefined) {
      cmp = { status: 'match' };
      notes.push(alt);
      // inline values the reference model holds under its own choice do not bind the other one
      expectMiss = alsoMissedBy(scenario, expectMiss, last, false);
    }
  }
  // each failed inline expectation at the file:line:col of the expectation
  const source = loaded.source ?? '';
  messages.unshift(
    ...expectMiss.map((m) => {
      const p = locateIn(source, m.path);
      return `${task.display}:${p.line}:${p.col}: ${m.message}`;
    }),
  );
  // DMA writes a target checked at the golden's PA (pa-check.ts): one not found there is a golden mismatch on that field
  const paChecks = obs.target?.paChecks;
  if (paChecks !== undefined && obs.target !== undefined) {
    const name = obs.target.name;
    const missed = paChecks.missed.map((m) => paMissMessage(m, name, (expectedWritePas(golden).get(m.step)?.length ?? 1) > 1));
    if (missed.length > 0 && cmp.status === 'match') cmp = { status: 'mismatch', summary: missed[0] as string };
    messages.push(...missed.slice(cmp.summary === missed[0] ? 1 : 0).map((m) => `Output address: ${m}`));
    notes.push(`on ${name}, output address checked at the golden's PA for ${paChecks.checked} DMA write${paChecks.checked === 1 ? '' : 's'}`);
  }
  const expectFailures = expectMiss.length;
  if (obs.target !== undefined && norms.length > 0) notes.push(`on ${obs.target.name}, normalised: ${norms.join(', ')}`);
  const rerun = task.rerun ?? DEFAULT_RERUN;
  const file = quote(task.display);
  if (cmp.status === 'missing') {
    // goldens are the reference model's: on a target the create command runs on the reference
    messages.push(
      `Golden ${task.goldenDisplay} is missing; create it with: ${obs.target !== undefined ? onReference(rerun) : rerun} ${file} --update --create`,
    );
  } else if (cmp.status === 'mismatch' && obs.target !== undefined) {
    // --update is refused with --target: the fix is on the target's side (or a listed deviation)
    const name = obs.target.name;
    messages.push(
      `Golden mismatch: ${cmp.summary ?? ''}; ${name} differs from the reference model (see it with: ${rerun} ${file} --reference); a known deviation of ${name} is listed with its rule and section in targets/${name}.yaml`,
    );
  } else if (cmp.status === 'mismatch') {
    messages.push(`Golden mismatch: ${cmp.summary ?? ''}; to accept the new output: ${rerun} ${file} --update`);
  }
  const ok = messages.length === 0;
  return done({
    state: ok ? 'pass' : 'fail',
    invalid: false,
    golden: cmp.status,
    messages: ok ? notes : [...messages, ...notes],
    ...(expectFailures > 0 ? { expectFailures } : {}),
    ...(cmp.diff !== undefined ? { diff: cmp.diff } : {}),
    ...(cmp.status === 'mismatch' && cmp.summary !== undefined ? { divergence: cmp.summary } : {}),
    ...(task.keepActual ? { actual } : {}),
  });
}

/** The rerun command on the reference model: its `--target X` (quoted by shell-quote.ts, or from the config file) becomes `--target builtin`. */
export function onReference(rerun: string): string {
  return `${rerun.replace(/ --target (?:'(?:[^']|'\\'')*'|\S+)/, '')} --target builtin`;
}

/** Message plus the stack frames inside the executor: frames from runOne outwards depend on how the run was started (worker or not), so they are cut to keep reports identical. */
function crashText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const lines = (e.stack ?? `${e.name}: ${e.message}`).split('\n');
  const cut = lines.findIndex((l) => /\brunOne(Unguarded)?\b/.test(l));
  return (cut < 0 ? lines : lines.slice(0, cut)).join('\n');
}

/** The reason of a TargetUnsupported anywhere in the cause chain (steps wrap errors with their location). */
function unsupportedReason(e: unknown): string | undefined {
  for (let c: unknown = e; c instanceof Error; c = c.cause) if (c instanceof TargetUnsupported) return `not expressible on the target: ${c.reason}`;
  return undefined;
}

function hasFailure(e: unknown): boolean {
  for (let c: unknown = e; c instanceof Error; c = c.cause) if (c instanceof TargetFailure) return true;
  return false;
}
