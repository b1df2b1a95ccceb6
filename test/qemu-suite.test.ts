// The whole conformance suite on QEMU's SMMUv3 (QEMU 7.2 from Debian; QEMU 10 too when
// scripts/install-qemu.sh --backports unpacked it into .qemu/10): every scenario must be pass,
// SKIP (with its reason) or XFAIL (a deviation listed in targets/<name>.yaml with rule and
// section). Skipped, with the reason shown, where QEMU is not installed. The counts are printed.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runSuite } from '../src/engine/run-suite.ts';
import { FEATURES } from '../src/scenario/features.ts';
import type { TargetSpec } from '../src/target/contract.ts';
import { loadTargetExpectations } from '../src/target/expectations.ts';
import { targetName } from '../src/target/name.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const EXECUTOR = new URL('../src/engine/execute.ts', import.meta.url);

function runnable(binary: string): string | undefined {
  try {
    execFileSync(binary, ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return undefined;
  } catch {
    return `${binary} not found (scripts/install-qemu.sh installs it)`;
  }
}

/** Which QEMU this file runs: the system one, or the unpacked 10.x (test/qemu10-suite.test.ts). */
const WHICH = (globalThis as { SMMU_CONFORM_QEMU_WHICH?: string }).SMMU_CONFORM_QEMU_WHICH ?? 'system';
const QEMUS =
  WHICH === 'system'
    ? [{ label: 'QEMU (system, Debian 7.2)', binary: process.env['SMMU_CONFORM_QEMU'] ?? 'qemu-system-aarch64' }]
    : [{ label: 'QEMU 10 (.qemu/10)', binary: `${ROOT}.qemu/10/usr/bin/qemu-system-aarch64` }];

// A few minutes of QEMU processes: on by default under CI (.ci/run installs QEMU first) and with
// SMMU_CONFORM_QEMU_SUITE=1; a local `npm test` says how to run it.
const wanted =
  process.env['SMMU_CONFORM_QEMU_SUITE'] === '1' ||
  (process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false' && process.env['CI'] !== '0');
for (const q of QEMUS) {
  const missing = !wanted
    ? 'the whole suite on QEMU runs under CI or with SMMU_CONFORM_QEMU_SUITE=1 (test/qemu-qtest.test.ts covers the transport here)'
    : q.label.includes('10') && !existsSync(q.binary)
      ? `${q.binary} not unpacked (scripts/install-qemu.sh --backports)`
      : runnable(q.binary);
  t.test(`conformance suite on ${q.label}`, missing !== undefined ? { skip: missing } : {}, async (t) => {
    const target: TargetSpec = { kind: 'qemu', binary: q.binary };
    const name = targetName(target);
    const file = `${ROOT}targets/${name}.yaml`;
    const expectFail = existsSync(file) ? loadTargetExpectations(file) : undefined;
    if (typeof expectFail === 'string') throw new Error(expectFail);
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
    t.ok(ran > 50, `${ran} scenarios ran on ${name}`);
  });
}
