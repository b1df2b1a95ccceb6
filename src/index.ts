/**
 * The programmatic API: run the suite (or any scenario tree) from another project's test runner.
 *
 *   import { runSuite, loadScenario, targets, renderReport } from 'smmu-conform';
 *   const run = await runSuite({ root: 'scenarios', golden: 'golden', target: targets.emulator });
 *   if (run.exitCode !== 0) console.log(await renderReport('pretty', run));
 *
 * Results use the same model as the CLI: per-scenario states (pass, fail, skip, xfail, xpass,
 * error), run-level problems, and the exit code every reporter agrees with. Documented in
 * docs/api.md; the JSON schemas ship under `smmu-conform/schemas/*` with resolvable `$id`s.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { closest } from './arch/fields.ts';
import type { RunProblem, ScenarioResult } from './engine/result.ts';
import { runSuite as runSuiteEngine } from './engine/run-suite.ts';
import { parseShard } from './engine/shard.ts';
import type { ExecuteScenario, Profile } from './scenario/observation.ts';
import { type ExpectFailList, parseExpectFail } from './engine/expect-fail.ts';
import type { TargetSpec } from './target/contract.ts';
import { loadTargetExpectations } from './target/expectations.ts';
import { targetName } from './target/name.ts';
import { type RenderOptions, type ReporterName, renderReport as render } from './report/reporters.ts';
import { type ExitCode, type ReportInput, type Totals, totals } from './report/summary.ts';
import { loadScenarioFile, loadScenarioText } from './engine/load.ts';
import type { LoadError } from './scenario/errors.ts';
import { FEATURES, type Feature, isFeature } from './scenario/features.ts';
import type { Scenario } from './scenario/types.ts';

export type { ExecuteOptions, ExecuteScenario, EventRecord, Observation, Profile, StepRecord, WalkTrace } from './scenario/observation.ts';
export type { ResultState, RunProblem, RunProblemKind, ScenarioResult } from './engine/result.ts';
export type { LoadError, LoadErrorCode } from './scenario/errors.ts';
export type { Feature } from './scenario/features.ts';
export type { Scenario } from './scenario/types.ts';
export type { ExitCode, ReportInput, Totals } from './report/summary.ts';
export type { ReporterName } from './report/reporters.ts';
export { RESULT_STATES } from './engine/result.ts';
// The device-level target contract (docs/targets.md): what an external SMMUv3 implementation provides.
export type {
  SmmuTarget,
  TargetAccess,
  TargetCapabilities,
  TargetIdRegs,
  TargetMemoryRange,
  TargetSpec,
  TargetTransaction,
  TargetTransactionOutcome,
} from './target/contract.ts';
export { TargetFailure, TargetUnsupported } from './target/contract.ts';
// QEMU's SMMUv3 as a device-level SmmuTarget (one QEMU process; close() reaps it).
export { QemuTarget, type QemuTargetOptions } from './target/qemu/target.ts';
export { FEATURES };

/**
 * What the scenarios run on. A target is a module that exports `executeScenario` (the contract in
 * ExecuteScenario: run one validated scenario from reset and return its Observation); the
 * built-in one is the bit-exact emulator.
 */
export interface Target {
  readonly name: string;
  /** URL (file:) of a module exporting `executeScenario`. */
  readonly module: string;
  /**
   * An external SMMUv3 the executor drives over the device-level contract (SmmuTarget,
   * docs/targets.md); absent = the module's own device (the built-in emulator).
   */
  readonly device?: TargetSpec;
}

/** A target from your own module (absolute path, path relative to the working folder, or file: URL). */
export function targetFromModule(name: string, module: string, cwd = process.cwd()): Target {
  const url = module.startsWith('file:') ? module : pathToFileURL(isAbsolute(module) ? module : resolve(cwd, module)).href;
  return { name, module: url };
}

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

const EXECUTOR = new URL(`./engine/execute${ext}`, import.meta.url).href;

/**
 * Built-in targets: the emulator (the reference model), and QEMU's SMMUv3
 * (`qemu-system-aarch64 -M virt,iommu=smmuv3` over qtest; `binary` defaults to the one on PATH;
 * scripts/install-qemu.sh installs 7.2, and 10.x into .qemu/10 with --backports).
 */
export const targets: { readonly emulator: Target; readonly qemu: (binary?: string) => Target } = {
  emulator: { name: 'emulator', module: EXECUTOR },
  qemu: (binary = 'qemu-system-aarch64') => ({ name: 'qemu', module: EXECUTOR, device: { kind: 'qemu', binary } }),
};

export interface RunOptions {
  /** Working folder for relative paths and the file names in results (default: process.cwd()). */
  readonly cwd?: string;
  /** Scenario root (default: <cwd>/scenarios). */
  readonly root?: string;
  /** Golden root (default: <cwd>/golden). */
  readonly golden?: string;
  /** Files, folders, ids or globs (default: the whole root). */
  readonly patterns?: readonly string[];
  readonly tags?: readonly string[];
  readonly grep?: RegExp;
  /** `"i/n"`: one shard of n (stable hash of the scenario id). */
  readonly shard?: string;
  /** Worker threads; 1 = in-process (default 'auto'). */
  readonly jobs?: number | 'auto';
  /** Features the SMMU under test has (default: all); scenarios requiring others are SKIP. */
  readonly features?: readonly Feature[];
  /** Default: targets.emulator. */
  readonly target?: Target;
  /**
   * Expected failures: one scenario id or glob per line (XFAIL; a pass is XPASS). Default on an
   * external target: its known deviations, `targets/<name>.yaml` beside the scenario root.
   */
  readonly expectFail?: string;
  readonly checkObsolete?: boolean;
  readonly allowEmpty?: boolean;
}

export interface RunOutcome extends ReportInput, Totals {
  readonly results: readonly ScenarioResult[];
  readonly problems: readonly RunProblem[];
  /** 0 all as expected, 1 failures, 2 invalid input: the CLI's exit code for the same run. */
  readonly exitCode: ExitCode;
}

/** Run scenarios and compare them with their goldens (never writes goldens). Bad options throw a TypeError. */
export async function runSuite(opts: RunOptions = {}): Promise<RunOutcome> {
  const t0 = performance.now();
  const cwd = opts.cwd ?? process.cwd();
  const features = opts.features ?? FEATURES;
  for (const f of features) {
    if (!isFeature(f))
      throw new TypeError(
        `Unknown feature "${String(f)}"${closest(String(f), FEATURES) !== undefined ? ` (did you mean "${closest(String(f), FEATURES) ?? ''}"?)` : ''}`,
      );
  }
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  if (typeof shard === 'string') throw new TypeError(shard);
  const target = opts.target ?? targets.emulator;
  const root = resolve(cwd, opts.root ?? 'scenarios');
  const device = target.device;
  const name = device === undefined ? target.name : deviceName(device);
  const profile: Profile = { name, features: [...features] };
  let expectFail: ExpectFailList | undefined = opts.expectFail !== undefined ? parseExpectFail(opts.expectFail) : undefined;
  const notes: string[] = [];
  if (device !== undefined && expectFail === undefined && name !== undefined) {
    const file = resolve(root, '..', 'targets', `${name}.yaml`);
    const known = existsSync(file) ? loadTargetExpectations(file) : undefined;
    if (typeof known === 'string') throw new TypeError(known);
    if (known !== undefined) expectFail = known;
    else notes.push(`No expectation file ${file} for ${name}: every deviation shows as a failure`);
  }
  const suite = await runSuiteEngine({
    cwd,
    root,
    goldenDir: resolve(cwd, opts.golden ?? 'golden'),
    patterns: opts.patterns ?? [],
    tags: opts.tags ?? [],
    ...(opts.grep !== undefined ? { grep: opts.grep } : {}),
    ...(shard !== undefined ? { shard } : {}),
    jobs: opts.jobs ?? 'auto',
    ...(expectFail !== undefined ? { expectFail } : {}),
    checkObsolete: opts.checkObsolete === true,
    allowEmpty: opts.allowEmpty === true,
    profile,
    executorModule: target.module,
    ...(device !== undefined ? { target: device } : {}),
  });
  const input: ReportInput = {
    results: suite.results,
    problems: suite.problems,
    written: suite.written,
    notes: [...notes, ...suite.notes],
    ...(device !== undefined ? { target: name } : {}),
    timings: false,
    elapsedMs: performance.now() - t0,
  };
  return { ...input, ...totals(input) };
}

/** `qemu-7.2` for a QEMU target (its binary's version); a QEMU that cannot run is a TypeError naming it. */
function deviceName(device: TargetSpec): string {
  try {
    return targetName(device);
  } catch (e) {
    throw new TypeError(e instanceof Error ? e.message : String(e));
  }
}

/** Render a run as one of the CLI's reports (pretty, tap, junit, json, html). */
export function renderReport(name: ReporterName, outcome: ReportInput, opts: Partial<RenderOptions> = {}): Promise<string> {
  return render(name, outcome, { color: opts.color ?? false, verbose: opts.verbose ?? false, ...(opts.html !== undefined ? { html: opts.html } : {}) });
}

export interface Loaded {
  readonly scenario: Scenario | undefined;
  /** Every problem, located (file:line:col) with a stable code; empty when the scenario is valid. */
  readonly errors: readonly LoadError[];
}

/** Load and validate one scenario: from a file path, or from YAML text with `{ text, file }`. */
export function loadScenario(source: string | { readonly text: string; readonly file: string; readonly id?: string }): Loaded {
  if (typeof source === 'string') {
    const r = loadScenarioFile(source, { file: source });
    return { scenario: r.scenario, errors: r.errors };
  }
  const r = loadScenarioText(source.text, { file: source.file, ...(source.id !== undefined ? { id: source.id } : {}) });
  return { scenario: r.scenario, errors: r.errors };
}

/** Import a target's executor (for running one scenario yourself). */
export async function loadTarget(target: Target): Promise<ExecuteScenario> {
  const m = (await import(target.module)) as { executeScenario?: ExecuteScenario };
  if (typeof m.executeScenario !== 'function') throw new TypeError(`${target.module} does not export executeScenario`);
  return m.executeScenario;
}
