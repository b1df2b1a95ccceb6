import t from 'tap';
import { readFileSync } from 'node:fs';
import { compareTrace, formatCompareReport, type ExpectedRecords } from './compare.ts';
import { importDmesg } from './dmesg.ts';
import { importQemu } from './qemu.ts';
import { collapseDuplicates } from './collapse.ts';
import { resolveMasks, diffEvent, MASKABLE } from './masks.ts';
import { formatCmdqError, formatEventLog, withDmesgPrefix } from '../linux/messages.ts';

const FIX = new URL('../../test/fixtures/traces/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIX), 'utf8');

const A = [0x0000000800000010n, 0x0000020800000000n, 0x1000n, 0n];
const B = [0x0000001000005813n, 0x000011828000002an, 0x0000ffffc0001000n, 0x80042000n];
const C = [0x0000000300000009n, 0n, 0n, 0x40001040n];
const D = [0x0000002000000004n, 0n, 0n, 0n];
const E = [0x0000000800000010n, 0x0000008800000000n, 0x2000n, 0x40000000n];
const exp = (...raws: bigint[][]): ExpectedRecords => ({ events: raws.map((raw) => ({ raw })) });

t.test('identical records match', async (t) => {
  const tr = importDmesg(fixture('dmesg-614.log'));
  const res = compareTrace(exp(A, B, C, D, E), tr);
  t.equal(res.ok, true);
  t.same(res.counts, { match: 5, mismatch: 0, missing: 0, extra: 0 });
  t.match(formatCompareReport(res, exp(A, B, C, D, E), tr), /RESULT: MATCH/);
});

t.test('first divergence shows both records decoded side by side', async (t) => {
  const tr = importDmesg(fixture('dmesg-614.log'));
  const B2 = [...B];
  B2[3] = 0x80043000n; // different IPA on a stage-2 fault: a real divergence
  const res = compareTrace(exp(A, B2, C, D, E), tr);
  t.equal(res.ok, false);
  t.same(res.counts, { match: 4, mismatch: 1, missing: 0, extra: 0 });
  t.same(res.events[1]?.diffs, [{ field: 'IPA', expected: 0x80043000n, actual: 0x80042000n }]);
  const report = formatCompareReport(res, exp(A, B2, C, D, E), tr);
  t.match(report, /first divergence: expected event #2 vs trace record #2 \(lines 8-14\): IPA/);
  t.match(report, /\* IPA\s+0x80043000\s+0x80042000/);
  t.match(report, /  Type\s+0x13 F_PERMISSION\s+0x13 F_PERMISSION/);
  t.match(report, /RESULT: DIFFER/);
});

t.test('missing and extra records resynchronise instead of shifting every pair', async (t) => {
  const tr = importDmesg(fixture('dmesg-614.log'));
  const r1 = compareTrace(exp(A, C, D, E), tr);
  t.same(
    r1.events.map((p) => p.kind),
    ['match', 'extra', 'match', 'match', 'match'],
  );
  const F = [0x0000000900000004n, 0n, 0n, 0n];
  const r2 = compareTrace(exp(A, B, F, C, D, E), tr);
  t.same(
    r2.events.map((p) => p.kind),
    ['match', 'match', 'missing', 'match', 'match', 'match'],
  );
  t.match(formatCompareReport(r2, exp(A, B, F, C, D, E), tr), /expected event #3 is missing from the trace: C_BAD_STE \(0x04\) sid=0x9/);
  const r3 = compareTrace(exp(A, B, C, D, E, A), tr);
  t.same(r3.events.at(-1), { kind: 'missing', expected: 5 });
});

t.test('UNKNOWN fields are masked by default, strict profile compares them', async (t) => {
  // Stage-1 fault: IPA UNKNOWN; SSV=0: SubstreamID UNKNOWN; Stall=0: STAG not meaningful.
  const noisy = [A[0]! | (0x77n << 12n), A[1]! | 0x55n, A[2]!, 0x1234000n];
  const arch = resolveMasks('architectural', []).masks;
  t.same(diffEvent(A, noisy, undefined, arch), []);
  const strict = resolveMasks('strict', []).masks;
  t.same(
    diffEvent(A, noisy, undefined, strict).map((d) => d.field),
    ['SubstreamID', 'STAG', 'IPA'],
  );
  // RES0 bits: compared unless the profile or the user masks them.
  const res0 = [A[0]!, A[1]! | (1n << 50n), A[2]!, A[3]! | 0x7n];
  t.same(
    diffEvent(A, res0, undefined, arch).map((d) => d.field),
    ['RES0.dw1', 'RES0.dw3'],
  );
  t.same(diffEvent(A, res0, undefined, resolveMasks('hardware', []).masks), []);
  t.same(diffEvent(A, res0, undefined, resolveMasks('architectural', ['RES0']).masks), []);
  // User masks by field name (case-insensitive), unknown names suggested.
  const other = [A[0]!, A[1]! ^ (1n << 35n), A[2]!, A[3]!];
  t.same(
    diffEvent(A, other, undefined, arch).map((d) => d.field),
    ['RnW'],
  );
  t.same(diffEvent(A, other, undefined, resolveMasks('architectural', ['rnw']).masks), []);
  const badMask = resolveMasks('architectural', ['StremID']).errors;
  t.equal(badMask.length, 1, 'exactly one error');
  t.match(badMask[0]?.message, /Unknown mask field "StremID" \(did you mean "StreamID"\?\)/);
  t.ok(MASKABLE.includes('Reason') && MASKABLE.includes('GPCF'));
});

t.test('compare against a QEMU trace: only the fields QEMU gives, duplicates folded', async (t) => {
  const q = importQemu(fixture('qemu-7.2.log'));
  const bad = [0x0000001800000004n, 0n, 0n, 0n];
  const xl = [0x0000001800000010n, 0x0000020000000000n, 0x5000n, 0n];
  t.same(
    compareTrace(exp(bad, xl), collapseDuplicates(q), { profile: 'qemu' }).counts,
    { match: 2, mismatch: 0, missing: 0, extra: 0 },
    'C_BAD_STE has no InputAddr field: the iova QEMU logs is not compared',
  );
  const xlWrong = [0x0000001800000010n, 0x0000020000000000n, 0x6000n, 0n];
  const w = compareTrace(exp(bad, xlWrong), collapseDuplicates(q), { profile: 'qemu' });
  t.same(
    w.events[1]?.diffs?.map((d) => d.field),
    ['InputAddr'],
    'only fields QEMU gives are compared: Type, StreamID, InputAddr',
  );
  const bad2 = [0x0000001800000004n, 0n, 0x40100000n, 0n];
  const r = compareTrace(exp(bad2, xl), collapseDuplicates(q), { profile: 'qemu' });
  t.same(r.counts, { match: 2, mismatch: 0, missing: 0, extra: 0 });
  t.same(compareTrace(exp(bad2, xl), q, { profile: 'qemu' }).counts.extra, 1, 'without folding the duplicate is extra');
});

t.test('instances, CMDQ errors and host log records', async (t) => {
  const multi = importDmesg(fixture('dmesg-messy.txt'));
  const r = compareTrace(exp(A), multi);
  t.equal(r.ok, false);
  t.equal(r.errors.length, 1, 'exactly one error');
  t.match(r.errors[0], /2 SMMU instances \(2b400000.iommu, 2b500000.iommu\)/);
  const nope = compareTrace(exp(A), multi, { instance: 'nope' }).errors;
  t.equal(nope.length, 1, 'exactly one error');
  t.match(nope[0], /Instance "nope" is not in the trace/);
  const one = compareTrace(exp(D), multi, { instance: '2b500000.iommu' });
  t.equal(one.ok, true);
  t.match(compareTrace(exp(A, E, A), multi, { instance: '2b400000.iommu' }).incomplete.join('\n'), /truncated/);

  const log = [
    ...withDmesgPrefix(formatEventLog(A, { era: 'pre-6.14' }), { device: 's' }),
    ...withDmesgPrefix(formatCmdqError(0x01000004, [0x99n, 0n]), { device: 's' }),
  ];
  const tr = importDmesg(log.join('\n'));
  t.equal(compareTrace({ events: [{ raw: A }], cmdqErrors: [{ cons: 0x01000004, command: [0x99n, 0n] }] }, tr).ok, true);
  const wrong = compareTrace({ events: [{ raw: A }], cmdqErrors: [{ cons: 0x01000005, command: [0x99n, 0n] }] }, tr);
  t.same(
    wrong.other.map((p) => p.kind),
    ['mismatch'],
  );
  t.same(
    wrong.other[0]?.diffs?.map((d) => d.field),
    ['CONS'],
  );
  const hostLog = formatCmdqError(0x02000004);
  const viaLog = compareTrace({ events: [{ raw: A }], hostLog }, tr);
  t.same(
    viaLog.other[0]?.diffs?.map((d) => d.field),
    ['CERROR', 'CONS'],
  );
  const sup = importDmesg(`${log.join('\n')}\narm_smmu_evtq_thread: 4 callbacks suppressed`);
  t.match(compareTrace(exp(A), sup, { instance: 's' }).warnings[0], /suppressed 4 message/);
});
