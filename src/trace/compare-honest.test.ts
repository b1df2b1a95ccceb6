/**
 * Compare never passes falsely and says why (issue 15 item 7): truncated, damaged or
 * header-disagreeing trace records never make a MATCH; masked fields are marked; a hint names
 * --profile hardware when only RES0/IMPDEF/STAG differ; record kinds are named; a golden and its
 * own scenario give the same CMDQ/GERROR records.
 */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { runTraceCompare } from './cli.ts';
import { compareTrace, formatCompareReport, type ExpectedRecords } from './compare.ts';
import { importDmesg } from './dmesg.ts';
import { expectedFromObservation } from './observed.ts';
import type { Observation } from '../scenario/observation.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const A = [0x0000000800000010n, 0x0000020800000000n, 0x1000n, 0n];
const exp = (...raws: bigint[][]): ExpectedRecords => ({ events: raws.map((raw) => ({ raw })) });
const dump = (header: string, dws: string[]): string => [`arm-smmu-v3 x: ${header}`, ...dws.map((d) => `arm-smmu-v3 x: \t${d}`)].join('\n');

t.test('a truncated record whose present fields agree is INCOMPLETE, not MATCH', async (t) => {
  const tr = importDmesg(dump('event 0x10 received:', ['0x0000000800000010', '0x0000020800000000']));
  const res = compareTrace(exp(A), tr);
  t.equal(res.ok, false);
  t.same(res.counts, { match: 1, mismatch: 0, missing: 0, extra: 0 }, 'the fields present agree');
  const report = formatCompareReport(res, exp(A), tr);
  t.match(report, /warning: trace record #1 \(lines 1-3\) is truncated \(2\/4 dwords\): it cannot count as a match\n\nRESULT: INCOMPLETE/);
});

t.test('a header naming another event number than dw0 is never a match', async (t) => {
  const tr = importDmesg(dump('event 0x12 received:', ['0x0000000800000010', '0x0000020800000000', '0x0000000000001000', '0x0000000000000000']));
  const res = compareTrace(exp(A), tr);
  t.equal(res.ok, false);
  t.match(formatCompareReport(res, exp(A), tr), /its header says event 0x12 but dw0 Type = 0x10/);
});

t.test('damaged dwords: record incomplete, the damaged dword not compared', async (t) => {
  const tr = importDmesg(dump('event 0x10 received:', ['0x0000000800000010', '0x00000208 0000', '0x0000000000001000', '0x0000000000000000']));
  const res = compareTrace(exp(A), tr);
  t.equal(res.ok, false);
  t.equal(res.counts.mismatch, 0, 'dw1 is damaged: its fields are not compared');
  t.match(formatCompareReport(res, exp(A), tr), /has damaged dword 1: it cannot count as a match/);
});

t.test('masked fields are marked in the side-by-side view; hint for --profile hardware', async (t) => {
  // F_TRANSLATION with Stall=1: STAG is compared (architectural) and differs, nothing else does.
  const want = [0x0000000800000010n, 0x0000020880000005n, 0x1000n, 0n];
  const tr = importDmesg(dump('event 0x10 received:', ['0x0000000800000010', '0x0000020880000007', '0x0000000000001000', '0x0000000000000000']));
  const res = compareTrace(exp(want), tr);
  const report = formatCompareReport(res, exp(want), tr);
  t.match(report, /\* STAG\s+0x5\s+0x7\n/);
  t.match(report, /  IPA\s+0x0\s+0x0  \(masked\)/, 'IPA of a stage-1 fault is masked and says so');
  t.match(report, /hint: only RES0, IMPLEMENTATION DEFINED or STAG fields differ; real hardware may set them: try --profile hardware/);
  t.notMatch(formatCompareReport(compareTrace(exp(want), tr, { profile: 'hardware' }), exp(want), tr), /hint:/);
});

t.test('record kinds are named when they differ', async (t) => {
  const tr = importDmesg('arm-smmu-v3 x: CMDQ timeout');
  const res = compareTrace({ events: [], hostLog: ['EVTQ overflow detected -- events lost'] }, tr);
  t.match(formatCompareReport(res, { events: [], hostLog: [] }, tr), /kind expected overflow got cmdq_timeout/);
});

t.test('a golden and its own scenario give the same CMDQ/GERROR records', async (t) => {
  const golden = `${root}golden/smoke/cmdq-cerror-ill-mid-batch.yaml`;
  const log = `${root}test/fixtures/traces/smoke-cmdq-ill.log`;
  const viaGolden = await runTraceCompare([golden, log]);
  const obs = parseYaml(readFileSync(golden, 'utf8')) as Observation;
  const viaScenario = await runTraceCompare(['smoke/cmdq-cerror-ill-mid-batch', log], () => expectedFromObservation(obs));
  t.equal(viaGolden.exitCode, 0, viaGolden.stdout);
  t.match(viaGolden.stdout, /records: 2 match, 0 differ, 0 missing, 0 extra/);
  t.equal(viaGolden.stdout, viaScenario.stdout);
});

t.test('compare warns before the verdict when the import reported problems', async (t) => {
  const r = await runTraceCompare([`${root}golden/smoke/s1-translation-fault.yaml`, `${root}test/fixtures/traces/corpus/silent.log`]);
  t.equal(r.exitCode, 1);
  t.match(r.stdout, /warning: the trace import reported 5 problems \(dropped SMMU lines or incomplete records, listed on stderr\)/);
});

t.test('decode listing shows every field the record type has (issue 15 item 6)', async (t) => {
  const { describeEvent } = await import('./decode.ts');
  // C_BAD_SUBSTREAMID with SSV=0 still names its SubstreamID; F_TRANSL_FORBIDDEN its RnW.
  const bad = describeEvent({ kind: 'event', instance: '', lines: [1], raw: [0x0000000800005008n, 0n, 0n, 0n] });
  t.match(bad, /C_BAD_SUBSTREAMID \(0x08\) sid=0x8 ssid=0x5 \(SSV=0\)/);
  const forb = describeEvent({ kind: 'event', instance: '', lines: [1], raw: [0x0000000800000007n, 1n << 35n, 0x4000n, 0n] });
  t.match(forb, /F_TRANSL_FORBIDDEN \(0x07\) sid=0x8 ssid=- RnW=1 InputAddr=0x4000/);
  const dmg = describeEvent({ kind: 'event', instance: '', lines: [1], raw: [0x10n, 0n, 0n, 0n], damaged: [1] });
  t.match(dmg, /\[damaged dwords: 1\]/);
});
