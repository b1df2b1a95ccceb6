import t from 'tap';
import { readFileSync } from 'node:fs';
import { importDmesg } from './dmesg.ts';
import { crossCheck } from './decode.ts';
import { type CmdqErrorRecord, type EventRecord, type GerrorRecord, type Trace } from './types.ts';

const FIX = new URL('../../test/fixtures/traces/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIX), 'utf8');
const events = (tr: Trace, inst?: string): EventRecord[] =>
  tr.records.filter((r): r is EventRecord => r.kind === 'event' && (inst === undefined || r.instance === inst));
const codes = (tr: Trace): string[] => tr.diagnostics.map((d) => `${d.line}:${d.code}`);

const A = [0x0000000800000010n, 0x0000020800000000n, 0x1000n, 0n];
const B = [0x0000001000005813n, 0x000011828000002an, 0x0000ffffc0001000n, 0x80042000n];
const E = [0x0000000800000010n, 0x0000008800000000n, 0x2000n, 0x40000000n];

t.test('pre-6.14 log: events, CMDQ errors, timeout, overflow, GERROR, rate limit', async (t) => {
  const tr = importDmesg(fixture('dmesg-pre614.log'));
  t.same(
    tr.records.map((r) => r.kind),
    ['event', 'event', 'suppressed', 'gerror', 'cmdq_error', 'gerror', 'cmdq_error', 'sync_timeout', 'overflow', 'gerror'],
  );
  const ev = events(tr);
  t.same(
    ev.map((e) => e.raw),
    [A, B],
  );
  t.same(ev[0]?.lines, [3, 4, 5, 6, 7], 'interleaved nvme line is not part of the record');
  t.equal(ev[0]?.timestamp, '42.100001');
  t.equal(ev[0]?.headerType, 0x10);
  t.equal(ev[0]?.logged, undefined);
  const sup = tr.records[2];
  t.match(sup, { kind: 'suppressed', count: 7, func: 'arm_smmu_evtq_thread', lines: [14] });
  const ill = tr.records[4] as CmdqErrorRecord;
  t.match(ill, { cons: 0x01000004, cerror: 1, reason: 'Illegal command', lines: [16, 17, 18, 19] });
  t.same(ill.command, [0x99n, 0n]);
  t.match(tr.records[6], { kind: 'cmdq_error', cerror: 2, retrying: true });
  t.match(tr.records[7], { kind: 'sync_timeout', prod: 0x12, hwprod: 0x13, hwcons: 0x10 });
  t.match(tr.records[8], { kind: 'overflow', queue: 'evtq' });
  t.same((tr.records[9] as GerrorRecord).causes, ['SFM_ERR', 'EVTQ_ABT_ERR']);
  t.equal((tr.records[9] as GerrorRecord).active, 0x104);
  t.same(codes(tr), ['1:UNRECOGNISED_SMMU_LINE', '2:UNRECOGNISED_SMMU_LINE'], 'probe lines are noted, not silently dropped');
  t.same(crossCheck(tr), []);
});

t.test('6.14+ log: decoded lines attach to their raw record and agree with it', async (t) => {
  const tr = importDmesg(fixture('dmesg-614.log'));
  const ev = events(tr);
  t.equal(ev.length, 5);
  t.same(ev[0]?.raw, A);
  t.match(ev[0]?.logged, { name: 'F_TRANSLATION', client: '0000:01:00.0', sid: 8n, ssid: 0n, iova: 0x1000n, ipa: 0n, textLines: [6, 7] });
  t.match(ev[0]?.logged?.flags, { priv: false, inst: false, read: true, s2: false, classText: 'Input address caused fault', stall: false, stag: 0n });
  t.match(ev[1]?.logged?.flags, { priv: true, read: false, s2: true, ttd: 'read', stall: true, stag: 0x2an });
  t.equal(ev[2]?.logged?.fetchAddr, 0x40001040n);
  t.equal(ev[2]?.logged?.client, '(unassigned sid)');
  t.match(ev[3]?.logged, { name: 'C_BAD_STE', sid: 0x20n });
  t.equal(ev[3]?.logged?.flags, undefined);
  t.same(ev[4]?.raw, E);
  t.same(tr.diagnostics, []);
  t.same(crossCheck(tr), []);
});

t.test('cross-check reports decoded text that disagrees with the raw dwords', async (t) => {
  const text = fixture('dmesg-614.log').replace('sid: 0x10 ssid: 0x5', 'sid: 0x11 ssid: 0x5').replace('priv data write s2', 'priv data read s2');
  const diags = crossCheck(importDmesg(text));
  t.same(
    diags.map((d) => `${d.line}:${d.code}`),
    ['13:TEXT_RAW_MISMATCH', '13:TEXT_RAW_MISMATCH'],
  );
  t.match(diags[0]?.message, /StreamID = 0x11 but the raw dwords give 0x10/);
  t.match(diags[1]?.message, /RnW = 0x1 but the raw dwords give 0/);
  const hdr = crossCheck(importDmesg(fixture('dmesg-pre614.log').replace('event 0x13 received:', 'event 0x12 received:')));
  t.same(
    hdr.map((d) => d.code),
    ['HEADER_RAW_MISMATCH'],
  );
  const name = crossCheck(importDmesg(fixture('dmesg-614.log').replace('event: C_BAD_STE', 'event: C_BAD_CD')));
  t.match(name, [{ code: 'TEXT_RAW_MISMATCH', line: 26 }]);
});

t.test('messy mail log: quotes, two DT instances interleaved, wraps, glued line, truncation', async (t) => {
  const tr = importDmesg(fixture('dmesg-messy.txt'));
  t.same(tr.instances, ['', '2b400000.iommu', '2b500000.iommu']);
  const a = events(tr, '2b400000.iommu');
  const b = events(tr, '2b500000.iommu');
  t.same(a[0]?.raw, A, 'dwords with tabs and runs of spaces, interleaved with the other instance');
  t.same(a[0]?.lines, [4, 6, 9, 11, 13, 15, 16, 17, 18]);
  t.match(a[0]?.logged, { name: 'F_TRANSLATION', client: '0000:01:00.0', iova: 0x1000n, textLines: [15, 16, 17, 18] }, 'wrapped decoded lines joined');
  t.equal(a[0]?.logged?.flags?.classText, 'Input address caused fault', 'a wrap inside the quoted class text');
  t.same(
    b.map((e) => e.raw),
    [[0x0000002000000004n, 0n, 0n, 0n]],
  );
  t.same(a[1]?.raw, E);
  t.match(a[1]?.logged, { ipa: 0x40000000n, flags: { s2: true, classText: 'CD fetch' } }, 'decoded line glued to the flags line');
  t.same(a[1]?.logged?.textLines, [24]);
  t.equal(a[2]?.truncated, true);
  t.same(a[2]?.raw, [0x0000000800000012n, 0x0000020800000000n]);
  const cmd = tr.records.find((r): r is CmdqErrorRecord => r.kind === 'cmdq_error');
  t.equal(cmd?.commandTruncated, true);
  t.same(cmd?.command, [0x99n]);
  t.match(tr.records.at(-1), { kind: 'suppressed', count: 3, func: 'arm_smmu_dump_event', lines: [32] });
  t.same(
    codes(tr),
    ['2:SMMU_LINE_NOT_A_RECORD', '25:TRUNCATED_RECORD', '28:TRUNCATED_RECORD', '31:UNPARSEABLE'],
    'the mail text naming SMMUs is noted, not silently skipped',
  );
  t.same(crossCheck(tr), []);
});

t.test('bare lines, syslog and level prefixes, CRLF', async (t) => {
  const text = [
    '<3>event 0x04 received:',
    '\t0x0000002000000004',
    '\t0x0',
    '\t0x0',
    '\t0x0',
    'Nov 22 02:26:20 host kernel: arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x03000007): ATC invalidate timeout\r',
    '[  1.000000][    T1] arm-smmu-v3 arm-smmu-v3.0.auto: EVTQ overflow detected -- events lost',
  ].join('\n');
  const tr = importDmesg(text);
  t.same(
    tr.records.map((r) => `${r.kind}@${r.instance}`),
    ['event@', 'cmdq_error@arm-smmu-v3.0.auto', 'overflow@arm-smmu-v3.0.auto'],
  );
  t.same((tr.records[0] as EventRecord).raw, [0x0000002000000004n, 0n, 0n, 0n]);
  t.match(tr.records[1], { cerror: 3, reason: 'ATC invalidate timeout' });
  t.same(tr.diagnostics, []);
});

t.test('diagnostics for lines that look like SMMU messages but do not parse', async (t) => {
  const text = [
    'arm-smmu-v3 x.iommu: CMDQ error (cons 0x0100000g): Illegal command',
    'arm-smmu-v3 x.iommu: CMDQ error (cons 0x01000004): Abort on command fetch',
    'arm-smmu-v3 x.iommu: \t0x0000000000000001',
    'arm-smmu-v3 x.iommu: unpriv data read s1 "Input address caused fault" stag: 0',
    'arm-smmu-v3 x.iommu: CMD_SYNC timeout at 0x00000012 [hwprod 0x00000013,',
    '[  2.0] arm-smmu-v3 x.iommu: retrying command fetch',
    'arm-smmu-v3 x.iommu: unexpected global error reported (0x00000001), this could',
  ].join('\n');
  const tr = importDmesg(text);
  t.same(codes(tr), ['1:UNPARSEABLE', '2:REASON_MISMATCH', '3:ORPHAN_DWORD', '4:ORPHAN_FLAGS', '5:UNPARSEABLE', '7:UNPARSEABLE']);
  t.match(tr.diagnostics[4]?.message, /ends early/);
  t.same(
    tr.records.map((r) => r.kind),
    ['cmdq_error'],
  );
  t.match(tr.records[0], { cerror: 1, reason: 'Abort on command fetch', retrying: true, lines: [2, 6] });
});

t.test('a decoded line without its raw dump still yields a record with the fields it states', async (t) => {
  const tr = importDmesg(
    [
      'arm-smmu-v3 d: event: F_TRANSLATION client: 0000:01:00.0 sid: 0x8 ssid: 0x3 iova: 0x1000 ipa: 0x5000',
      'arm-smmu-v3 d: unpriv data read s2 "Stage 1 translation table fetch" stag: 0',
    ].join('\n'),
  );
  const e = events(tr)[0];
  t.same(e?.known, ['Type', 'StreamID', 'SSV', 'SubstreamID', 'InputAddr', 'IPA', 'PnU', 'InD', 'RnW', 'S2', 'CLASS', 'Stall', 'STAG']);
  t.same(e?.raw, [0x0000000800003810n, (1n << 35n) | (1n << 39n) | (1n << 40n), 0x1000n, 0x5000n]);
  t.same(codes(tr), ['1:DECODED_WITHOUT_RAW']);
});

t.test('glued messages are split at the start of the next message, even after hex digits', async (t) => {
  const text = [
    'arm-smmu-v3 x: event 0x10 received:',
    'arm-smmu-v3 x: \t0x0000000800000010',
    'arm-smmu-v3 x: \t0x0000008800000000',
    'arm-smmu-v3 x: \t0x0000000000002000',
    'arm-smmu-v3 x: \t0x0000000040000000',
    'arm-smmu-v3 x: event: F_TRANSLATION client: 0000:01:00.0 sid: 0x8 ssid: 0 iova: 0x2000 ipa: 0x40000000arm-smmu-v3 x: unpriv data read s2 "CD fetch" stag: 0[    9.100000] arm-smmu-v3 x: event 0x04 received:',
    'arm-smmu-v3 x: \t0x0000002000000004',
    'arm-smmu-v3 x: \t0x0',
    'arm-smmu-v3 x: \t0x0',
    'arm-smmu-v3 x: \t0x0',
  ].join('\n');
  const tr = importDmesg(text);
  const ev = events(tr);
  t.equal(ev.length, 2);
  t.equal(ev[0]?.logged?.ipa, 0x40000000n, 'ipa value cut before "arm-smmu" although "a" is a hex digit');
  t.equal(ev[0]?.logged?.flags?.classText, 'CD fetch');
  t.match(ev[1], { headerType: 4, timestamp: '9.100000', lines: [6, 7, 8, 9, 10] });
  t.same(tr.diagnostics, []);
  t.same(crossCheck(tr), []);
});
