/**
 * QEMU target benchmarks, per QEMU version (issue 13 targets: the whole suite on QEMU with 2
 * workers <= 60 s on 2 cores; <= 80 ms per DMA-only scenario): Debian's QEMU 7.2 and QEMU 10.x
 * unpacked into .qemu/10 by scripts/install-qemu.sh --backports, each skipped with the reason when
 * absent. Uses the compiled CLI (npm run bench builds first).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { type RunTask, runOne } from '../src/engine/run-one.ts';
import { FEATURES } from '../src/scenario/features.ts';
import { reuseStats, setQemuReuse } from '../src/target/qemu/reuse.ts';
import { threadBridge } from '../src/target/qemu/target.ts';

const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The QEMUs the install script provides. */
export const QEMUS: ReadonlyArray<{ readonly label: string; readonly binary: string; readonly unpacked: boolean }> = [
  { label: 'QEMU (system)', binary: 'qemu-system-aarch64', unpacked: false },
  { label: 'QEMU 10 (.qemu/10)', binary: join(ROOT, '.qemu/10/usr/bin/qemu-system-aarch64'), unpacked: true },
];

export interface QemuBenchResult {
  readonly label: string;
  readonly skipped?: string;
  /** The target name the run reported (`qemu-7.2`). */
  readonly target?: string;
  readonly suiteSeconds?: number;
  readonly suiteCounts?: Record<string, number>;
  /** Mean and largest wall time of the scenarios that ran on QEMU (pass/fail/xfail/xpass), in the 2-job run. */
  readonly ranMeanMs?: number;
  readonly ranMaxMs?: number;
  readonly dmaScenarioMs?: number;
  readonly dmaScenarios?: number;
  /** Size of the HTML report of the whole suite on this QEMU. */
  readonly htmlBytes?: number;
  /** 1-minute load average before and after (timings are noisy under load). */
  readonly load?: readonly [number, number];
  /** Per DMA-only scenario, in one thread: a fresh QEMU each (start-up = spawn, connect, PCI set-up) and a reused one (start-up = park: zero memory, reset, restore, PCI). */
  readonly split?: { readonly fresh: SplitMs; readonly reused: SplitMs };
  readonly targets: { readonly suiteSeconds: number; readonly dmaScenarioMs: number };
}

const TARGETS = { suiteSeconds: 60, dmaScenarioMs: 80 };

export interface SplitMs {
  readonly totalMs: number;
  readonly startupMs: number;
}

/** Run the DMA-only scenarios in this thread, fresh and reused, and split each one's wall time into QEMU start-up (or park) and the rest. */
export async function splitCost(binary: string, dir: string, n: number): Promise<{ fresh: SplitMs; reused: SplitMs }> {
  const ctx = {
    executorModule: new URL('../src/engine/execute.ts', import.meta.url).href,
    profile: { name: 'emulator', features: [...FEATURES] },
    target: { kind: 'qemu' as const, binary },
  };
  const task = (i: number): RunTask => ({
    id: `bench/dma-${i}`,
    file: join(dir, 'scenarios', 'bench', `dma-${i}.yaml`),
    display: `dma-${i}`,
    goldenFile: join(dir, 'golden', 'bench', `dma-${i}.yaml`),
    goldenDisplay: '',
    keepActual: false,
    timings: false,
  });
  const measure = async (reuse: boolean): Promise<SplitMs> => {
    setQemuReuse(reuse);
    try {
      await runOne(task(0), ctx); // warm: target probe, first QEMU, module loading
      const s0 = { ...reuseStats };
      const t0 = performance.now();
      for (let i = 1; i < n; i++) await runOne(task(i), ctx);
      const totalMs = (performance.now() - t0) / (n - 1);
      const startupMs = (reuseStats.freshMs - s0.freshMs + reuseStats.parkMs - s0.parkMs) / (n - 1);
      return { totalMs, startupMs };
    } finally {
      setQemuReuse(undefined);
      threadBridge().stop();
    }
  };
  return { fresh: await measure(false), reused: await measure(true) };
}

/** A DMA-only scenario: stage-1 tables, one STE, four DMAs (two translate, two fault). */
function dmaScenario(i: number): string {
  return `description: Generated DMA-only benchmark scenario ${i} (SMMUv3 §3.2).
tags: [bench]
requires: [s1]
devices: [ { name: d, sid: 0x10 } ]
memory:
  s1_tables:
    - name: pt
      granule: 4k
      va_bits: 48
      map: [ { va: 0x1000, pa: 0x8000_0000, size: 4K, perm: rw } ]
  cd_tables:
    - { name: cds, entries: [ { ssid: 0, asid: 1, tt0: pt } ] }
streams:
  - { device: d, config: s1, cd_table: cds }
steps:
  - dma: { device: d, iova: 0x1000, access: read }
  - dma: { device: d, iova: 0x1004, access: write }
  - dma: { device: d, iova: 0x5000, access: read }
  - dma: { device: d, iova: 0x6000, access: write }
`;
}

function run(args: string[], cwd: string): { seconds: number; status: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { seconds: (performance.now() - t0) / 1000, status: r.status ?? -1, stdout: r.stdout };
}

export async function benchQemu(q: (typeof QEMUS)[number]): Promise<QemuBenchResult> {
  const base = { label: q.label, targets: TARGETS };
  if (q.unpacked && !existsSync(q.binary)) return { ...base, skipped: `${q.binary} not unpacked (scripts/install-qemu.sh --backports)` };
  try {
    execFileSync(q.binary, ['--version'], { stdio: 'ignore' });
  } catch {
    return { ...base, skipped: `${q.binary} not installed (scripts/install-qemu.sh)` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'smmu-qemu-bench-'));
  try {
    const load0 = loadavg()[0] ?? 0;
    const html = join(dir, 'report.html');
    const target = `qemu=${q.binary}`;
    const suite = run(['run', '--target', target, '-j', '2', '--timings', '-R', 'json', '-R', `html:${html}`], ROOT);
    let counts: Record<string, number> = {};
    let name: string | undefined;
    let ran: number[] = [];
    try {
      const doc = JSON.parse(suite.stdout) as { target?: string; summary: Record<string, number>; results: Array<{ state: string; duration_ms?: number }> };
      counts = doc.summary;
      name = doc.target;
      ran = doc.results.filter((r) => r.state !== 'skip' && r.state !== 'error').map((r) => r.duration_ms ?? 0);
    } catch {
      counts = { unreadable: 1 };
    }
    mkdirSync(join(dir, 'scenarios', 'bench'), { recursive: true });
    const n = 20;
    for (let i = 0; i < n; i++) writeFileSync(join(dir, 'scenarios', 'bench', `dma-${i}.yaml`), dmaScenario(i));
    // goldens first (built-in), then the QEMU run against them, one scenario at a time
    run(['run', '--update', '--create', '-j', '1'], dir);
    // per scenario: (n scenarios - 1 scenario) / (n - 1), so process and worker start-up cancel out
    const one = run(['run', '--target', target, '-j', '1', 'scenarios/bench/dma-0.yaml'], dir);
    const all = run(['run', '--target', target, '-j', '1'], dir);
    const split = await splitCost(q.binary, dir, n);
    return {
      ...base,
      ...(name !== undefined ? { target: name } : {}),
      suiteSeconds: suite.seconds,
      suiteCounts: counts,
      ...(ran.length > 0 ? { ranMeanMs: ran.reduce((a, b) => a + b, 0) / ran.length, ranMaxMs: Math.max(...ran) } : {}),
      dmaScenarioMs: ((all.seconds - one.seconds) * 1000) / (n - 1),
      dmaScenarios: n,
      ...(existsSync(html) ? { htmlBytes: statSync(html).size } : {}),
      load: [load0, loadavg()[0] ?? 0],
      split,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
