// The qtest transport against a real QEMU (skipped, with the reason, where QEMU is absent): the
// protocol, pipelining, a clear error for a missing binary, and that QEMU is always reaped —
// on close, when it dies under us, and when the synchronous bridge times out.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { QtestSession } from '../src/target/qemu/qtest.ts';
import { SyncQtest, livePids } from '../src/target/qemu/bridge.ts';
import { QemuTarget, SMMU_BASE, machineArgs, threadBridge } from '../src/target/qemu/target.ts';
import { reuseStats, setQemuReuse } from '../src/target/qemu/reuse.ts';
import { REG } from '../src/arch/registers.ts';
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
  t.ok(livePids().includes(pid), 'tracked');
  // a malformed command kills QEMU (g_assert in qtest.c): the call fails as a TargetFailure
  t.throws(() => q.batch(['readl']), TargetFailure);
  t.throws(() => q.batch(['readl 0x9050000']), TargetFailure, 'broken session stays failed');
  q.stop();
  t.ok(await gone(pid), 'QEMU gone');
  t.notOk(livePids().includes(pid), 'no longer tracked');
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
    // the output address of a write is checked where the golden expects it (a canary the
    // zero write replaces); the software's bytes are put back either way
    q.writeMem(0x1000_0000n, new Uint8Array([1, 2, 3, 4]));
    t.same(q.transaction({ sid: 0x10, iova: 0x1000_0000n, access: 'write', expectPa: 0x1000_0000n }), { kind: 'completed', pa: 0x1000_0000n });
    t.same(q.transaction({ sid: 0x10, iova: 0x1000_0000n, access: 'write', expectPa: 0x1000_0100n }), { kind: 'unobserved', notAt: 0x1000_0100n });
    t.same([...q.readMem(0x1000_0100n, 4)], [0, 0, 0, 0], 'canary removed after a miss');
    // a read fills edu's buffer at its start; writes take their data elsewhere, so still zeros
    q.writeMem(0x1000_0200n, new Uint8Array([9, 9, 9, 9]));
    t.same(q.transaction({ sid: 0x10, iova: 0x1000_0200n, access: 'read' }), { kind: 'unobserved' });
    t.same(
      q.transaction({ sid: 0x10, iova: 0x1000_0000n, access: 'write', expectPa: 0x1000_0000n }),
      { kind: 'completed', pa: 0x1000_0000n },
      'a write after a read still stores zeros',
    );
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

/** Linear stream table at 0x4000_0000 (512 STEs) with a bypass STE for `sid` only, SMMUEN=1: a DMA write from `sid` goes to its IOVA. */
function bypassWrite(q: QemuTarget, pa: bigint, sid = 0x10): unknown {
  const ste = new Uint8Array(64);
  ste[0] = 0x9; // V=1, Config=0b100 (bypass) (§5.2)
  q.writeMem(0x4000_0000n + BigInt(sid) * 64n, ste);
  q.writeReg64(REG.STRTAB_BASE, 0x4000_0000n);
  q.writeReg32(REG.STRTAB_BASE_CFG, 9);
  q.writeReg32(REG.CR0, 1);
  return q.transaction({ sid, iova: pa, access: 'write', expectPa: pa });
}

t.test('StreamIDs above 0xff: edus below PCIe root ports whose secondary bus numbers the harness programs', opts, async (t) => {
  setQemuReuse(false);
  try {
    for (const sid of [0x105, 0x103]) {
      const q = new QemuTarget({ binary: QEMU, sids: [0x10, sid] });
      try {
        t.equal(q.capabilities.streamIds?.(sid), undefined, `0x${sid.toString(16)} can issue`);
        t.same(
          bypassWrite(q, 0x4020_0000n, sid),
          { kind: 'completed', pa: 0x4020_0000n },
          `the SMMU sees StreamID 0x${sid.toString(16)}: its bypass STE lets the write through`,
        );
      } finally {
        q.close();
      }
    }
  } finally {
    setQemuReuse(undefined);
  }
  const { qemuStreamIdProblem } = await import('../src/target/qemu/target.ts');
  t.match(qemuStreamIdProblem(3), /single-function PCI host bridge/);
  t.match(qemuStreamIdProblem(0x10d), /only device 0/);
  t.equal(qemuStreamIdProblem(0x2007), undefined);
});

t.test('reuse: a parked QEMU is as a fresh one (memory zeroed, registers and the 2-level flag reset)', opts, async (t) => {
  setQemuReuse(true);
  process.once('exit', () => threadBridge().stop());
  const seen: number[] = [];
  try {
    const fresh = new QemuTarget({ binary: QEMU, sids: [0x10] });
    const regs = [REG.STRTAB_BASE, REG.CMDQ_BASE, REG.EVENTQ_BASE].map((o) => fresh.readReg64(o));
    const pid = threadBridge().pid;
    seen.push(pid);
    // scenario A: memory in RAM and in an ivshmem window, an event-queue ring the SMMU writes
    // (simulated under the target, as the SMMU's own writes are), the 2-level format (sticky in QEMU until reset)
    fresh.writeMem(0x4900_3000n, new Uint8Array([1, 2, 3, 4]));
    fresh.writeMem(0x1000_5000n, new Uint8Array([5, 6, 7, 8]));
    fresh.writeReg64(REG.EVENTQ_BASE, 0x4800_0000n | 4n);
    threadBridge().batch(['write 0x48000040 4 0x11223344']);
    fresh.writeReg64(REG.STRTAB_BASE, 0x4000_0000n);
    fresh.writeReg32(REG.STRTAB_BASE_CFG, (1 << 16) | (4 << 6) | 8);
    fresh.close();
    const b = new QemuTarget({ binary: QEMU, sids: [0x10] });
    try {
      t.equal(threadBridge().pid, pid, 'the same QEMU');
      t.same([...b.readMem(0x4900_3000n, 4)], [0, 0, 0, 0], 'RAM the scenario wrote is zero');
      t.same([...b.readMem(0x1000_5000n, 4)], [0, 0, 0, 0], 'ivshmem memory the scenario wrote is zero');
      t.same([...b.readMem(0x4800_0040n, 4)], [0, 0, 0, 0], 'the event-queue ring is zero');
      t.same(
        [REG.STRTAB_BASE, REG.CMDQ_BASE, REG.EVENTQ_BASE].map((o) => b.readReg64(o)),
        regs,
        'base registers read as fresh',
      );
      t.same(bypassWrite(b, 0x4020_0000n), { kind: 'completed', pa: 0x4020_0000n }, 'a linear stream table works: the 2-level format was reset');
    } finally {
      b.close();
    }
    t.ok(reuseStats.reused >= 1);
    // a scenario with a StreamID the parked machine lacks gets a fresh QEMU, which replaces it
    const c = new QemuTarget({ binary: QEMU, sids: [0x20] });
    c.close();
    t.not(threadBridge().pid, pid, 'a new QEMU for StreamID 0x20');
    seen.push(threadBridge().pid);
    t.notOk(alive(pid), 'the replaced QEMU was reaped');
    t.notOk(livePids().includes(pid), 'the replaced QEMU is no longer tracked');
    t.ok(livePids().includes(threadBridge().pid), 'the running one is');
  } finally {
    setQemuReuse(undefined);
    threadBridge().stop();
  }
  t.same(
    seen.filter((p) => alive(p) || livePids().includes(p)),
    [],
    'both QEMUs reaped and untracked',
  );
});
