import t from 'tap';
import { FAKE_CMDQ_BASE, FakePort } from './fake-port.ts';
import { driverIssue } from './driver-cmdq.ts';
import { commandOpcode as opcodeOf } from '../arch/command.ts';
import { cmdSync, cmdTlbiNhAll } from './commands.ts';

const collect = (): { lines: string[]; log: (l: 'err' | 'warn' | 'info', s: string) => void } => {
  const lines: string[] = [];
  return { lines, log: (_l, s) => lines.push(s) };
};

t.test('behaviour 19: illegal command → logged, slot rewritten to CMD_SYNC, GERRORN acked, submitter succeeds', (tt) => {
  const port = new FakePort();
  const { lines, log } = collect();
  const r = driverIssue(port, [cmdTlbiNhAll(1), [0x7fn, 0xabcn], cmdTlbiNhAll(2), cmdSync()], log);
  tt.match(r, { ok: true });
  tt.same(lines, [
    'unexpected global error reported (0x00000001), this could be serious',
    'CMDQ error (cons 0x01000001): Illegal command',
    'skipping command in error state:',
    '\t0x000000000000007f',
    '\t0x0000000000000abc',
  ]);
  tt.same(
    port.executed.map((c) => opcodeOf(c)),
    [0x10, 0x46, 0x10, 0x46],
    'bad slot executed as CMD_SYNC, later commands run',
  );
  tt.equal(opcodeOf(port.ring[1] ?? []), 0x46);
  tt.equal(port.readReg(0x60), port.readReg(0x64), 'GERROR acknowledged');
  tt.end();
});

t.test('behaviour 20: CERROR_ABT → "retrying command fetch", slot untouched; ATC_INV_SYNC → SYNC re-executed', (tt) => {
  const port = new FakePort({ fetchAborts: 1 });
  const { lines, log } = collect();
  tt.match(driverIssue(port, [cmdTlbiNhAll(1), cmdSync()], log), { ok: true });
  tt.same(lines.slice(1), ['CMDQ error (cons 0x02000000): Abort on command fetch', 'retrying command fetch']);
  tt.same(
    port.executed.map((c) => opcodeOf(c)),
    [0x10, 0x46],
  );
  const p2 = new FakePort({ atcSyncFailures: 1 });
  const c2 = collect();
  tt.match(driverIssue(p2, [[0x40n | (5n << 32n), 52n], cmdSync()], c2.log), { ok: true });
  tt.same(c2.lines.slice(1), ['CMDQ error (cons 0x03000001): ATC invalidate timeout']);
  tt.same(
    p2.executed.map((c) => opcodeOf(c)),
    [0x40, 0x46],
    'the SYNC itself re-executed, not rewritten',
  );
  tt.end();
});

t.test('behaviour 18: a queue that never drains → ETIMEDOUT and the CMD_SYNC timeout line', (tt) => {
  const port = new FakePort({ stallAfter: 1 });
  const { lines, log } = collect();
  const r = driverIssue(port, [cmdTlbiNhAll(1), cmdTlbiNhAll(2), cmdSync()], log);
  tt.match(r, { ok: false, errno: 'ETIMEDOUT' });
  tt.same(lines, ['CMD_SYNC timeout at 0x00000002 [hwprod 0x00000003, hwcons 0x00000001]']);
  const p2 = new FakePort({ atcSyncFailures: 100 });
  const c2 = collect();
  tt.match(driverIssue(p2, [cmdSync()], c2.log, { pollBudget: 3 }), { ok: false, errno: 'ETIMEDOUT' }, 'SYNC that keeps faulting');
  tt.end();
});

t.test('MSI polling: the trailing CMD_SYNC becomes CS=IRQ, MSIAddr = its own slot, MSH=ISH, MSIAttr=0xF', (tt) => {
  const port = new FakePort();
  const { log } = collect();
  driverIssue(port, [cmdTlbiNhAll(1), cmdSync()], log, { msiPolling: true });
  driverIssue(port, [cmdTlbiNhAll(2), cmdSync()], log, { msiPolling: true });
  const sync = port.executed[3] ?? [];
  tt.equal(sync[0], 0x46n | (1n << 12n) | (3n << 22n) | (0xfn << 24n));
  tt.equal(sync[1], FAKE_CMDQ_BASE + 3n * 16n, 'slot 3');
  driverIssue(port, [cmdSync()], log);
  tt.equal(((port.executed[4]?.[0] ?? 0n) >> 12n) & 3n, 2n, 'without MSI polling: CS=SEV');
  tt.end();
});
