/**
 * Command dispatch. Kept free of heavy imports: each subcommand's module (ajv, yaml, diff,
 * workers) is imported only when that subcommand runs, so `--help` starts fast.
 */
import { readFileSync } from 'node:fs';
import type { CliIo } from './io.ts';

export const HELP = `smmu-conform - SMMUv3 conformance suite and scenario harness

Usage:
  smmu-conform run [paths|globs] [options]   run scenarios and compare with goldens
      --tag T             only scenarios tagged T (repeatable: any of)
      --grep RE           only scenario ids matching RE
      --update            rewrite goldens that differ (refused when CI is set to true/1)
      --create            with --update: also create missing goldens
      --jobs N|auto       worker threads (1 = in-process; default auto)
      --shard I/N         run shard I of N (stable hash of the scenario path)
      --reporter R[:FILE] pretty (default) | tap | junit | json; repeatable (files)
      --allow-empty       a selection that runs nothing is not an error
      --verbose           reasons for SKIP lines
      --expect-fail FILE  scenario ids expected to fail (XFAIL; a pass is XPASS = failure)
      --check-obsolete    fail on goldens whose scenario no longer exists
      --timings           include wall times in the report
      --target T          builtin | qemu | qemu=PATH: the SMMU under test (docs/targets.md)
      --reference         with --target: differential report against the reference model
      --matrix-with FILE  another run's JSON report: its target as more columns of the HTML matrix
      --budget-steps N    per-scenario step budget (default 100000)
      --budget-ms N       per-scenario wall time in ms, checked between steps (default 30000);
                          over budget: error at the step, exit 2, the suite goes on
      --features LIST     profile features (default: all), e.g. s1,s2,nesting
      --profile FILE      the SMMU part under test (IDRs, IMPDEF choices); see docs/writing-scenarios.md
      --root DIR          scenarios root (default scenarios)
      --golden DIR        golden root (default golden)
      --config FILE       settings (default: smmu-conform.config.yaml here or in a parent)
  smmu-conform validate [paths]              schema + reference checks, file:line:col
  smmu-conform check                         every suite rule over the tree (goldens, duplicates,
                                             citations, covers, coverage map), file:line:col
  smmu-conform init [DIR]                    scaffold a scenario tree of your own (config, CI)
  smmu-conform list [paths] [--tag T] [--grep RE]
  smmu-conform explain <scenario> [--step N] decoded walk trace of a step
  smmu-conform decode ...                    decode raw SMMU structures
  smmu-conform trace import|decode|compare   real traces (dmesg, EVTQ dumps, QEMU); see trace --help
  smmu-conform generate --seed S --count N [--area A] [--out DIR]
                                             random scenarios drawn from the architecture
  smmu-conform fuzz --target qemu --seed S --count N --out DIR [--shard I/N] [--resume]
                                             differential fuzzing against a target: deviation
                                             classes, minimised scenarios; fuzz merge DIR...
  smmu-conform --help | --version
  smmu-conform <command> --help              options of one command

Exit codes: 0 all as expected, 1 conformance failures, 2 invalid input.
`;

type RunCommand = (args: readonly string[], io: CliIo) => Promise<number> | number;

interface Subcommand {
  /** Its module is imported only when it runs. */
  readonly load: () => Promise<RunCommand>;
  /** The `<command> --help` text; without it the command answers --help itself. */
  readonly help?: () => Promise<string | undefined>;
}

const helpText = (cmd: string) => async (): Promise<string | undefined> => (await import('./help.ts')).COMMAND_HELP[cmd];

/** Every subcommand, in the order `did you mean` prefers them. */
const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  run: { load: async () => (await import('./run.ts')).runCommand, help: helpText('run') },
  validate: { load: async () => (await import('./validate.ts')).validateCommand, help: helpText('validate') },
  check: { load: async () => (await import('./check.ts')).checkCommand, help: async () => (await import('./check.ts')).CHECK_HELP },
  init: { load: async () => (await import('./init.ts')).initCommand, help: async () => (await import('./init.ts')).INIT_HELP },
  list: { load: async () => (await import('./list.ts')).listCommand, help: helpText('list') },
  explain: { load: async () => (await import('./explain.ts')).explainCommand, help: helpText('explain') },
  decode: { load: async () => runDecodeCommand },
  trace: { load: async () => (await import('./trace.ts')).traceCommand },
  generate: { load: async () => (await import('./generate.ts')).generateCommand, help: async () => (await import('./generate.ts')).generateHelp() },
  fuzz: { load: async () => (await import('./fuzz.ts')).fuzzCommand, help: async () => (await import('./fuzz.ts')).FUZZ_HELP },
};

export async function cli(argv: readonly string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  const sub = cmd !== undefined && Object.hasOwn(SUBCOMMANDS, cmd) ? SUBCOMMANDS[cmd] : undefined;
  if (sub !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    const text = await sub.help?.();
    if (text !== undefined) {
      io.stdout(text);
      return 0;
    }
  }
  if (sub !== undefined) return (await sub.load())(rest, io);
  switch (cmd) {
    case '--version':
    case '-V':
    case 'version':
      io.stdout(`smmu-conform ${packageVersion()}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      io.stdout(HELP);
      return cmd === undefined ? 2 : 0;
    default: {
      const { closest } = await import('../arch/fields.ts');
      const dym = closest(cmd, Object.keys(SUBCOMMANDS));
      io.stderr(`smmu-conform: unknown command "${cmd}"${dym !== undefined ? ` (did you mean "${dym}"?)` : ''}; see smmu-conform --help\n`);
      return 2;
    }
  }
}

/** The version in the package.json of this installation (found upwards from this file, src/ or dist/src/). */
export function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'smmu-conform' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next level
    }
  }
  return 'unknown';
}

interface DecodeModule {
  readonly runDecode: (args: string[]) => { stdout: string; stderr: string; exitCode: number };
}

/** decode.ts is written by another engineer; it is loaded by URL so this file compiles without it. */
async function runDecodeCommand(args: readonly string[], io: CliIo): Promise<number> {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  let mod: DecodeModule;
  try {
    mod = (await import(new URL(`./decode${ext}`, import.meta.url).href)) as DecodeModule;
  } catch (e) {
    io.stderr(`smmu-conform decode: not available (${e instanceof Error ? e.message.split('\n')[0] : String(e)})\n`);
    return 2;
  }
  const r = mod.runDecode([...args]);
  io.stdout(r.stdout);
  io.stderr(r.stderr);
  return r.exitCode;
}
