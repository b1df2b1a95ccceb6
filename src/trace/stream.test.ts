/**
 * Streamed import (issue 15 item 4: memory bounded by the open records, not the log): every
 * record handed to the sink is the record a whole-log import keeps, in the same order, with the
 * same diagnostics and statistics; records leave the importer while the log is still being read;
 * the window of open records is bounded even when one instance never logs again.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadTrace, loadTraceFile, runTraceDecode, runTraceImport } from './cli.ts';
import { createDmesgImporter, forEachLine, importDmesg } from './dmesg.ts';
import { createEvtqImporter } from './evtq.ts';
import { createQemuImporter } from './qemu.ts';
import { formatTraceListing } from './decode.ts';
import { recordToJson, traceToJson } from './serialize.ts';
import { type TraceRecord, recordTotal } from './types.ts';

const FIX = fileURLToPath(new URL('../../test/fixtures/traces/', import.meta.url));
const logs = [
  ...readdirSync(FIX)
    .filter((f) => /^(dmesg|smoke|scaffold|evtq|qemu)-.*\.(log|txt)$/.test(f))
    .map((f) => FIX + f),
  ...readdirSync(`${FIX}corpus/`)
    .filter((f) => !f.endsWith('.yaml'))
    .map((f) => `${FIX}corpus/${f}`),
];

t.test('streamed import gives the records, diagnostics and statistics of a whole-log import', async (t) => {
  t.ok(logs.length >= 10, `${logs.length} logs`);
  for (const log of logs) {
    const whole = loadTrace(readFileSync(log, 'utf8'));
    const got: TraceRecord[] = [];
    const r = loadTraceFile(log, {}, undefined, (rec) => got.push(rec));
    const s = r.trace;
    if (s === undefined) {
      t.fail(`${log}: ${r.error}`);
      continue;
    }
    t.equal(s.records.length, 0, `${log}: records handed over, not kept`);
    t.equal(recordTotal(s), whole.records.length, `${log}: record count`);
    t.same(got.map(recordToJson), whole.records.map(recordToJson), `${log}: records`);
    t.same(s.instances, whole.instances, `${log}: instances`);
    t.same(s.diagnostics, whole.diagnostics, `${log}: diagnostics`);
    t.same(s.totals, whole.totals, `${log}: totals`);
    t.same(s.stats, whole.stats, `${log}: stats`);
    // The CLI outputs are built from the stream: same document and listing as from the kept records.
    const yaml = parseYaml(runTraceImport([log]).stdout) as unknown;
    t.same(yaml, JSON.parse(JSON.stringify(traceToJson(whole))), `${log}: trace import YAML`);
    t.equal(runTraceImport([log, '--json']).stdout, `${JSON.stringify(traceToJson(whole), null, 2)}\n`, `${log}: trace import --json, byte for byte`);
    const listing = runTraceDecode([log]).stdout.split('\n');
    const want = formatTraceListing(whole);
    t.same(listing.slice(0, want.length), want.length > 0 ? want : ['(no SMMU records)'], `${log}: trace decode listing`);
  }
});

t.test('--collapse streams too: the folded records of a whole-log import, in order', async (t) => {
  const qemu = [`${FIX}qemu-7.2.log`, `${FIX}qemu-propagate.log`];
  // A burst of QEMU per-4-byte duplicates with trace lines between them, two instances interleaved.
  const dir = mkdtempSync(join(tmpdir(), 'smmu-collapse-'));
  const burst = join(dir, 'burst.log');
  const lines: string[] = [];
  for (let i = 0; i < 3; i++)
    lines.push(
      `smmuv3_record_event SMMU_EVT_F_TRANSLATION sid=0x${(8 + i).toString(16)}`,
      `smmuv3_translate_abort sid=0x${(8 + i).toString(16)} iova=0x${(0x1000 + i * 0x100).toString(16)}`,
      `smmu_ptw_level baseaddr=0x1000 level=3`,
      `smmuv3_record_event SMMU_EVT_F_TRANSLATION sid=0x${(8 + i).toString(16)}`,
      `smmuv3_translate_abort sid=0x${(8 + i).toString(16)} iova=0x${(0x1004 + i * 0x100).toString(16)}`,
      'smmuv3_cmdq_opcode <--- SMMU_CMD_SYNC',
    );
  writeFileSync(burst, `${lines.join('\n')}\n`);
  for (const log of [...qemu, burst, ...logs.slice(0, 3)]) {
    const whole = loadTrace(readFileSync(log, 'utf8'), { collapse: true });
    // Serialised on receipt, as the YAML writer does: a record changed after it left would not count.
    const got: unknown[] = [];
    const s = loadTraceFile(log, { collapse: true }, undefined, (rec) => got.push(recordToJson(rec))).trace;
    t.equal(s?.records.length, 0, `${log}: records handed over, not kept`);
    t.same(got, whole.records.map(recordToJson), `${log}: folded records`);
    t.same(s?.stats, whole.stats, `${log}: stats`);
  }
  const folded = loadTrace(readFileSync(burst, 'utf8'), { collapse: true }).records.filter((r) => r.kind === 'event');
  t.same(
    folded.map((r) => (r as { collapsed?: number }).collapsed),
    [1, 1, 1],
    'each 8-byte access folded to one record',
  );
  rmSync(dir, { recursive: true, force: true });
});

t.test('evtq and QEMU records leave the importer while the input is read', async (t) => {
  const got: TraceRecord[] = [];
  const evtq = createEvtqImporter({ onRecord: (r) => got.push(r) });
  forEachLine('0x0000000800000010 0x0000020800000000 0x0000000000001000 0x0\n0x0000000800000010 0x0 0x2000\n', evtq.line);
  t.equal(got.length, 1, 'the first record is out as soon as its fourth dword is read');
  forEachLine('0x0\n', evtq.line);
  t.equal(got.length, 2);
  t.equal(evtq.finish().recordCount, 2);
  const q: TraceRecord[] = [];
  const qemu = createQemuImporter({ onRecord: (r) => q.push(r) });
  forEachLine('smmuv3_record_event SMMU_EVT_F_TRANSLATION sid=0x8\n', qemu.line);
  t.equal(q.length, 0, 'an event waits for its translate_abort line');
  forEachLine('smmuv3_translate_abort sid=0x8 iova=0x1000\nsmmuv3_cmdq_opcode <--- SMMU_CMD_SYNC\n', qemu.line);
  t.equal(q.length, 3, 'out once complete, then its translate_abort line and the command');
  t.same((q[0] as { known?: string[] }).known, ['Type', 'StreamID', 'InputAddr']);
  const tr = qemu.finish();
  t.equal(tr.recordCount, 3);
  t.same(tr.stats, { lines: 3, used: 3, reported: 0 });
});

t.test('trace import --json is the whole-trace JSON, byte for byte, for every format and for no records', async (t) => {
  const empty = join(mkdtempSync(join(tmpdir(), 'smmu-stream-')), 'empty.log');
  writeFileSync(empty, 'nothing here\n');
  for (const log of [`${FIX}qemu-7.2.log`, `${FIX}evtq-xxd.txt`, `${FIX}dmesg-614.log`, empty]) {
    const whole = loadTraceFile(log).trace;
    t.equal(runTraceImport([log, '--json']).stdout, `${JSON.stringify(whole === undefined ? {} : traceToJson(whole), null, 2)}\n`, log);
  }
  rmSync(dirname(empty), { recursive: true, force: true });
});

const ev = (dev: string, ts: number, type: string, dws: string[]): string[] => [
  `[${ts.toFixed(6).padStart(12)}] arm-smmu-v3 ${dev}: event ${type} received:`,
  ...dws.map((d) => `[${ts.toFixed(6).padStart(12)}] arm-smmu-v3 ${dev}: \t${d}`),
];
const DW = ['0x0000000800000010', '0x0000020800000000', '0x0000000000001000', '0x0000000000000000'];

t.test('records leave the importer while the log is read', async (t) => {
  const got: TraceRecord[] = [];
  const imp = createDmesgImporter({ onRecord: (r) => got.push(r) });
  const lines = [...ev('a', 1, '0x10', DW), ...ev('a', 2, '0x10', DW), ...ev('a', 3, '0x10', DW)];
  forEachLine(lines.join('\n'), imp.line);
  // The first two are final (a later record of the same instance followed); the last may still get its decoded text.
  t.equal(got.length, 2, 'two records out before the end of input');
  forEachLine(
    '[    3.000000] arm-smmu-v3 a: event: F_TRANSLATION client: (unassigned sid) sid: 0x8 ssid: 0 iova: 0x1000 ipa: 0x0\n' +
      '[    3.000000] arm-smmu-v3 a: unpriv data write s1 "Input address caused fault" stag: 0x0',
    imp.line,
  );
  const tr = imp.finish();
  t.equal(got.length, 3);
  t.equal(tr.recordCount, 3);
  t.equal((got[2] as { logged?: { name: string } }).logged?.name, 'F_TRANSLATION', 'the decoded lines reached the last record before it left');
});

t.test('an instance that never logs again is sealed after the window, order kept', async (t) => {
  const lines = [...ev('quiet', 1, '0x10', DW)];
  for (let i = 0; i < 40; i++) lines.push(...ev('busy', 2 + i, '0x10', DW));
  const feed = (window?: number): { before: number; got: TraceRecord[]; diagnostics: number } => {
    const got: TraceRecord[] = [];
    const imp = createDmesgImporter({ onRecord: (r) => got.push(r), ...(window !== undefined ? { window } : {}) });
    for (const l of lines) imp.line(l, 0, l.length);
    const before = got.length;
    const tr = imp.finish();
    t.equal(got.length, 41);
    t.same(
      got.map((r) => r.instance),
      importDmesg(lines.join('\n')).records.map((r) => r.instance),
      'same order as a whole-log import',
    );
    return { before, got, diagnostics: tr.diagnostics.length };
  };
  const w = feed(8);
  t.ok(w.before >= 41 - 8 - 1, `at most the window stays open (${41 - w.before} records held)`);
  t.equal(w.got[0]?.instance, 'quiet', 'the quiet record left first, sealed');
  t.equal(w.diagnostics, 0, 'the sealed record was complete: nothing to report');
  t.equal(feed(1_000_000).before, 0, 'without the window the quiet record holds back every later one');
});
