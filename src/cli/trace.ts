/**
 * `smmu-conform trace import|decode|compare`: real hardware traces (kernel dmesg of both eras,
 * raw event-queue dumps, QEMU trace-events). The work is done by src/trace/cli.ts; this file
 * adds the help texts and, for `compare`, runs the scenario with the real executor (loaded and
 * validated like `run` does). Heavy modules (yaml, ajv, the emulator) load only when needed.
 */
import type { ExpectedRecords } from '../trace/compare.ts';
import type { Parsed } from './args.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK } from './io.ts';

export const TRACE_HELP = `smmu-conform trace - read real SMMU traces, decode them, compare them with a scenario

Usage:
  smmu-conform trace import <file> [--format dmesg|evtq|qemu] [--collapse] [--json]
  smmu-conform trace decode <file|trace.yaml> [--format dmesg|evtq|qemu] [--collapse] [--fields]
  smmu-conform trace compare <scenario|golden.yaml> <trace> [--mask F,...] [--profile P] [--html FILE]
  smmu-conform trace scaffold <log> [--instance NAME] > scenario.yaml
  smmu-conform trace <command> --help

Formats (guessed from the text when --format is not given):
  dmesg  Linux arm-smmu-v3 kernel log, before and after v6.14 (raw dumps and decoded lines);
         timestamps, syslog prefixes, mail quoting, wrapped lines and other devices' lines are fine
  evtq   raw event-queue dump: 64-bit or 32-bit words, xxd, hexdump -C, print_hex_dump
  qemu   QEMU smmuv3_* trace-events

Exit codes: 0 ok / match, 1 compare found differences, 2 invalid input.
`;

const IMPORT_HELP = `Usage: smmu-conform trace import <file> [options]

Read a trace and print it as YAML (schemas/trace.schema.json) on stdout; problems in the
input are printed on stderr as file:line: severity: message [CODE].

Options:
  --format dmesg|evtq|qemu   input format (default: guessed from the text)
  --collapse                 fold consecutive duplicate records (QEMU logs one per 4 bytes)
  --json                     print JSON instead of YAML
  --word-size 32|64          evtq: width of the words in the dump (default: guessed)
  --instance NAME            SMMU instance name for formats that do not carry one
  --strict                   exit 2 when any error diagnostic was reported
`;

const DECODE_HELP = `Usage: smmu-conform trace decode <file|trace.yaml> [options]

Print every SMMU record of a trace, one line each: event name and number, StreamID, SubstreamID,
stage, CLASS, RnW/PnU/InD, Stall/STAG, addresses (InputAddr, IPA, FetchAddr), CMDQ errors, GERROR
causes, overflows, rate-limit gaps. For v6.14+ kernel logs the decoded text is cross-checked
against the raw dwords printed above it; every disagreement is listed with its line.

Options:
  --format dmesg|evtq|qemu   input format (default: guessed; a saved trace YAML/JSON is read as is)
  --collapse                 fold consecutive duplicate records
  --fields                   under each record, every field of its type by architecture name
                             (bit position, value, meaning); fields the log lacks say so
  --word-size 32|64          evtq word width;  --instance NAME  instance name for evtq/qemu
  --strict                   exit 2 when any error diagnostic was reported
`;

const COMPARE_HELP = `Usage: smmu-conform trace compare <scenario|golden.yaml> <trace> [options]

Run the scenario on the built-in emulator (or read the expected records of a golden file),
align its event records and host log (CMDQ errors, GERROR) with the trace, and print matches,
the first divergence with both records decoded side by side, and missing/extra records.
Fields the architecture leaves UNKNOWN or IMPLEMENTATION DEFINED are masked by the profile.

Options:
  --mask F,...        also ignore these event fields (StreamID, STAG, ..., RES0); repeatable
  --profile P         mask profile: strict | architectural (default) | hardware | qemu
                      (qemu is the default for QEMU traces)
  --instance NAME     SMMU instance of the trace to compare (needed when it has several)
  --format F          trace format (default: guessed);  --collapse  fold duplicate records
  --html FILE         also write an HTML report: each record pair side by side, field by
                      field, with the first divergent field highlighted
  --features LIST     emulator profile features (default: all), e.g. s1,s2,nesting
  --root DIR          scenarios root, for scenario ids (default scenarios)

Exit codes: 0 every record matches, 1 differences, 2 invalid input (bad scenario with
file:line:col errors, unreadable trace, unknown mask/profile/option).
`;

const SCAFFOLD_HELP = `Usage: smmu-conform trace scaffold <log> [--instance NAME] > scenario.yaml

Write a starting scenario that reproduces the records of a kernel log: a device per StreamID, a
DMA at each logged address with the logged access (SubstreamID, RnW, InD, PnU) under the
configuration that yields the event type: F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION at
stage 1, stage 2 (S2-only stream when IPA = input address, else nested) and on the CD or stage-1
descriptor fetch (CLASS=CD/TT, nested); F_WALK_EABT at stage 1, stage 2 and nested stage 2 (the
walk placed so the logged FetchAddr is the aborting descriptor); F_STREAM_DISABLED, C_BAD_STE, C_BAD_CD, C_BAD_SUBSTREAMID,
C_BAD_STREAMID, F_STE_FETCH / F_CD_FETCH (the table placed at the logged FetchAddr, an external
abort injected there); CERROR_ILL, CERROR_ABT and CERROR_ATC_INV_SYNC at the logged CONS index.
Stalls get CD.S=1 (stage 1) or STE.S2S=1 (stage 2). Records it cannot reproduce are listed as
comments saying why, ending in a stable id: [not-emulated] for types the emulator never raises
(F_UUT, F_BAD_ATS_TREQ, F_TRANSL_FORBIDDEN, F_VMS_FETCH, ...), [conflict] when two records need
incompatible configurations, [unsupported], [incomplete]. Then run
  smmu-conform trace compare scenario.yaml <log> --profile hardware
`;

const SUBCOMMANDS = ['import', 'decode', 'compare', 'scaffold'] as const;
/** Options of `compare` handled here (the rest go to src/trace/cli.ts). */
const HARNESS_OPTIONS = ['--features', '--root', '--executor'];

export async function traceCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout(TRACE_HELP);
    return sub === undefined ? EXIT_INVALID : EXIT_OK;
  }
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
    const { closest } = await import('../arch/fields.ts');
    const dym = closest(sub, SUBCOMMANDS);
    io.stderr(
      `smmu-conform trace: unknown command "${sub}"${dym !== undefined ? ` (did you mean "${dym}"?)` : ''}; expected import, decode, compare or scaffold\n`,
    );
    return EXIT_INVALID;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(sub === 'import' ? IMPORT_HELP : sub === 'decode' ? DECODE_HELP : sub === 'scaffold' ? SCAFFOLD_HELP : COMPARE_HELP);
    return EXIT_OK;
  }
  const trace = await import('../trace/cli.ts');
  let r;
  if (sub === 'import') r = trace.runTraceImport(rest, io.stdout);
  else if (sub === 'decode') r = trace.runTraceDecode(rest, io.stdout);
  else if (sub === 'scaffold') r = trace.runTraceScaffold(rest);
  else {
    const split = splitHarnessOptions(rest);
    if (typeof split === 'string') return usage(io, split);
    const { commonSettings } = await import('./common.ts');
    const common = commonSettings(split.harness, io.cwd);
    if (typeof common === 'string') return usage(io, common);
    r = await trace.runTraceCompare(split.rest, (path) => expectedOfScenario(path, common, io.cwd));
  }
  io.stdout(r.stdout);
  io.stderr(
    r.stderr
      .split('\n')
      .map((l) => (l === '' || /^(\S+:\d+(:\d+)?: |smmu-conform )/.test(l) ? l : `smmu-conform trace ${sub}: ${l}`))
      .join('\n'),
  );
  return r.exitCode;
}

function usage(io: CliIo, msg: string): number {
  io.stderr(`smmu-conform trace compare: ${msg}\n`);
  return EXIT_INVALID;
}

/** Take --features/--root/--executor (`--x v` or `--x=v`) out of the argument list. */
function splitHarnessOptions(args: readonly string[]): { harness: Parsed; rest: string[] } | string {
  const values: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (!HARNESS_OPTIONS.includes(name)) {
      rest.push(a);
      continue;
    }
    const v = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (v === undefined) return `${name} needs a value`;
    values[name.slice(2)] = v;
  }
  return { harness: { values, positionals: [] }, rest };
}

/** Load + validate the scenario like `run`, execute it, and turn the Observation into compare input. */
export async function expectedOfScenario(path: string, common: import('./common.ts').Common, cwd: string): Promise<ExpectedRecords> {
  const [{ discoverScenarios }, { loadScenarioFile }, { formatLoadError }, { loadExecutor }, { ScenarioInputError }, { expectedFromObservation }] =
    await Promise.all([
      import('../engine/discover.ts'),
      import('../engine/load.ts'),
      import('../scenario/errors.ts'),
      import('../engine/run-one.ts'),
      import('../trace/cli.ts'),
      import('../trace/observed.ts'),
    ]);
  const found = discoverScenarios([path], common.root, cwd);
  const ref = found.refs[0];
  if (ref === undefined) throw new ScenarioInputError(`${path}: error[READ_FAILED]: No scenario matches "${path}"`);
  if (found.refs.length !== 1)
    throw new ScenarioInputError(`${path}: error[AMBIGUOUS]: "${path}" names ${found.refs.length} scenarios; give one scenario file`);
  const loaded = loadScenarioFile(ref.file, { file: ref.display, ...(ref.id !== undefined ? { id: ref.id } : {}) });
  if (loaded.scenario === undefined) throw new ScenarioInputError(loaded.errors.map((e) => formatLoadError(e)).join('\n'));
  const missing = (loaded.scenario.requires ?? []).filter((f) => !common.profile.features.includes(f));
  if (missing.length > 0) {
    throw new ScenarioInputError(
      `${ref.display}: error[REQUIRES]: scenario requires ${missing.join(', ')}, not in profile ${common.profile.name} (see --features)`,
    );
  }
  const exec = await loadExecutor(common.executorModule);
  if (typeof exec === 'string') throw new ScenarioInputError(exec);
  return expectedFromObservation(exec(loaded.scenario, { profile: common.profile }));
}
