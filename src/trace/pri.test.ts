/**
 * PRI page-request lines (issue 15 item 2): `unexpected PRI request received:` + the `sid ...`
 * line become one `pri` record, never a DROPPED_SMMU_LINE; the listing, the schema, scaffold
 * (`[not-emulated]`) and compare (a warning, no crash) handle it. Every field of the corpus
 * file is checked in test/trace-corpus.test.ts.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { compareTrace, formatCompareReport } from './compare.ts';
import { importDmesg } from './dmesg.ts';
import { runTraceDecode, runTraceImport } from './cli.ts';
import { scaffoldScenario } from './scaffold.ts';
import { traceFromJson, traceToYaml } from './serialize.ts';
import { parsePriRequest } from './pri-msg.ts';

const LOG = new URL('../../test/fixtures/traces/corpus/pri.log', import.meta.url);
const schema = JSON.parse(readFileSync(new URL('../../schemas/trace.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

const CLEAN = [
  '[  100.000001] arm-smmu-v3 arm-smmu-v3.0.auto: unexpected PRI request received:',
  '[  100.000002] arm-smmu-v3 arm-smmu-v3.0.auto: \tsid 0x00000100.0x00001: [3L] privileged RW access at iova 0x0000ffff8a2b3000',
].join('\n');

t.test('request line: every field of the format', async (t) => {
  t.same(parsePriRequest('sid 0x00000100.0x00001: [3L] privileged RW access at iova 0x0000ffff8a2b3000'), {
    sid: 0x100,
    ssid: 1,
    group: 3,
    last: true,
    privileged: true,
    read: true,
    write: true,
    exec: false,
    iova: 0xffff8a2b3000n,
  });
  t.match(parsePriRequest('sid 0x00000008.0x000ff: [511] unprivileged  access at iova 0x0000000000200000'), {
    ssid: 0xff,
    group: 511,
    last: false,
    privileged: false,
    read: false,
    write: false,
    exec: false,
  });
  t.equal(parsePriRequest('sid 0x00000008.0x000ff: [512] unprivileged R access at iova 0x0'), undefined, 'PRG index is 9 bits');
  t.equal(parsePriRequest('sid 0x00000008.0x000ff: [1] privileged WR access at iova 0x0'), undefined, 'letters in the kernel order R, W, X');
});

t.test('decode: a log of PRI lines exits 0 and lists the request', async (t) => {
  const tr = importDmesg(CLEAN);
  t.same(
    tr.diagnostics.map((d) => d.code),
    [],
  );
  t.equal(tr.records[0]?.kind, 'pri');
  const r = runTraceDecode([LOG.pathname]);
  t.equal(r.exitCode, 1, 'the corpus has an unparseable request line');
  t.match(r.stdout, /#1 \[arm-smmu-v3\.0\.auto\] line 1-2: PRI page request sid=0x100 ssid=0x1 group=3 last privileged access=RW iova=0x0000ffff8a2b3000/);
  t.match(r.stdout, /PRI page request sid=0x42 ssid=0x0 group=17 last privileged access=- iova=0x00000000deadb000/);
  t.notMatch(r.stderr, /DROPPED_SMMU_LINE/);
});

t.test('import: schema-valid YAML that loads back', async (t) => {
  const r = runTraceImport([LOG.pathname, '--lenient']);
  t.equal(r.exitCode, 0);
  const doc = parseYaml(r.stdout);
  t.ok(validate(doc), JSON.stringify(validate.errors));
  t.equal(traceToYaml(traceFromJson(doc)), r.stdout, 'round-trips through YAML');
});

t.test('scaffold says not-emulated; compare warns and does not crash', async (t) => {
  const tr = importDmesg(CLEAN);
  const s = scaffoldScenario(tr, 'pri.log');
  t.equal(s.reproduced, 0);
  t.match(s.yaml, /line 1: PRI page request sid=0x100: .*\[not-emulated\]/);
  const res = compareTrace({ events: [] }, tr);
  t.equal(res.ok, true, 'nothing the emulator can produce differs');
  t.match(
    formatCompareReport(res, { events: [] }, tr),
    /warning: 1 PRI page request record\(s\) not compared \(first on lines 1-2\): the emulator has no PRI queue/,
  );
});
