/**
 * `smmu-conform trace ...` through the CLI dispatcher and the real entry point (src/cli/main.ts):
 * help texts, import of every format, decode with cross-check, compare against scenarios run on
 * the emulator (match and mismatch), and invalid input (exit 2, one-line errors with file:line).
 * All but one case run in-process through the same dispatcher (see PROCESS_CASE).
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FX = 'test/fixtures/traces';

interface Run {
  code: number;
  out: string;
  err: string;
}

function smmu(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import=tsx', 'src/cli/main.ts', 'trace', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } }, (e, out, err) => {
      const code = e === null ? 0 : typeof e.code === 'number' ? e.code : -1;
      resolve({ code, out, err });
    });
  });
}

const CASES = {
  help: ['--help'],
  none: [],
  importHelp: ['import', '--help'],
  decodeHelp: ['decode', '-h'],
  compareHelp: ['compare', '--help'],
  badSub: ['imprt', 'x'],
  dmesg: ['import', `${FX}/dmesg-614.log`, '--format', 'dmesg'],
  evtq: ['import', `${FX}/evtq-dwords.txt`, '--format', 'evtq'],
  qemu: ['import', `${FX}/qemu-propagate.log`, '--format', 'qemu', '--collapse', '--json'],
  strict: ['import', `${FX}/dmesg-messy.txt`, '--strict'],
  decode: ['decode', `${FX}/dmesg-614.log`],
  crossCheck: ['decode', `${FX}/dmesg-614-crosscheck.log`],
  match614: ['compare', 'scenarios/smoke/nested-s2-fault-on-s1-walk.yaml', `${FX}/smoke-nested-s2-fault-614.log`],
  matchPre614: ['compare', 'smoke/s1-translation-fault', `${FX}/smoke-s1-fault-pre614.log`],
  matchCmdq: ['compare', 'smoke/cmdq-cerror-ill-mid-batch', `${FX}/smoke-cmdq-ill.log`],
  golden: ['compare', 'golden/smoke/s1-translation-fault.yaml', `${FX}/smoke-s1-fault-pre614.log`],
  mismatch: ['compare', 'smoke/s1-translation-fault', `${FX}/smoke-s1-fault-wrong-sid.log`],
  masked: ['compare', 'smoke/s1-translation-fault', `${FX}/smoke-s1-fault-wrong-sid.log`, '--mask', 'StreamID', '--profile', 'strict'],
  wrongScenario: ['compare', 'smoke/s1-translation-fault', `${FX}/smoke-cmdq-ill.log`],
  badScenario: ['compare', `${FX}/bad-scenario.yaml`, `${FX}/smoke-cmdq-ill.log`],
  noScenario: ['compare', 'smoke/does-not-exist', `${FX}/smoke-cmdq-ill.log`],
  noTrace: ['compare', 'smoke/s1-translation-fault', `${FX}/missing.log`],
  notATrace: ['compare', 'smoke/s1-translation-fault', `${FX}/bad-scenario.yaml`],
  badMask: ['compare', 'smoke/s1-translation-fault', `${FX}/smoke-s1-fault-pre614.log`, '--mask', 'StreamIDD'],
  badProfile: ['compare', 'smoke/s1-translation-fault', `${FX}/smoke-s1-fault-pre614.log`, '--profile', 'lenient'],
  badFeatures: ['compare', 'smoke/s1-translation-fault', `${FX}/smoke-s1-fault-pre614.log`, '--features', 's9'],
  notInProfile: ['compare', 'smoke/s1-translation-fault', `${FX}/smoke-s1-fault-pre614.log`, '--features', 's2'],
  badOption: ['import', `${FX}/dmesg-614.log`, '--colapse'],
  badFormat: ['decode', `${FX}/dmesg-614.log`, '--format', 'pcap'],
} as const;

/**
 * One case also runs as a real process (about 1.5 s of CPU under tsx), because what main.ts
 * adds to the dispatcher is only visible from outside a process: it writes stdout and stderr
 * through and sets `process.exitCode` to what `cli` returns. `--strict` import writes to both
 * streams and returns 2 (an uncaught error would exit 1), so one process shows all three; every
 * case, this one included, is asserted on the in-process run of the same dispatcher (`cli` of
 * src/cli/app.ts), and the process must print and exit exactly as that run did.
 */
const PROCESS_CASE = 'strict' satisfies keyof typeof CASES;

async function inProcess(args: readonly string[]): Promise<Run> {
  const { cli } = await import('../src/cli/app.ts');
  let out = '';
  let err = '';
  const code = await cli(['trace', ...args], { stdout: (x) => (out += x), stderr: (x) => (err += x), env: {}, cwd: ROOT, isTTY: false });
  return { code, out, err };
}

const results: Record<string, Run> = {};
// Top-level await, not t.before: this file may share a tap root with others (test/suites/).
const [processRun] = await Promise.all([
  smmu(...CASES[PROCESS_CASE]),
  (async () => {
    for (const k of Object.keys(CASES) as (keyof typeof CASES)[]) results[k] = await inProcess(CASES[k]);
  })(),
]);
type Sub = Pick<typeof t, 'equal' | 'match'>;
const r = (k: keyof typeof CASES): Run => results[k] ?? { code: -1, out: '', err: 'not run' };

/** Exit 2 and exactly `lines` non-empty stderr lines. */
function invalid(t: Sub, k: keyof typeof CASES, pattern: RegExp, lines = 1): void {
  const x = r(k);
  t.equal(x.code, 2, `${k}: exit 2 (${x.err})`);
  t.equal(x.err.trim().split('\n').length, lines, `${k}: ${lines} stderr line(s)`);
  t.match(x.err, pattern, k);
}

t.test('help', async (t) => {
  t.equal(r('help').code, 0);
  t.match(r('help').out, /trace import <file>[\s\S]*trace decode[\s\S]*trace compare <scenario\|golden.yaml> <trace>/);
  t.equal(r('none').code, 2, 'no subcommand is a usage error');
  for (const k of ['importHelp', 'decodeHelp', 'compareHelp'] as const) {
    t.equal(r(k).code, 0, k);
    t.match(r(k).out, /^Usage: smmu-conform trace (import|decode|compare) /, k);
  }
  t.match(r('compareHelp').out, /--mask F,\.\.\.[\s\S]*--profile P[\s\S]*--features LIST/);
  invalid(t, 'badSub', /^smmu-conform trace: unknown command "imprt" \(did you mean "import"\?\)/);
});

t.test('import: each format to schema-shaped YAML/JSON', async (t) => {
  t.equal(r('dmesg').code, 0, r('dmesg').err);
  const d = parseYaml(r('dmesg').out);
  t.equal(d.format, 'dmesg');
  t.same(d.instances, ['arm-smmu-v3.0.auto']);
  t.equal(d.records.length, 5);
  t.same(d.records[0].raw, ['0x0000000800000010', '0x0000020800000000', '0x0000000000001000', '0x0000000000000000']);
  t.equal(d.records[0].logged.name, 'F_TRANSLATION');
  const e = parseYaml(r('evtq').out);
  t.equal(r('evtq').code, 1, 'a truncated record makes the import incomplete: exit 1');
  t.equal(e.format, 'evtq');
  t.same(
    e.records.map((x: { raw: string[] }) => x.raw.length),
    [4, 4, 4, 2],
  );
  t.equal(e.records[3].truncated, true);
  t.match(r('evtq').err, /^test\/fixtures\/traces\/evtq-dwords\.txt:5: warning: last record has 2 of 4 dwords; kept as truncated \[TRUNCATED_RECORD\]$/m);
  t.equal(r('qemu').code, 1, 'an unparseable smmuv3_* line: exit 1');
  const q = JSON.parse(r('qemu').out);
  t.equal(q.format, 'qemu');
  t.ok(
    q.records.some((x: { collapsed?: number }) => (x.collapsed ?? 0) > 0),
    '--collapse folded duplicates',
  );
  t.equal(r('strict').code, 2, '--strict fails on error diagnostics');
  t.match(r('strict').err, /^test\/fixtures\/traces\/dmesg-messy\.txt:31: error: cannot parse event header: "event 0xzz received:" \[UNPARSEABLE\]$/m);
});

t.test('decode: every record decoded, cross-check disagreements listed', async (t) => {
  t.equal(r('decode').code, 0);
  const lines = r('decode').out.trim().split('\n');
  t.equal(
    lines[0],
    '#1 [arm-smmu-v3.0.auto] line 1-7: F_TRANSLATION (0x10) sid=0x8 ssid=- stage=1 CLASS=IN RnW=1 PnU=0 InD=0 Stall=0 STAG=0x0 InputAddr=0x1000 IPA=0x0 (UNKNOWN for S1)',
  );
  t.match(lines[1], /F_PERMISSION \(0x13\) sid=0x10 ssid=0x5 stage=2 CLASS=TT RnW=0 .* IPA=0x80042000$/);
  t.match(lines[2], /F_CD_FETCH \(0x09\) sid=0x3 ssid=- FetchAddr=0x40001040$/);
  t.match(lines[3], /C_BAD_STE \(0x04\) sid=0x20/);
  t.equal(lines[lines.length - 1], 'cross-check: decoded text agrees with the raw dwords for 5 events');
  t.equal(r('crossCheck').code, 0);
  t.match(
    r('crossCheck').out,
    /cross-check: 2 disagreements between decoded text and raw dwords\n  test\/fixtures\/traces\/dmesg-614-crosscheck\.log:6: decoded text gives StreamID = 0x9 but the raw dwords give 0x8 \[TEXT_RAW_MISMATCH\]\n  .*:6: decoded text gives RnW = 0 but the raw dwords give 0x1/,
  );
  t.equal(
    r('crossCheck').err,
    'smmu-conform trace decode: test/fixtures/traces/dmesg-614-crosscheck.log: 7 lines read, 7 used in 1 record, 0 reported (0 errors, 0 warnings, 0 notes)\n',
    'cross-check findings are not repeated on stderr; the summary is',
  );
});

t.test('compare: scenario run on the emulator vs a kernel log', async (t) => {
  for (const k of ['match614', 'matchPre614', 'matchCmdq'] as const) {
    t.equal(r(k).code, 0, `${k}: ${r(k).out}${r(k).err}`);
    t.match(r(k).out, /0 differ, 0 missing, 0 extra\n\nRESULT: MATCH\n$/, k);
  }
  t.match(r('match614').out, /records: 1 match/);
  t.equal(r('golden').code, 0, 'a golden file gives the expected records without running anything');
  t.match(r('golden').out, /records: 1 match, 0 differ/);
  t.match(r('matchCmdq').out, /records: 2 match/, 'GERROR and CMDQ error lines are compared');
  const m = r('mismatch');
  t.equal(m.code, 1);
  t.match(m.out, /first divergence: expected event #1 vs trace record #1 \(lines 1-5\): StreamID\n/);
  t.match(m.out, /\n  \* StreamID +0x10 +0x11\n/);
  t.match(m.out, /raw trace +0x0000001100000010 /);
  t.match(m.out, /RESULT: DIFFER\n$/);
  t.equal(r('masked').code, 0, 'a masked field no longer differs');
  t.match(r('masked').out, /profile strict; masked: StreamID/);
  const w = r('wrongScenario');
  t.equal(w.code, 1);
  t.match(w.out, /first divergence: expected event #1 is missing from the trace: F_TRANSLATION \(0x10\) sid=0x10/);
  t.match(w.out, /extra: trace record #1 \(line 1\): GERROR active=0x1\nextra: trace record #2 \(lines 2-5\): CMDQ error CERROR_ILL cons=0x01000005/);
});

t.test('invalid input: exit 2, one line each, file:line where there is one', async (t) => {
  const bad = r('badScenario');
  t.equal(bad.code, 2);
  t.match(
    bad.err,
    /^test\/fixtures\/traces\/bad-scenario\.yaml:6:20: error\[UNKNOWN_REFERENCE\] at steps\[0\]\.dma\.device: Unknown device "nic9" \(did you mean "nic0"\?\)$/m,
  );
  t.ok(
    bad.err
      .trim()
      .split('\n')
      .every((l) => /^test\/fixtures\/traces\/bad-scenario\.yaml:\d+:\d+: error\[/.test(l)),
    'every scenario error is one located line',
  );
  t.equal(bad.out, '');
  invalid(t, 'noScenario', /^smmu-conform trace compare: smoke\/does-not-exist: error\[READ_FAILED\]: No scenario matches/);
  invalid(t, 'noTrace', /^smmu-conform trace compare: Cannot read "test\/fixtures\/traces\/missing\.log"/);
  t.equal(r('notATrace').code, 2);
  t.match(r('notATrace').err, /^test\/fixtures\/traces\/bad-scenario\.yaml:1: error: no SMMU records could be read as evtq .*\[NO_RECORDS\]$/m);
  invalid(t, 'badMask', /Unknown mask field "StreamIDD" \(did you mean "StreamID"\?\)/);
  invalid(t, 'badProfile', /Unknown --profile "lenient" \(use strict, architectural, hardware, qemu\)/);
  invalid(t, 'badFeatures', /^smmu-conform trace compare: Unknown feature "s9" in --features/);
  invalid(t, 'notInProfile', /^smmu-conform trace compare: scenarios\/smoke\/s1-translation-fault\.yaml: error\[REQUIRES\]: scenario requires s1/);
  invalid(t, 'badOption', /^smmu-conform trace import: Unknown option "--colapse"/);
  invalid(t, 'badFormat', /^smmu-conform trace decode: Unknown --format "pcap" \(use dmesg, evtq or qemu\)/);
});

t.test('main.ts: the process prints what the dispatcher prints and exits with its status', async (t) => {
  const inside = r(PROCESS_CASE);
  t.ok(inside.out !== '' && inside.err !== '', 'the case writes to both streams');
  t.equal(processRun.code, 2, `exit status 2 from process.exitCode (${processRun.err})`);
  t.equal(processRun.code, inside.code);
  t.equal(processRun.out, inside.out, 'stdout written through');
  t.equal(processRun.err, inside.err, 'stderr written through');
});
