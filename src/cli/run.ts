/** `smmu-conform run`: run scenarios, compare with goldens, report. */
import { resolve } from 'node:path';
import { type ReportInput } from '../report/summary.ts';
import { isFailure } from '../report/summary.ts';
import { existsSync } from 'node:fs';
import { type ExpectFailList, loadExpectFail } from '../engine/expect-fail.ts';
import { loadTargetExpectations } from '../target/expectations.ts';
import { targetName } from '../target/name.ts';
import { runSuite } from '../engine/run-suite.ts';
import { parseShard } from '../engine/shard.ts';
import { isCi } from '../golden/store.ts';
import { type Options, parseCommandArgs, str, strs } from './args.ts';
import { COMMON_OPTIONS, commonSettings, parseJobs } from './common.ts';
import { type CliIo, EXIT_FAIL, EXIT_INVALID, EXIT_OK } from './io.ts';

const OPTIONS: Options = {
  ...COMMON_OPTIONS,
  tag: { type: 'string', multiple: true },
  grep: { type: 'string' },
  update: { type: 'boolean' },
  create: { type: 'boolean' },
  jobs: { type: 'string', short: 'j' },
  shard: { type: 'string' },
  reporter: { type: 'string', short: 'R' },
  'expect-fail': { type: 'string' },
  'check-obsolete': { type: 'boolean' },
  timings: { type: 'boolean' },
};

const REPORTERS = ['pretty', 'tap', 'junit', 'json'] as const;
type Reporter = (typeof REPORTERS)[number];

export async function runCommand(args: readonly string[], io: CliIo): Promise<number> {
  const usage = (msg: string): number => {
    io.stderr(`smmu-conform run: ${msg}\n`);
    return EXIT_INVALID;
  };
  const p = parseCommandArgs(args, OPTIONS);
  if (typeof p === 'string') return usage(p);
  const common = commonSettings(p, io.cwd);
  if (typeof common === 'string') return usage(common);
  const reporter = (str(p.values['reporter']) ?? 'pretty') as Reporter;
  if (!REPORTERS.includes(reporter)) return usage(`Unknown reporter "${reporter}"; expected one of: ${REPORTERS.join(', ')}`);
  const jobs = parseJobs(str(p.values['jobs']));
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
  if (update && isCi(io.env)) {
    return usage(`Refusing to update goldens under CI (CI=${io.env['CI'] ?? ''}); run --update locally and commit the goldens`);
  }
  if (update && common.target !== undefined) return usage('Refusing --update with --target: goldens hold the reference model\'s observations');
  const efPath = str(p.values['expect-fail']);
  let expectFail: ExpectFailList | string | undefined = efPath === undefined ? undefined : loadExpectFail(resolve(io.cwd, efPath));
  if (typeof expectFail === 'string') return usage(expectFail);
  const notes: string[] = [];
  if (common.target !== undefined && expectFail === undefined) {
    // known deviations of the target: targets/<name>.yaml beside the scenarios root
    let name: string;
    try {
      name = targetName(common.target);
    } catch (e) {
      return usage(e instanceof Error ? e.message : String(e));
    }
    const file = resolve(common.root, '..', 'targets', `${name}.yaml`);
    if (existsSync(file)) {
      expectFail = loadTargetExpectations(file);
      if (typeof expectFail === 'string') return usage(expectFail);
    } else {
      notes.push(`No expectation file ${file} for ${name}: every deviation shows as a failure`);
    }
  }

  const progress = reporter === 'pretty' && io.isTTY;
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
    checkObsolete: p.values['check-obsolete'] === true,
    profile: common.profile,
    executorModule: common.executorModule,
    ...(common.target !== undefined ? { target: common.target } : {}),
    timings: p.values['timings'] === true,
    ...(progress ? { onResult: (r, done, total) => io.stderr(`\r\x1b[K[${done}/${total}] ${r.state.padEnd(5)} ${r.id}`) } : {}),
  });
  if (progress) io.stderr('\r\x1b[K');

  const input: ReportInput = { results: suite.results, written: suite.written, obsolete: suite.obsolete, notes: [...notes, ...suite.notes], timings: p.values['timings'] === true };
  io.stdout(await render(reporter, input));
  if (suite.badArguments || suite.results.some((r) => r.invalid)) return EXIT_INVALID;
  if (suite.results.some((r) => isFailure(r.state)) || suite.obsolete.length > 0) return EXIT_FAIL;
  return EXIT_OK;
}

async function render(reporter: Reporter, input: ReportInput): Promise<string> {
  switch (reporter) {
    case 'tap':
      return (await import('../report/tap.ts')).tapReport(input);
    case 'junit':
      return (await import('../report/junit.ts')).junitReport(input);
    case 'json':
      return (await import('../report/json.ts')).jsonReport(input);
    default:
      return (await import('../report/pretty.ts')).prettyReport(input);
  }
}
