// Reusing one QEMU across scenarios (src/target/qemu/reuse.ts) must not change any result: every
// scenario's result (state, messages and the raw observation text) on a reused QEMU, with the
// scenarios run forwards and then backwards, is byte for byte the result of a fresh QEMU per
// scenario. Here on a set chosen for the state a scenario can leave behind (2-level stream table,
// CMDQ errors left active, register writes, event-queue overflow, DMA writes). The whole suite,
// on each installed QEMU, with SMMU_CONFORM_QEMU_REUSE_PROOF=1 (minutes: one thread, a fresh QEMU
// per scenario for the reference pass; docs/targets.md has the recorded result). Skipped where
// QEMU is absent.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { discoverScenarios } from '../src/engine/discover.ts';
import { type RunContext, type RunTask, runOne } from '../src/engine/run-one.ts';
import { goldenPath } from '../src/golden/store.ts';
import { FEATURES } from '../src/scenario/features.ts';
import { threadBridge } from '../src/target/qemu/target.ts';
import { reuseStats, setQemuReuse } from '../src/target/qemu/reuse.ts';
import { livePids } from '../src/target/qemu/bridge.ts';
import { SYSTEM_QEMU, qemuMissing } from './support/qemu.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const EXECUTOR = new URL('../src/engine/execute.ts', import.meta.url).href;

const SET = [
  'config/strtab-fmt-back-to-linear', // 2-level format, then linear (QEMU's flag is sticky until reset)
  'events/c-bad-streamid-beyond-log2size',
  'cmdq/cerror-ill-first-of-batch', // leaves CMDQ_ERR active
  'cmdq/cmdqen-toggle-keeps-cmdq-err',
  'config/cr2-read-only-while-smmuen',
  'profiles/small-evtq-overflow', // event queue full, GERROR.EVENTQ_ABT_ERR
  'smoke/s1-translate',
  'smoke/s1-translation-fault',
  's1/permission-write-read-only',
  'caching/cfgi-all-fresh',
];

const full = process.env['SMMU_CONFORM_QEMU_REUSE_PROOF'] === '1';

function tasks(ids: readonly string[] | undefined): RunTask[] {
  const found = discoverScenarios([], `${ROOT}scenarios`, ROOT);
  const refs = found.refs.filter((r) => r.id !== undefined && (ids === undefined || ids.includes(r.id)));
  return refs.map((r) => ({
    id: r.id,
    file: r.file,
    display: r.display,
    goldenFile: goldenPath(`${ROOT}golden`, r.id as string),
    goldenDisplay: '',
    keepActual: true,
    timings: false,
  }));
}

/** Run the tasks in this order in this thread; result fingerprint per scenario id. */
async function run(list: readonly RunTask[], binary: string, reuse: boolean): Promise<Map<string, string>> {
  setQemuReuse(reuse);
  const ctx: RunContext = { executorModule: EXECUTOR, profile: { name: 'emulator', features: [...FEATURES] }, target: { kind: 'qemu', binary } };
  const out = new Map<string, string>();
  try {
    for (const task of list) {
      const r = await runOne(task, ctx);
      const { duration_ms: _d, ...rest } = r as typeof r & { duration_ms?: number };
      out.set(r.id, JSON.stringify(rest));
    }
  } finally {
    setQemuReuse(undefined);
  }
  return out;
}

const QEMUS = [
  { label: 'QEMU (system)', binary: SYSTEM_QEMU },
  ...(full ? [{ label: 'QEMU 10 (.qemu/10)', binary: process.env['SMMU_CONFORM_QEMU10'] ?? `${ROOT}.qemu/10/usr/bin/qemu-system-aarch64` }] : []),
];

for (const q of QEMUS) {
  const missing = !existsSync(q.binary) && q.binary.includes('/') ? `${q.binary} not unpacked (scripts/install-qemu.sh --backports)` : qemuMissing(q.binary);
  t.test(
    `${q.label}: a reused QEMU gives every scenario the result of a fresh one (${full ? 'whole suite' : `${SET.length} scenarios`})`,
    missing !== undefined ? { skip: missing } : {},
    async (t) => {
      const list = tasks(full ? undefined : SET);
      if (!full) t.equal(list.length, SET.length, 'every scenario of the set exists');
      const fresh = await run(list, q.binary, false);
      const before = { ...reuseStats, dropped: { ...reuseStats.dropped } };
      const forward = await run(list, q.binary, true);
      const pid = threadBridge().pid;
      const backward = await run([...list].reverse(), q.binary, true);
      // the whole suite has scenarios with other StreamIDs, which need a machine of their own
      if (!full) t.equal(threadBridge().pid, pid, 'one QEMU served both reused passes');
      let ran = 0;
      for (const [id, want] of fresh) {
        if (!want.includes('"state":"skip"')) ran++;
        t.equal(forward.get(id), want, `${id}: forwards on a reused QEMU = fresh`);
        t.equal(backward.get(id), want, `${id}: backwards on a reused QEMU = fresh`);
      }
      t.comment(`reuse: ${JSON.stringify({ reused: reuseStats.reused - before.reused, fresh: reuseStats.fresh - before.fresh, dropped: reuseStats.dropped })}`);
      if (!full) t.equal(reuseStats.fresh - before.fresh, 1, 'one QEMU started; every later scenario reused it');
      t.comment(`${q.label}: ${ran} of ${fresh.size} scenarios ran on QEMU, each identical fresh, forwards and backwards`);
      const last = threadBridge().pid;
      threadBridge().stop();
      t.notOk(livePids().includes(last), 'the QEMU was reaped');
    },
  );
}
