// The whole conformance suite on QEMU's SMMUv3 (QEMU 7.2 from Debian; QEMU 10 too when
// scripts/install-qemu.sh --backports unpacked it into .qemu/10, or SMMU_CONFORM_QEMU10 names it): every scenario must be pass,
// SKIP (with its reason) or XFAIL (a deviation listed in targets/<name>.yaml with rule and
// section). Skipped, with the reason shown, where QEMU is not installed. The counts are printed.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { FEATURES } from '../src/scenario/features.ts';
import type { TargetSpec } from '../src/target/contract.ts';
import { loadTargetExpectations } from '../src/target/expectations.ts';
import { targetName } from '../src/target/name.ts';
import { SYSTEM_QEMU, qemuMissing } from './support/qemu.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const EXECUTOR = new URL('../src/engine/execute.ts', import.meta.url);

/** Both QEMUs the install script provides: Debian's 7.2 (system) and 10.x unpacked into .qemu/10. */
const QEMUS = [
  { label: 'QEMU (system, Debian 7.2)', binary: SYSTEM_QEMU, unpacked: false },
  { label: 'QEMU 10 (.qemu/10)', binary: process.env['SMMU_CONFORM_QEMU10'] ?? `${ROOT}.qemu/10/usr/bin/qemu-system-aarch64`, unpacked: true },
];

// A few minutes of QEMU processes: on by default under CI (.ci/run installs QEMU first) and with
// SMMU_CONFORM_QEMU_SUITE=1; a local `npm test` says how to run it.
const wanted =
  process.env['SMMU_CONFORM_QEMU_SUITE'] === '1' ||
  (process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false' && process.env['CI'] !== '0');
for (const q of QEMUS) {
  const missing = !wanted
    ? 'the whole suite on QEMU runs under CI or with SMMU_CONFORM_QEMU_SUITE=1 (test/qemu-qtest.test.ts covers the transport here)'
    : q.unpacked && !existsSync(q.binary)
      ? `${q.binary} not unpacked (scripts/install-qemu.sh --backports)`
      : qemuMissing(q.binary);
  t.test(`conformance suite on ${q.label}`, missing !== undefined ? { skip: missing } : {}, async (t) => {
    const target: TargetSpec = { kind: 'qemu', binary: q.binary };
    const name = targetName(target);
    const file = `${ROOT}targets/${name}.yaml`;
    const expectFail = existsSync(file) ? loadTargetExpectations(file) : undefined;
    if (typeof expectFail === 'string') throw new Error(expectFail);
    // loaded here, not at the top: outside CI both tests skip and this process need not load the engine
    const { runSuite } = await import('../src/engine/run-suite.ts');
    const suite = await runSuite({
      cwd: ROOT,
      root: `${ROOT}scenarios`,
      goldenDir: `${ROOT}golden`,
      patterns: [],
      jobs: 2,
      ...(expectFail !== undefined ? { expectFail } : {}),
      profile: { name: 'emulator', features: [...FEATURES] },
      executorModule: EXECUTOR.href,
      target,
    });
    const count: Record<string, number> = {};
    for (const r of suite.results) count[r.state] = (count[r.state] ?? 0) + 1;
    const ran = (count['pass'] ?? 0) + (count['xfail'] ?? 0) + (count['fail'] ?? 0) + (count['xpass'] ?? 0);
    t.comment(`${name}: ${ran} scenarios ran on QEMU — ${JSON.stringify(count)}`);
    for (const r of suite.results) {
      if (r.state === 'fail' || r.state === 'xpass' || r.state === 'error') t.fail(`${r.id}: ${r.state}`, { diag: r.messages.join('\n') });
    }
    // the expectation file is exact: every entry is a deviation this run observed (XFAIL), none
    // is left for a scenario that passed, was skipped or does not exist
    const state = new Map(suite.results.map((r) => [r.id, r.state]));
    for (const d of expectFail?.deviations ?? []) {
      if (state.get(d.scenario) !== 'xfail') t.fail(`targets/${name}.yaml lists ${d.scenario}, which was ${state.get(d.scenario) ?? 'not found'} on ${name}`);
    }
    t.ok(ran > 50, `${ran} scenarios ran on ${name}`);
  });
}
