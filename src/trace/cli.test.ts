import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { detectFormat, loadTrace, runTraceCompare, runTraceDecode, runTraceImport } from './cli.ts';
import { traceFromJson, traceToJson, traceToYaml } from './serialize.ts';

const FIX = new URL('../../test/fixtures/traces/', import.meta.url);
const fx = (name: string): string => fileURLToPath(new URL(name, FIX));
const schema = JSON.parse(readFileSync(new URL('../../schemas/trace.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

const ALL = [
  'dmesg-pre614.log',
  'dmesg-614.log',
  'dmesg-messy.txt',
  'evtq-dwords.txt',
  'evtq-words32.txt',
  'evtq-xxd.txt',
  'evtq-hexdump-C.txt',
  'evtq-kernel-hexdump.txt',
  'qemu-7.2.log',
  'qemu-propagate.log',
];

t.test('format detection', async (t) => {
  t.same(
    ALL.map((f) => detectFormat(readFileSync(fx(f), 'utf8'))),
    ['dmesg', 'dmesg', 'dmesg', 'evtq', 'evtq', 'evtq', 'evtq', 'evtq', 'qemu', 'qemu'],
  );
});

t.test('import: every fixture gives schema-valid YAML that loads back to the same trace', async (t) => {
  // Fixtures with a truncated record or an unparseable SMMU line: the import is incomplete (exit 1).
  const incomplete = new Set(['dmesg-messy.txt', 'evtq-dwords.txt', 'qemu-propagate.log']);
  for (const f of ALL) {
    const r = runTraceImport([fx(f), '--collapse']);
    t.equal(r.exitCode, incomplete.has(f) ? 1 : 0, f);
    if (incomplete.has(f)) t.equal(runTraceImport([fx(f), '--collapse', '--lenient']).exitCode, 0, `${f} --lenient`);
    const doc = parseYaml(r.stdout);
    t.ok(validate(doc), `${f}: ${JSON.stringify(validate.errors)}`);
    const back = traceFromJson(doc);
    t.equal(traceToYaml(back), r.stdout, `${f} round-trips through YAML`);
  }
  const j = runTraceImport([fx('dmesg-614.log'), '--json']);
  t.ok(validate(JSON.parse(j.stdout)));
  t.same(traceToJson(loadTrace(j.stdout)), JSON.parse(j.stdout), 'a saved JSON trace loads as a trace');
});

t.test('import: diagnostics go to stderr with file:line; --strict fails on errors', async (t) => {
  const r = runTraceImport([fx('dmesg-messy.txt')]);
  t.equal(r.exitCode, 1, 'unparseable SMMU lines and truncated records: exit 1');
  t.match(r.stderr, /dmesg-messy\.txt: 32 lines read, 27 used in 6 records, 4 reported \(1 error, 2 warnings, 1 note\)\n$/);
  t.match(r.stderr, /dmesg-messy\.txt:31: error: cannot parse event header: "event 0xzz received:" \[UNPARSEABLE\]/);
  t.equal(runTraceImport([fx('dmesg-messy.txt'), '--strict']).exitCode, 2);
  t.equal(runTraceImport([fx('dmesg-614.log'), '--strict']).exitCode, 0);
  t.match(runTraceImport(['/nonexistent/x.log']), { exitCode: 2, stderr: /Cannot read "\/nonexistent\/x.log"/ });
  t.match(runTraceImport([fx('dmesg-614.log'), '--format', 'pcap']), { exitCode: 2, stderr: /Unknown --format "pcap"/ });
  t.match(runTraceImport([fx('dmesg-614.log'), '--bogus']), { exitCode: 2, stderr: /Unknown option "--bogus"/ });
  t.match(runTraceImport([]), { exitCode: 2, stderr: /Usage/ });
  const w = runTraceImport([fx('evtq-words32.txt'), '--format', 'evtq', '--word-size=64', '--instance', 'smmu1']);
  t.match(w.stdout, /instance: smmu1/);
});

t.test('decode lists every record readably', async (t) => {
  const r = runTraceDecode([fx('dmesg-614.log')]);
  t.equal(r.exitCode, 0);
  const lines = r.stdout.trim().split('\n');
  t.equal(lines.length, 7);
  t.equal(lines[6], 'cross-check: decoded text agrees with the raw dwords for 5 events');
  t.equal(
    lines[1],
    '#2 [arm-smmu-v3.0.auto] line 8-14: F_PERMISSION (0x13) sid=0x10 ssid=0x5 stage=2 CLASS=TT RnW=0 PnU=1 InD=0 TTRnW=1 Stall=1 STAG=0x2a InputAddr=0xffffc0001000 IPA=0x80042000',
  );
  t.equal(lines[2], '#3 [arm-smmu-v3.0.auto] line 15-20: F_CD_FETCH (0x09) sid=0x3 ssid=- FetchAddr=0x40001040');
  const q = runTraceDecode([fx('qemu-propagate.log'), '--collapse']);
  t.match(q.stdout, /F_PERMISSION \(0x13\) sid=0x8 InputAddr=0x10000 \[fields known: Type,StreamID,InputAddr\] \[\+1 duplicates folded\]/);
  const saved = runTraceImport([fx('evtq-xxd.txt')]).stdout;
  t.equal(runTraceDecode([fx('evtq-xxd.txt')]).stdout, runTraceDecode([fx('evtq-xxd.txt')]).stdout);
  t.match(loadTrace(saved).records.length, 2);
});

t.test('compare: golden file, masks, profiles, injected scenario runner, exit codes', async (t) => {
  const ok = await runTraceCompare([fx('golden-expected.yaml'), fx('dmesg-614.log')]);
  t.equal(ok.exitCode, 0, ok.stdout + ok.stderr);
  t.match(ok.stdout, /records: 5 match, 0 differ, 0 missing, 0 extra/);
  const pre = await runTraceCompare([fx('golden-expected.yaml'), fx('dmesg-pre614.log')]);
  t.equal(pre.exitCode, 1);
  t.match(pre.stdout, /3 missing/);
  const bad = await runTraceCompare([fx('golden-expected.yaml'), fx('dmesg-614.log'), '--mask', 'StreamId,Bogus']);
  t.equal(bad.exitCode, 2);
  t.match(bad.stderr, /Unknown mask field "Bogus"/);
  t.equal((await runTraceCompare([fx('golden-expected.yaml'), fx('dmesg-614.log'), '--profile', 'nope'])).exitCode, 2);
  const runner = async (p: string) => {
    t.equal(p, 'scenarios/events/x.yaml');
    return { events: [{ raw: [0x0000000800000010n, 0x0000020800000000n, 0x1000n, 0n] }] };
  };
  const viaRunner = await runTraceCompare(['scenarios/events/x.yaml', fx('dmesg-pre614.log'), '--profile', 'hardware'], runner);
  t.equal(viaRunner.exitCode, 1);
  t.match(viaRunner.stdout, /profile hardware/);
  t.match(viaRunner.stdout, /warning: the kernel rate limiter suppressed 7 message/);
  t.match(viaRunner.stdout, /trace record #2 \(lines 9-13\) was not expected: F_PERMISSION/);
  const thrower = await runTraceCompare(['s.yaml', fx('dmesg-614.log')], () => {
    throw new Error('boom');
  });
  t.match(thrower, { exitCode: 2, stderr: /Cannot run scenario "s.yaml": boom/ });
  const multi = await runTraceCompare([fx('golden-expected.yaml'), fx('dmesg-messy.txt')]);
  t.match(multi, { exitCode: 2, stderr: /choose one with --instance/ });
  const inst = await runTraceCompare([fx('golden-expected.yaml'), fx('dmesg-messy.txt'), '--instance', '2b400000.iommu']);
  t.equal(inst.exitCode, 1);
  t.match(inst.stdout, /first divergence/);
});

t.test('golden cmdq error and host_log are compared as records', async (t) => {
  const { expectedFromGolden } = await import('./cli.ts');
  const g = expectedFromGolden("events: []\ncmdq: { cons: '0x01000004', error: CERROR_ILL }\n");
  t.same(g, { events: [], cmdqErrors: [{ cons: 0x01000004 }] });
  t.match(expectedFromGolden('steps: []'), /no `events` list/);
  t.match(expectedFromGolden("events: [{ raw: ['zz'] }]"), /not a list of integers/);
  const h = expectedFromGolden("events: []\nhost_log: ['CMD_SYNC timeout at 0x00000012 [hwprod 0x00000013, hwcons 0x00000010]']\n");
  t.same(h, { events: [], hostLog: ['CMD_SYNC timeout at 0x00000012 [hwprod 0x00000013, hwcons 0x00000010]'] });
});
