// The qtest transport against a real QEMU (skipped, with the reason, where QEMU is absent): the
// protocol, pipelining, a clear error for a missing binary, and that QEMU is always reaped —
// on close, when it dies under us, and when the synchronous bridge times out.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { QtestSession } from '../src/target/qemu/qtest.ts';
import { SyncQtest, livePids } from '../src/target/qemu/bridge.ts';
import { QemuTarget, SMMU_BASE, machineArgs } from '../src/target/qemu/target.ts';
import { TargetFailure } from '../src/target/contract.ts';
import { SYSTEM_QEMU, qemuMissing } from './support/qemu.ts';

const QEMU = SYSTEM_QEMU;
const missing = qemuMissing(QEMU);
const opts = missing !== undefined ? { skip: missing } : {};

/** Running (a zombie waiting for its reaper counts as gone). */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
const gone = async (pid: number): Promise<boolean> => {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
};

t.test('a missing QEMU binary is a clear error, not a hang', async (t) => {
  await t.rejects(QtestSession.start({ binary: '/nonexistent/qemu-system-aarch64', args: [] }), /QEMU not found: \/nonexistent\/qemu-system-aarch64/);
  t.throws(() => new QemuTarget({ binary: '/nonexistent/qemu', sids: [] }), /QEMU not found/);
});

t.test('qtest: pipelined batch, SMMU IDR0, memory round trip; QMP quit reaps the process', opts, async (t) => {
  const s = await QtestSession.start({ binary: QEMU, args: machineArgs([0x10]).argv });
  const pid = s.pid;
  t.ok(alive(pid), 'QEMU runs');
  const idr0 = `readl 0x${(SMMU_BASE).toString(16)}`;
  const r = await s.batch([idr0, 'write 0x40000000 4 0x11223344', 'read 0x40000000 4', idr0]);
  t.match(r[0], /^OK 0x[0-9a-f]{16}$/);
  t.equal((BigInt((r[0] ?? '').slice(3)) >> 1n) & 1n, 1n, 'IDR0.S1P=1');
  t.same(r.slice(1), ['OK', 'OK 0x11223344', r[0]], 'replies in order');
  await s.close();
  t.notOk(alive(pid), 'reaped after close');
});

t.test('qtest: QEMU dying under a batch rejects it with the reason, and nothing is left running', opts, async (t) => {
  const s = await QtestSession.start({ binary: QEMU, args: machineArgs([]).argv });
  const pid = s.pid;
  process.kill(pid, 'SIGKILL');
  await t.rejects(s.batch(['readl 0x9050000']), /QEMU (exited|closed|connection lost)/);
  await s.close();
  t.notOk(alive(pid));
});

t.test('bridge: a scenario-level failure still reaps QEMU; a timeout kills it', opts, async (t) => {
  const q = new SyncQtest();
  q.start(QEMU, machineArgs([]).argv);
  const pid = q.pid;
  t.ok(alive(pid));
  t.same(livePids(), [pid]);
  // a malformed command kills QEMU (g_assert in qtest.c): the call fails as a TargetFailure
  t.throws(() => q.batch(['readl']), TargetFailure);
  t.throws(() => q.batch(['readl 0x9050000']), TargetFailure, 'broken session stays failed');
  q.stop();
  t.ok(await gone(pid), 'QEMU gone');
  t.same(livePids(), []);
  // a QEMU that does not answer in time is killed, not waited for
  q.start(QEMU, machineArgs([]).argv);
  const pid2 = q.pid;
  process.kill(pid2, 'SIGSTOP');
  t.throws(() => q.batch(['readl 0x9050000'], 300), /did not answer "batch" within 300 ms; killed it/);
  t.ok(await gone(pid2), 'stopped QEMU was killed');
  q.dispose();
});

t.test('QemuTarget: edu DMA through the SMMU in bypass (SMMUEN=0) and the StreamID rules', opts, async (t) => {
  const q = new QemuTarget({ binary: QEMU, sids: [0x10] });
  try {
    t.match(q.name, /^qemu-\d+\.\d+$/);
    t.equal(q.idRegs().idr0 & 0b10n, 0b10n);
    q.writeMem(0x1000_0000n, new Uint8Array([0xaa, 0xbb, 0xcc, 0xdd]));
    t.same([...q.readMem(0x1000_0000n, 4)], [0xaa, 0xbb, 0xcc, 0xdd], 'ivshmem window backs the harness layout at 0x1000_0000');
    t.same(q.transaction({ sid: 0x10, iova: 0x1000_0000n, access: 'write' }), { kind: 'unobserved' });
    t.same([...q.readMem(0x1000_0000n, 4)], [0, 0, 0, 0], 'edu wrote its (zero) buffer to the bypassed address');
    t.match(q.capabilities.streamIds?.(5) ?? '', /host bridge/);
    t.match(q.capabilities.streamIds?.(0x11) ?? '', /no edu/);
  } finally {
    q.close();
  }
});

t.test('a runner killed with SIGKILL (a test timeout) leaves no QEMU behind', opts, async (t) => {
  const { spawnSync } = await import('node:child_process');
  const child = [
    `import { SyncQtest } from ${JSON.stringify(new URL('../src/target/qemu/bridge.ts', import.meta.url).href)};`,
    `import { machineArgs } from ${JSON.stringify(new URL('../src/target/qemu/target.ts', import.meta.url).href)};`,
    `const q = new SyncQtest(); q.start(${JSON.stringify(QEMU)}, machineArgs([]).argv);`,
    'process.stdout.write(String(q.pid) + "\\n"); process.kill(process.pid, "SIGKILL");',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', child], { encoding: 'utf8', timeout: 60_000 });
  const pid = Number(r.stdout.trim());
  t.ok(pid > 0, `child started QEMU ${pid}`);
  t.ok(await gone(pid), 'QEMU died with its runner');
  if (alive(pid)) process.kill(pid, 'SIGKILL');
});
