/**
 * QEMU target benchmarks (issue 13 targets: the whole suite on QEMU with 2 workers <= 60 s on 2
 * cores; <= 80 ms per DMA-only scenario). Uses the compiled CLI (npm run bench builds first).
 * Skipped, with the reason, when qemu-system-aarch64 is not installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface QemuBenchResult {
  readonly skipped?: string;
  readonly suiteSeconds?: number;
  readonly suiteCounts?: Record<string, number>;
  readonly dmaScenarioMs?: number;
  readonly dmaScenarios?: number;
  readonly targets: { readonly suiteSeconds: number; readonly dmaScenarioMs: number };
}

const TARGETS = { suiteSeconds: 60, dmaScenarioMs: 80 };

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

export function benchQemu(): QemuBenchResult {
  try {
    execFileSync('qemu-system-aarch64', ['--version'], { stdio: 'ignore' });
  } catch {
    return { skipped: 'qemu-system-aarch64 not installed (scripts/install-qemu.sh)', targets: TARGETS };
  }
  const suite = run(['run', '--target', 'qemu', '-j', '2', '-R', 'json'], ROOT);
  let counts: Record<string, number> = {};
  try {
    counts = (JSON.parse(suite.stdout) as { summary: Record<string, number> }).summary;
  } catch {
    counts = { unreadable: 1 };
  }
  const dir = mkdtempSync(join(tmpdir(), 'smmu-qemu-bench-'));
  try {
    const n = 20;
    mkdirSync(join(dir, 'scenarios', 'bench'), { recursive: true });
    for (let i = 0; i < n; i++) writeFileSync(join(dir, 'scenarios', 'bench', `dma-${i}.yaml`), dmaScenario(i));
    // goldens first (built-in), then the QEMU run against them, one scenario at a time
    run(['run', '--update', '--create', '-j', '1'], dir);
    // per scenario: (n scenarios - 1 scenario) / (n - 1), so process and worker start-up cancel out
    const one = run(['run', '--target', 'qemu', '-j', '1', 'scenarios/bench/dma-0.yaml'], dir);
    const q = run(['run', '--target', 'qemu', '-j', '1'], dir);
    return { suiteSeconds: suite.seconds, suiteCounts: counts, dmaScenarioMs: ((q.seconds - one.seconds) * 1000) / (n - 1), dmaScenarios: n, targets: TARGETS };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
