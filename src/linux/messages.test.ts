import t from 'tap';
import { readFileSync } from 'node:fs';
import { formatCmdqError, formatEventLog, formatEvtqOverflow, formatGerror, formatSyncTimeout, hexAlt, withDmesgPrefix } from './messages.ts';
import { splitLogLine } from './log-line.ts';

const FIX = new URL('../../test/fixtures/traces/', import.meta.url);
const payloads = (name: string): string[] =>
  readFileSync(new URL(name, FIX), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => splitLogLine(l).payload);

// Hand-computed records (fixtures/traces/dmesg-614.log).
const A = [0x0000000800000010n, 0x0000020800000000n, 0x1000n, 0n]; // F_TRANSLATION S1 CLASS=IN read
const B = [0x0000001000005813n, 0x000011828000002an, 0x0000ffffc0001000n, 0x80042000n]; // F_PERMISSION S2 TT ttd_read stall
const C = [0x0000000300000009n, 0n, 0n, 0x40001040n]; // F_CD_FETCH
const D = [0x0000002000000004n, 0n, 0n, 0n]; // C_BAD_STE
const E = [0x0000000800000010n, 0x0000008800000000n, 0x2000n, 0x40000000n]; // F_TRANSLATION S2 CLASS=CD

t.test('hexAlt prints %#x: 0 without 0x', async (t) => {
  t.equal(hexAlt(0n), '0');
  t.equal(hexAlt(0x2an), '0x2a');
  t.equal(hexAlt(16), '0x10');
});

t.test('pre-6.14 era: raw dump only', async (t) => {
  t.same(formatEventLog(A, { era: 'pre-6.14' }), [
    'event 0x10 received:',
    '\t0x0000000800000010',
    '\t0x0000020800000000',
    '\t0x0000000000001000',
    '\t0x0000000000000000',
  ]);
  t.same(payloads('dmesg-pre614.log').slice(2, 7), formatEventLog(A, { era: 'pre-6.14' }));
});

t.test('6.14+ era: raw dump plus decoded lines match the hand-written fixture', async (t) => {
  const got = [
    ...formatEventLog(A, { era: '6.14+', client: '0000:01:00.0' }),
    ...formatEventLog(B, { era: '6.14+', client: '0000:02:00.0' }),
    ...formatEventLog(C, { era: '6.14+' }),
    ...formatEventLog(D, { era: '6.14+' }),
    ...formatEventLog(E, { era: '6.14+', client: '0000:01:00.0' }),
  ];
  t.same(got, payloads('dmesg-614.log'));
  t.equal(got[5], 'event: F_TRANSLATION client: 0000:01:00.0 sid: 0x8 ssid: 0 iova: 0x1000 ipa: 0');
  t.equal(got[13], 'priv data write s2 "Stage 1 translation table fetch" ttd_read stall stag: 0x2a');
});

t.test('6.14+: types Linux does not name print UNKNOWN; ttd_* only for F_PERMISSION CLASS=TT', async (t) => {
  const walk = [0x000000050000000bn, 0n, 0x3000n, 0x40000008n];
  t.equal(formatEventLog(walk, { era: '6.14+' })[5], 'event: UNKNOWN client: (unassigned sid) sid: 0x5 ssid: 0');
  // F_TRANSLATION with CLASS=TT and TTRnW set: no ttd word.
  const tt = [0x0000000100000010n, (1n << 40n) | (1n << 44n), 0n, 0n];
  t.equal(formatEventLog(tt, { era: '6.14+' })[6], 'unpriv data write s1 "Stage 1 translation table fetch" stag: 0');
  // F_PERMISSION with CLASS=TT, TTRnW=0: ttd_write.
  const perm = [0x0000000100000013n, 1n << 40n, 0n, 0n];
  t.equal(formatEventLog(perm, { era: '6.14+' })[6], 'unpriv data write s1 "Stage 1 translation table fetch" ttd_write stag: 0');
  // ssid prints 0 when SSV=0 even if the field holds junk; IPA printed masked to [51:12].
  const junk = [0x0000000100abc010n, 1n << 39n, 0n, 0xfff0_0000_1234_5fffn];
  t.equal(formatEventLog(junk, { era: '6.14+' })[5], 'event: F_TRANSLATION client: (unassigned sid) sid: 0x1 ssid: 0 iova: 0 ipa: 0x12345000');
});

t.test('CMDQ error lines per CERROR code', async (t) => {
  t.same(formatCmdqError(0x01000004, [0x99n, 0n]), [
    'CMDQ error (cons 0x01000004): Illegal command',
    'skipping command in error state:',
    '\t0x0000000000000099',
    '\t0x0000000000000000',
  ]);
  t.same(formatCmdqError(0x02000010), ['CMDQ error (cons 0x02000010): Abort on command fetch', 'retrying command fetch']);
  t.same(formatCmdqError(0x03000001), ['CMDQ error (cons 0x03000001): ATC invalidate timeout']);
  t.same(formatCmdqError(0x00000001), ['CMDQ error (cons 0x00000001): No error']);
  t.same(formatCmdqError(0x05000000, [1n, 2n]).slice(0, 2), ['CMDQ error (cons 0x05000000): Unknown', 'skipping command in error state:']);
});

t.test('CMD_SYNC timeout, overflow, GERROR', async (t) => {
  t.same(formatSyncTimeout(0x12, 0x13, 0x10), ['CMD_SYNC timeout at 0x00000012 [hwprod 0x00000013, hwcons 0x00000010]']);
  t.same(formatEvtqOverflow(), ['EVTQ overflow detected -- events lost']);
  t.same(formatGerror(0x104), [
    'unexpected global error reported (0x00000104), this could be serious',
    'device has entered Service Failure Mode!',
    'EVTQ write aborted -- events may have been lost',
  ]);
  t.same(formatGerror(0x2), [], 'bit 1 is outside GERROR_ERR_MASK');
  const g = formatGerror(0x1, { cons: 0x01000004, command: [0x99n, 0n] });
  t.equal(g.length, 5);
  t.equal(g[1], 'CMDQ error (cons 0x01000004): Illegal command');
  t.same(formatGerror(0xf0), [
    'unexpected global error reported (0x000000f0), this could be serious',
    'GERROR MSI write aborted',
    'PRIQ MSI write aborted',
    'EVTQ MSI write aborted',
    'CMDQ MSI write aborted',
  ]);
});

t.test('withDmesgPrefix', async (t) => {
  t.same(withDmesgPrefix(['event 0x10 received:'], { device: 'arm-smmu-v3.0.auto', timestamp: 12.5 }), [
    '[   12.500000] arm-smmu-v3 arm-smmu-v3.0.auto: event 0x10 received:',
  ]);
  t.same(withDmesgPrefix(['x'], { device: '2b400000.iommu' }), ['arm-smmu-v3 2b400000.iommu: x']);
  t.same(withDmesgPrefix(['x'], { device: 'd', timestamp: 123456.000001 }), ['[123456.000001] arm-smmu-v3 d: x']);
});
