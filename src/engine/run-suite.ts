/**
 * The suite runner shared by the CLI and the tap adapter: discovery, tag/grep filters,
 * deterministic sharding, in-process or worker_threads execution, expected failures, golden
 * updates. Results come back sorted by id, so reports are identical for any --jobs.
 */
import { availableParallelism } from 'node:os';
import { relative, sep } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LoadCaps } from '../scenario/caps.ts';
import type { RunBudget } from '../scenario/budget.ts';
import { loadScenarioFile } from './load.ts';
import { statSync } from 'node:fs';
import { closest } from '../arch/fields.ts';
import { findObsoleteGoldens, goldenPath, removeOrphanTemps, writeGoldenAtomic } from '../golden/store.ts';
import { cmp, discoverScenarios, type ScenarioRef } from './discover.ts';
import type { ExpectFailList } from './expect-fail.ts';
import type { RunProblem, RunProblemKind, ScenarioResult } from './result.ts';
import { type RunContext, type RunTask, runOne } from './run-one.ts';
import { type Shard, selectShard } from './shard.ts';
import type { Profile } from '../scenario/observation.ts';
import type { TargetSpec } from '../target/contract.ts';

export interface SuiteOptions {
  readonly cwd: string;
  /** Absolute scenarios root. */
  readonly root: string;
  /** Absolute golden root. */
  readonly goldenDir: string;
  readonly patterns: readonly string[];
  readonly tags?: readonly string[];
  readonly grep?: RegExp;
  readonly shard?: Shard;
  /** Worker count; 1 runs in-process; auto = in-process below 16 scenarios, else one per core. */
  readonly jobs: number | 'auto';
  /** Rewrite mismatching goldens (the caller has already refused under CI). */
  readonly update?: boolean;
  /** With update: also create missing goldens. */
  readonly create?: boolean;
  readonly expectFail?: ExpectFailList;
  readonly checkObsolete?: boolean;
  /** A selection that runs no scenario is accepted (otherwise it is an `empty-selection` problem). */
  readonly allowEmpty?: boolean;
  readonly profile: Profile;
  /** The SMMU under test (absent: the built-in emulator). */
  readonly target?: TargetSpec;
  /** Module specifier (file URL) exporting `executeScenario`. */
  readonly executorModule: string;
  readonly caps?: Partial<LoadCaps>;
  /** Per-scenario work / wall-time budget (scenario/budget.ts). */
  readonly budget?: RunBudget;
  readonly timings?: boolean;
  /** Command prefix for suggested update/create commands (default `npx smmu-conform run`). */
  readonly rerun?: string;
  readonly onResult?: (r: ScenarioResult, done: number, total: number) => void;
}

export interface SuiteResult {
  readonly results: readonly ScenarioResult[];
  /** Golden files written by --update, relative to cwd, sorted. */
  readonly written: readonly string[];
  /** Golden ids whose scenario no longer exists (only with checkObsolete). */
  readonly obsolete: readonly string[];
  /** Warnings: unmatched arguments, unused expect-fail entries, goldens not updated and why. */
  readonly notes: readonly string[];
  /** Some argument matched nothing: invalid input. */
  readonly badArguments: boolean;
  /** Findings about the run as a whole (bad arguments, empty selection, obsolete goldens), sorted by kind then subject. */
  readonly problems: readonly RunProblem[];
  /** Orphan temp files of a killed update that this run removed (relative to the golden root). */
  readonly removedTemps: readonly string[];
}

export async function runSuite(opts: SuiteOptions): Promise<SuiteResult> {
  const notes: string[] = [];
  const problems: RunProblem[] = [];
  const invalid = (kind: RunProblemKind, subject: string, message: string): void => {
    problems.push({ kind, subject, message, severity: 'invalid' });
  };
  const dirs = checkDirectories(opts);
  for (const d of dirs) invalid('bad-directory', d.subject, d.message);
  const found = dirs.length > 0 ? { refs: [], unmatched: [] } : discoverScenarios(opts.patterns, opts.root, opts.cwd);
  for (const u of found.unmatched) invalid('unmatched-argument', u, `No scenario matches "${u}"`);
  const selection = selectRefs(found.refs, opts);
  for (const tag of selection.unknownTags) {
    const dym = closest(tag, selection.knownTags);
    invalid('unknown-tag', tag, `--tag ${tag} matches no scenario${dym !== undefined ? ` (did you mean "${dym}"?)` : ''}`);
  }
  let refs = selection.refs;
  if (opts.shard !== undefined) {
    if (opts.shard.count > refs.length && opts.allowEmpty !== true && refs.length > 0) {
      invalid(
        'shard-too-small',
        `${opts.shard.index}/${opts.shard.count}`,
        `--shard ${opts.shard.index}/${opts.shard.count}: only ${refs.length} scenario${refs.length === 1 ? ' is' : 's are'} selected, so some of the ${opts.shard.count} shards would run nothing; use at most ${refs.length} shards, or --allow-empty`,
      );
    }
    refs = selectShard(refs, keyOf, opts.shard);
  }
  if (problems.length > 0) refs = [];
  else if (refs.length === 0 && opts.allowEmpty !== true) {
    invalid(
      'empty-selection',
      describeSelection(opts),
      `No scenario selected (${found.refs.length} found; selection: ${describeSelection(opts)}); pass --allow-empty to accept an empty run`,
    );
  }
  const removedTemps = opts.update === true ? removeOrphanTemps(opts.goldenDir) : [];
  for (const t of removedTemps) notes.push(`Removed orphan temp file ${t} left by an interrupted update`);

  const tasks: RunTask[] = refs.map((r) => ({
    id: r.id,
    file: r.file,
    display: r.display,
    goldenFile: r.id === undefined ? undefined : goldenPath(opts.goldenDir, r.id),
    goldenDisplay: r.id === undefined ? '' : rel(opts.cwd, goldenPath(opts.goldenDir, r.id)),
    keepActual: opts.update === true,
    timings: opts.timings === true,
    ...(opts.rerun !== undefined ? { rerun: opts.rerun } : {}),
  }));
  const ctx: RunContext = {
    executorModule: opts.executorModule,
    profile: opts.profile,
    ...(opts.caps !== undefined ? { caps: opts.caps } : {}),
    ...(opts.budget !== undefined ? { budget: opts.budget } : {}),
    ...(opts.target !== undefined ? { target: opts.target } : {}),
  };
  const jobs = opts.jobs === 'auto' ? (tasks.length < 16 ? 1 : availableParallelism()) : opts.jobs;
  const raw = jobs <= 1 || tasks.length <= 1 ? await runInProcess(tasks, ctx, opts) : await runInWorkers(tasks, ctx, opts, jobs);

  const written: string[] = [];
  const results = raw
    .map((r) => applyExpectFail(r, opts.expectFail))
    .map((r, i) => (opts.update === true ? applyUpdate(r, tasks[i] as RunTask, opts, written, notes) : r))
    .map(({ actual: _drop, ...r }) => r)
    .sort((a, b) => cmp(a.id, b.id));
  if (opts.expectFail !== undefined) {
    for (const u of opts.expectFail.unused(results.map((r) => r.id))) notes.push(`Expected-failure entry "${u}" matches no selected scenario`);
  }
  const obsolete = opts.checkObsolete === true && dirs.length === 0 ? findObsoleteGoldens(opts.goldenDir, opts.root) : [];
  for (const o of obsolete) {
    problems.push({
      kind: 'obsolete-golden',
      subject: o,
      message: `Obsolete golden ${rel(opts.cwd, goldenPath(opts.goldenDir, o))}: no scenario ${o}; delete it or restore its scenario`,
      severity: 'fail',
    });
  }
  problems.sort((a, b) => cmp(a.kind, b.kind) || cmp(a.subject, b.subject));
  return { results, written: written.sort(), obsolete, notes, badArguments: found.unmatched.length > 0, problems, removedTemps };
}

function keyOf(r: ScenarioRef): string {
  return r.id ?? r.display;
}

/** The scenario root must exist when it is scanned; the golden root must be a folder (it may be created by --update --create). */
function checkDirectories(opts: SuiteOptions): { subject: string; message: string }[] {
  const out: { subject: string; message: string }[] = [];
  const kind = (p: string): 'dir' | 'missing' | 'other' => {
    try {
      return statSync(p).isDirectory() ? 'dir' : 'other';
    } catch {
      return 'missing';
    }
  };
  const root = kind(opts.root);
  if (root === 'other' || (root === 'missing' && opts.patterns.length === 0)) {
    out.push({
      subject: rel(opts.cwd, opts.root) || '.',
      message: `Scenario root ${rel(opts.cwd, opts.root) || '.'} ${root === 'missing' ? 'does not exist' : 'is not a folder'} (set --root, or "scenarios:" in smmu-conform.config.yaml)`,
    });
  }
  const golden = kind(opts.goldenDir);
  if (golden === 'other' || (golden === 'missing' && !(opts.update === true && opts.create === true))) {
    const fix = golden === 'missing' ? '; create it, or run with --update --create to write the first goldens' : '';
    out.push({
      subject: rel(opts.cwd, opts.goldenDir) || '.',
      message: `Golden root ${rel(opts.cwd, opts.goldenDir) || '.'} ${golden === 'missing' ? 'does not exist' : 'is not a folder'} (set --golden, or "golden:" in smmu-conform.config.yaml)${fix}`,
    });
  }
  return out;
}

function describeSelection(opts: SuiteOptions): string {
  const parts = [
    ...(opts.patterns.length > 0 ? [opts.patterns.join(' ')] : []),
    ...(opts.tags ?? []).map((t) => `--tag ${t}`),
    ...(opts.grep !== undefined ? [`--grep ${opts.grep.source}`] : []),
    ...(opts.shard !== undefined ? [`--shard ${opts.shard.index}/${opts.shard.count}`] : []),
  ];
  return parts.length === 0 ? 'everything under the root' : parts.join(' ');
}

interface Selection {
  readonly refs: ScenarioRef[];
  /** --tag values that no discovered scenario carries. */
  readonly unknownTags: string[];
  readonly knownTags: string[];
}

function selectRefs(refs: readonly ScenarioRef[], opts: SuiteOptions): Selection {
  const tags = opts.tags ?? [];
  const known = new Set<string>();
  const out = refs.filter((r) => {
    if (tags.length === 0) return opts.grep === undefined || opts.grep.test(keyOf(r));
    // Invalid files stay selected so a broken scenario is never hidden by a tag filter.
    const loaded = loadScenarioFile(r.file, {
      file: r.display,
      ...(r.id !== undefined ? { id: r.id } : {}),
      ...(opts.caps !== undefined ? { caps: opts.caps } : {}),
    });
    for (const t of loaded.scenario?.tags ?? []) known.add(t);
    if (opts.grep !== undefined && !opts.grep.test(keyOf(r))) return false;
    if (loaded.scenario === undefined) return true;
    return tags.some((t) => loaded.scenario?.tags.includes(t) === true);
  });
  return { refs: out, unknownTags: tags.filter((t) => !known.has(t)), knownTags: [...known].sort(cmp) };
}

function applyExpectFail(r: ScenarioResult, list: ExpectFailList | undefined): ScenarioResult {
  if (list === undefined || !list.matches(r.id)) return r;
  const why = list.reason?.(r.id);
  const more = why !== undefined ? [why] : [];
  if (r.state === 'fail') return { ...r, state: 'xfail', messages: [...more, ...r.messages] };
  if (r.state === 'pass')
    return { ...r, state: 'xpass', messages: [...r.messages, ...more, 'Listed as an expected failure but passed: remove it from the expected-failure list'] };
  return r;
}

function applyUpdate(r: ScenarioResult, task: RunTask, opts: SuiteOptions, written: string[], notes: string[]): ScenarioResult {
  if (r.actual === undefined || task.goldenFile === undefined) return r;
  if (r.golden === 'match' || r.golden === 'not-run') return r;
  if (r.state === 'xfail') {
    notes.push(`Not updating ${task.goldenDisplay}: ${r.id} is an expected failure`);
    return r;
  }
  // The inline expectations are the check independent of the golden: a golden written while one
  // fails would record behaviour the scenario itself says is wrong.
  if ((r.expectFailures ?? 0) > 0) {
    notes.push(`Not ${r.golden === 'missing' ? 'creating' : 'updating'} ${task.goldenDisplay}: ${r.expectFailures} inline expectation(s) of ${r.id} fail`);
    return r;
  }
  if (r.golden === 'missing' && opts.create !== true) {
    notes.push(`Not creating ${task.goldenDisplay}: add --create to create missing goldens`);
    return r;
  }
  try {
    writeGoldenAtomic(task.goldenFile, r.actual);
  } catch (e) {
    notes.push(`Cannot write ${task.goldenDisplay}: ${e instanceof Error ? e.message : String(e)}`);
    return r;
  }
  written.push(task.goldenDisplay);
  const rest = r.messages.filter((m) => !m.startsWith('Golden '));
  const { diff: _diff, ...noDiff } = r;
  return { ...noDiff, golden: 'match', state: rest.length === 0 ? 'pass' : 'fail', messages: rest };
}

async function runInProcess(tasks: readonly RunTask[], ctx: RunContext, opts: SuiteOptions): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  for (const t of tasks) {
    const r = await runOne(t, ctx);
    out.push(r);
    opts.onResult?.(r, out.length, tasks.length);
  }
  return out;
}

/**
 * Start a worker running worker.ts/.js beside this module. From dist it is plain JS; under tsx
 * (tests, `node --import=tsx`) the worker registers tsx's loader first, because loader hooks of
 * the main thread do not reach worker threads on Node 20.
 */
function startWorker(ctx: RunContext): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData: ctx });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: ctx });
}

function runInWorkers(tasks: readonly RunTask[], ctx: RunContext, opts: SuiteOptions, jobs: number): Promise<ScenarioResult[]> {
  const n = Math.min(jobs, tasks.length);
  const out = new Array<ScenarioResult | undefined>(tasks.length);
  let next = 0;
  let done = 0;
  return new Promise((resolveAll) => {
    const workers: Worker[] = [];
    let alive = n;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      for (const w of workers) void w.terminate();
      resolveAll(Array.from(out, (r, i) => r ?? crashed(tasks[i] as RunTask, 'Worker exited before reporting')));
    };
    const record = (seq: number, r: ScenarioResult): void => {
      if (out[seq] !== undefined) return;
      out[seq] = r;
      done++;
      opts.onResult?.(r, done, tasks.length);
      if (done === tasks.length) finish();
    };
    for (let i = 0; i < n; i++) {
      const w = startWorker(ctx);
      workers.push(w);
      let current = -1;
      const feed = (): void => {
        if (next >= tasks.length) return;
        current = next++;
        w.postMessage({ seq: current, task: tasks[current] });
      };
      w.on('message', (m: { seq: number; result: ScenarioResult }) => {
        record(m.seq, m.result);
        feed();
      });
      w.on('error', (e) => {
        if (current >= 0) record(current, crashed(tasks[current] as RunTask, `Worker crashed: ${e.message}`));
        if (done === tasks.length) finish();
      });
      // The remaining tasks go to the surviving workers; when none is left, report them as errors.
      w.on('exit', () => {
        alive--;
        if (alive === 0) finish();
      });
      feed();
    }
  });
}

function crashed(t: RunTask, why: string): ScenarioResult {
  return { id: t.id ?? t.display, file: t.display, state: 'error', invalid: false, golden: 'not-run', messages: [why] };
}

function rel(cwd: string, p: string): string {
  return relative(cwd, p).split(sep).join('/');
}
