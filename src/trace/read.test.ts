/**
 * Input hazards of issue 15 item 4: binary or random data is "not a log", size limits hold while
 * reading (/dev/zero cannot hang), a huge line of glued messages neither overflows the stack nor
 * floods the diagnostics, a wrong --format says so, control characters never reach the terminal.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTraceFile, runTraceDecode, runTraceImport } from './cli.ts';
import { notText, readChunks } from './read.ts';
import { DIAGNOSTIC_LIMIT } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'smmu-read-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, data: string | Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};

t.test('binary and random data are not a log', async (t) => {
  t.match(notText(new Uint8Array([0x5b, 0x20, 0, 0x41])), /binary data \(1 NUL byte/);
  let x = 0x12345678;
  const random = new Uint8Array(8192).map(() => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) & 0xff || 1; // no NUL: the control-character and UTF-8 test must catch it
  });
  t.match(notText(random), /binary or random data/);
  t.equal(notText(new TextEncoder().encode('[  1.0] arm-smmu-v3 x: événement 0x10 received:\n')), undefined, 'UTF-8 text is text');
  const r = runTraceImport([file('random.bin', random)]);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /random\.bin:1: error: ".*random\.bin" is not a log: binary or random data .* \[NOT_A_LOG\]/);
  t.equal(r.stdout, '', 'no invented records');
});

t.test('/dev/zero stops at the first chunk instead of hanging', { skip: process.platform !== 'linux' && 'needs /dev/zero' }, async (t) => {
  const r = loadTraceFile('/dev/zero');
  t.match(r.error, /\/dev\/zero" is not a log: binary data .*\[NOT_A_LOG\]/);
});

t.test('the size limit is checked while reading', async (t) => {
  const big = file('big.log', '[  1.000000] nvme nvme0: I/O timeout\n'.repeat(80_000));
  const r = readChunks(big, () => {}, 1024 * 1024);
  t.equal(r.error?.code, 'TOO_LARGE');
  t.ok(r.bytes <= 2 * 1024 * 1024, 'stopped after the chunk that crossed the limit');
  t.match(runTraceImport([big, '--max-size', '1']), { exitCode: 2, stderr: /larger than the 1 MiB limit.*\[TOO_LARGE\]/ });
  t.match(runTraceImport([big, '--max-size', 'lots']), { exitCode: 2, stderr: /--max-size must be a positive number of MiB/ });
});

t.test('one huge line of glued messages: no recursion, capped diagnostics', async (t) => {
  const msg = 'arm-smmu-v3 x.iommu: event: F_TRANSLATION client: 0000:01:00.0 sid: 0x8 ssid: 0 iova: 0x1000 ipa: 0';
  const n = 20_000;
  const r = loadTraceFile(file('glued.log', `[  1.000000] ${Array(n).fill(msg).join('')}\n`));
  const tr = r.trace;
  t.equal(tr?.records.length, n, 'every glued message is a record');
  t.equal(tr?.diagnostics.length, DIAGNOSTIC_LIMIT, 'diagnostics kept: the first N');
  t.equal(tr?.totals?.note, n, 'every diagnostic counted');
  t.equal(tr?.totals?.omitted, n - DIAGNOSTIC_LIMIT);
  const d = runTraceDecode([join(dir, 'glued.log')]);
  t.match(d.stderr, new RegExp(`glued\\.log: ${n - DIAGNOSTIC_LIMIT} more diagnostics not shown \\(by code: DECODED_WITHOUT_RAW ${n}\\)`));
});

t.test('a wrong --format says which format the text looks like', async (t) => {
  const log = file('k.log', '[  1.0] arm-smmu-v3 x: event 0x10 received:\n[  1.0] arm-smmu-v3 x: \t0x0000000800000010\n');
  const r = runTraceImport([log, '--format', 'qemu']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /k\.log:1: error: no qemu records found; the text looks like a kernel log \(try --format dmesg or leave --format out\) \[WRONG_FORMAT\]/);
});

t.test('control characters from the input are escaped on the terminal', async (t) => {
  const log = file('ctl.log', '[  1.0] arm-smmu-v3 x: event 0xz\u0007\u0085 received:\n');
  const r = runTraceImport([log]);
  t.match(r.stderr, /cannot parse event header: "event 0xz\\x07\\x85 received:"/);
  t.notOk(/[\u0007\u0085]/.test(r.stderr + r.stdout), 'no raw BEL or NEL');
});
