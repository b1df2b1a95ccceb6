/** `smmu-conform run`: run scenarios, compare with goldens, report. */
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { type ExpectFailList, loadExpectFail } from '../engine/expect-fail.ts';
import { loadTargetExpectations } from '../target/expectations.ts';
import { targetName } from '../target/name.ts';
import { differentialReport } from '../report/differential.ts';
import { runSuite } from '../engine/run-suite.ts';
import { parseShard } from '../engine/shard.ts';
import { detectCi } from '../golden/store.ts';
import { useColor } from '../report/color.ts';
import type { HtmlExtras } from '../report/html/data.ts';
import { type TargetResults, readTargetResults } from '../report/html/target-results.ts';
import { parseReporterSpecs, renderReport, writeReportFile } from '../report/reporters.ts';
import { exitCodeOf, type ReportInput } from '../report/summary.ts';
import { type Options, str, strs } from './args.ts';
import { COMMON_OPTIONS, type Common, parseCommon, usageError, parseJobs } from './common.ts';
import { type CliIo } from './io.ts';
import { MASK_PROFILES, type MaskProfile } from '../trace/masks.ts';
import type { TraceCompareView } from '../report/html/trace.ts';

export const RUN_OPTIONS: Options = {
  ...COMMON_OPTIONS,
  tag: { type: 'string', multiple: true },
  grep: { type: 'string' },
  update: { type: 'boolean' },
  create: { type: 'boolean' },
  jobs: { type: 'string', short: 'j' },
  shard: { type: 'string' },
  reporter: { type: 'string', short: 'R', multiple: true },
  'expect-fail': { type: 'string' },
  'check-obsolete': { type: 'boolean' },
  'allow-empty': { type: 'boolean' },
  timings: { type: 'boolean' },
  reference: { type: 'boolean' },
  'matrix-with': { type: 'string', multiple: true },
  verbose: { type: 'boolean', short: 'v' },
  'budget-steps': { type: 'string' },
  'budget-ms': { type: 'string' },
  'trace-compare': { type: 'string', multiple: true },
  'trace-profile': { type: 'string' },
};

/** `junit:out/j.xml` from a config in `from` -> the same file as seen from `cwd`. */
function relocate(spec: string, from: string, cwd: string): string {
  const i = spec.indexOf(':');
  if (i < 0) return spec;
  return `${spec.slice(0, i)}:${relative(cwd, resolve(from, spec.slice(i + 1)))}`;
}

export async function runCommand(args: readonly string[], io: CliIo): Promise<number> {
  const t0 = performance.now();
  const usage = usageError(io, 'run');
  const parsed = parseCommon(args, RUN_OPTIONS, io.cwd);
  if (typeof parsed === 'string') return usage(parsed);
  const { p, common } = parsed;
  const cfg = common.config;
  // --reporter replaces the config's list; a config reporter's file is relative to the config file.
  const given = strs(p.values['reporter']);
  const specs = given.length > 0 ? given : (cfg.reporters ?? []).map((r) => relocate(r, cfg.dir, io.cwd));
  const reporters = parseReporterSpecs(specs);
  if (typeof reporters === 'string') return usage(given.length > 0 ? reporters : `${reporters} (in ${cfg.file ?? 'the config file'})`);
  const jobsFlag = str(p.values['jobs']);
  const jobs = parseJobs(jobsFlag ?? (cfg.jobs !== undefined ? String(cfg.jobs) : undefined));
  if (typeof jobs === 'string' && jobs !== 'auto') return usage(jobs);
  const shardText = str(p.values['shard']);
  const shard = shardText === undefined ? undefined : parseShard(shardText);
  if (typeof shard === 'string') return usage(shard);
  const grepText = str(p.values['grep']);
  let grep: RegExp | undefined;
  try {
    grep = grepText === undefined ? undefined : new RegExp(grepText);
  } catch (e) {
    return usage(`Cannot use --grep: ${e instanceof Error ? e.message : String(e)}`);
  }
  const update = p.values['update'] === true;
  const create = p.values['create'] === true;
  if (create && !update) return usage('--create only makes sense with --update');
  const ci = update ? detectCi(io.env) : undefined;
  if (ci !== undefined) return usage(`Refusing to update goldens under CI (${ci}); run --update locally and commit the goldens`);
  if (update && common.target !== undefined) return usage("Refusing --update with --target: goldens hold the reference model's observations");
  const efFlag = str(p.values['expect-fail']);
  const efPath = efFlag !== undefined ? resolve(io.cwd, efFlag) : cfg.expect_fail !== undefined ? resolve(cfg.dir, cfg.expect_fail) : undefined;
  let expectFail: ExpectFailList | string | undefined = efPath === undefined ? undefined : loadExpectFail(efPath);
  if (typeof expectFail === 'string') return usage(expectFail);
  const notes: string[] = [];
  let name: string | undefined;
  if (p.values['reference'] === true && common.target === undefined) return usage('--reference compares a --target with the reference model; name the target');
  if (common.target !== undefined) {
    try {
      name = targetName(common.target);
    } catch (e) {
      return usage(e instanceof Error ? e.message : String(e));
    }
  }
  if (common.target !== undefined && name !== undefined && expectFail === undefined) {
    // known deviations of the target: targets/<name>.yaml beside the scenarios root
    const file = resolve(common.root, '..', 'targets', `${name}.yaml`);
    if (existsSync(file)) {
      expectFail = loadTargetExpectations(file);
      if (typeof expectFail === 'string') return usage(expectFail);
    } else {
      notes.push(`No expectation file ${file} for ${name}: every deviation shows as a failure`);
    }
  }

  // --matrix-with FILE: another run's JSON report (another target) as more columns of the HTML matrix
  const others: TargetResults[] = [];
  for (const f of strs(p.values['matrix-with'])) {
    let text: string;
    try {
      text = readFileSync(resolve(io.cwd, f), 'utf8');
    } catch (e) {
      return usage(`--matrix-with ${f}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const r = readTargetResults(text, f);
    if (typeof r === 'string') return usage(r);
    others.push(r);
  }

  // --trace-compare SCENARIO=LOG: `trace compare` results, side by side in the HTML report.
  const tracePairs = parseTraceCompares(strs(p.values['trace-compare']), str(p.values['trace-profile']));
  if (typeof tracePairs === 'string') return usage(tracePairs);
  if (tracePairs.pairs.length > 0 && !reporters.some((r) => r.name === 'html'))
    return usage('--trace-compare attaches comparisons to the HTML report; add --reporter html:FILE');

  const budget: { maxSteps?: number; maxMs?: number } = {};
  for (const [opt, key] of [
    ['budget-steps', 'maxSteps'],
    ['budget-ms', 'maxMs'],
  ] as const) {
    const v = str(p.values[opt]);
    if (v === undefined) continue;
    if (!/^[1-9][0-9]*$/.test(v) || !Number.isSafeInteger(Number(v))) return usage(`--${opt} must be a positive integer, got "${v}"`);
    budget[key] = Number(v);
  }

  const stdoutReporter = reporters.find((r) => r.file === undefined);
  const progress = stdoutReporter?.name === 'pretty' && io.isTTY;
  const timings = p.values['timings'] === true;
  const suite = await runSuite({
    cwd: io.cwd,
    root: common.root,
    goldenDir: common.goldenDir,
    patterns: p.positionals,
    tags: strs(p.values['tag']),
    ...(grep !== undefined ? { grep } : {}),
    ...(shard !== undefined ? { shard } : {}),
    jobs,
    update,
    create,
    ...(expectFail !== undefined ? { expectFail } : {}),
    checkObsolete: p.values['check-obsolete'] === true || cfg.check_obsolete === true,
    allowEmpty: p.values['allow-empty'] === true || cfg.allow_empty === true,
    rerun: common.rerun,
    profile: common.profile,
    executorModule: common.executorModule,
    ...(common.target !== undefined ? { target: common.target } : {}),
    timings,
    ...(Object.keys(budget).length > 0 ? { budget } : {}),
    ...(progress ? { onResult: (r, done, total) => io.stderr(`\r\x1b[K[${done}/${total}] ${r.state.padEnd(5)} ${r.id}`) } : {}),
  });
  if (progress) io.stderr('\r\x1b[K');

  const input: ReportInput = {
    results: suite.results,
    written: suite.written,
    problems: suite.problems,
    notes: [...notes, ...suite.notes],
    timings,
    elapsedMs: performance.now() - t0,
    ...(name !== undefined ? { target: name } : {}),
  };
  if (p.values['reference'] === true && name !== undefined) io.stdout(differentialReport(name, suite.results));
  // Invalid input is also said on stderr, whatever the reporters: a CI log shows why nothing ran.
  for (const pr of suite.problems) if (pr.severity === 'invalid') io.stderr(`smmu-conform run: ${pr.message}\n`);
  let extras: Promise<HtmlExtras> | undefined;
  const html = (): Promise<HtmlExtras> => {
    extras ??= import('../report/html/data.ts').then((m) =>
      m.collectHtmlExtras({
        root: common.root,
        goldenDir: common.goldenDir,
        profile: common.profile,
        executorModule: common.executorModule,
        results: suite.results,
        ...(name !== undefined ? { target: name } : {}),
        others,
      }),
    );
    return extras;
  };
  let traceViews: TraceCompareView[] | undefined;
  if (tracePairs.pairs.length > 0) {
    const views = await compareTraces(tracePairs, common, io);
    if (typeof views === 'string') return usage(views);
    traceViews = views;
  }
  const opts = {
    color: useColor(io.env, io.stdoutIsTTY ?? io.isTTY),
    verbose: p.values['verbose'] === true,
    html,
    ...(traceViews !== undefined ? { traces: traceViews } : {}),
  };
  for (const r of reporters) {
    const text = await renderReport(r.name, input, r.file === undefined ? opts : { ...opts, color: false });
    if (r.file === undefined) {
      io.stdout(text);
      continue;
    }
    try {
      writeReportFile(io.cwd, r.file, text);
    } catch (e) {
      return usage(`Cannot write ${r.name} report to ${r.file}: ${e instanceof Error ? e.message : String(e)}`);
    }
    io.stderr(`smmu-conform run: wrote ${r.name} report ${r.file}\n`);
  }
  return exitCodeOf(input);
}

interface TracePairs {
  readonly pairs: ReadonlyArray<{ scenario: string; log: string }>;
  readonly profile?: MaskProfile;
}

/** `SCENARIO=LOG` values of --trace-compare and the --trace-profile for all of them. */
function parseTraceCompares(values: readonly string[], profile: string | undefined): TracePairs | string {
  const pairs: Array<{ scenario: string; log: string }> = [];
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0 || eq === v.length - 1) return `--trace-compare expects SCENARIO=LOG (a scenario file and the log to compare it with), got "${v}"`;
    pairs.push({ scenario: v.slice(0, eq), log: v.slice(eq + 1) });
  }
  if (profile === undefined) return { pairs };
  if (!(MASK_PROFILES as readonly string[]).includes(profile)) return `--trace-profile must be one of ${MASK_PROFILES.join(', ')}, got "${profile}"`;
  return { pairs, profile: profile as MaskProfile };
}

/** Run each comparison as `trace compare` does (the scenario on the run's executor and profile). */
async function compareTraces(t: TracePairs, common: Common, io: CliIo): Promise<TraceCompareView[] | string> {
  const [{ traceCompareView }, { expectedOfScenario }] = await Promise.all([import('../trace/cli.ts'), import('./trace.ts')]);
  const views: TraceCompareView[] = [];
  for (const { scenario, log } of t.pairs) {
    const v = await traceCompareView(resolve(io.cwd, scenario), resolve(io.cwd, log), t.profile, (path) => expectedOfScenario(path, common, io.cwd));
    if (typeof v === 'string') return `--trace-compare ${scenario}=${log}: ${v}`;
    views.push({ ...v, scenario, trace: log });
    io.stderr(`smmu-conform run: trace compare ${scenario} vs ${log}: ${v.verdict}\n`);
  }
  return views;
}
