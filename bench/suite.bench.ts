/**
 * Whole-suite wall time through the compiled CLI (targets: 200 scenarios <= 2 s on 2 cores,
 * cold start `smmu-conform --help` <= 0.3 s). Needs `npm run build` first (npm run bench does it).
 * Run directly: `node --import=tsx bench/suite.bench.ts`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const AREAS = ['s1', 's2', 'nested', 'cmdq'];

export interface SuiteBenchResult {
  readonly scenarios: number;
  readonly jobs: number;
  readonly suiteSeconds: number;
  readonly scenariosPerSecond: number;
  readonly coldStartSeconds: number;
  /** Same suite with bench/null-executor.mjs: the harness alone, no emulation. */
  readonly harnessOnlySeconds: number;
  readonly exitCode: number;
  readonly targets: { readonly suiteSeconds: number; readonly coldStartSeconds: number };
}

/** A realistic scenario: S1 or nested tables, a CD, an STE, DMA hits, a fault, a TLBI. */
function scenarioText(i: number): string {
  const nested = i % 4 === 2;
  const va = 0x1000 * (1 + (i % 7));
  return `description: Generated benchmark scenario ${i} (SMMUv3 §3.2).
tags: [bench]
requires: [s1${nested ? ', s2, nesting' : ''}]
devices: [ { name: d, sid: ${0x10 + (i % 32)} } ]
memory:
${
  nested
    ? `  s2_tables:
    - { name: vm, granule: 4k, ipa_bits: 40, map: [ { ipa: 0x4000_0000, pa: 0x9000_0000, size: 4M, perm: rw } ] }
`
    : ''
}  s1_tables:
    - name: pt
      granule: 4k
      va_bits: 48
${nested ? '      ipa_space: vm\n' : ''}      map:
        - { va: ${va}, ${nested ? 'ipa: 0x4000_2000' : 'pa: 0x8000_0000'}, size: 4K, perm: rw }
        - { va: 0x20_0000, ${nested ? 'ipa: 0x4020_0000' : 'pa: 0x8020_0000'}, size: 2M, perm: r }
  cd_tables:
    - { name: cd, ${nested ? 'ipa_space: vm, ' : ''}entries: [ { ssid: 0, asid: ${1 + (i % 200)}, tt0: pt } ] }
streams:
  - { device: d, config: ${nested ? 'nested, s2_table: vm, vmid: 3' : 's1'}, cd_table: cd }
steps:
  - dma: { device: d, iova: ${va}, access: read }
  - dma: { device: d, iova: 0x20_1234, access: read }
  - dma: { device: d, iova: 0x9_9000, access: write }
  - cmdq: { commands: [ { op: TLBI_NH_VA, asid: ${1 + (i % 200)}, addr: ${va} } ] }
  - dma: { device: d, iova: ${va}, access: write }
`;
}

/** Write `n` generated scenarios under `dir`/scenarios, spread over four areas. */
export function writeBenchSuite(dir: string, n: number): void {
  for (let i = 0; i < n; i++) {
    const area = AREAS[i % AREAS.length] ?? 's1';
    mkdirSync(join(dir, 'scenarios', area), { recursive: true });
    writeFileSync(join(dir, 'scenarios', area, `b${String(i).padStart(3, '0')}.yaml`), scenarioText(i));
  }
}

function cli(args: string[], cwd: string): { status: number; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '' } });
  return { status: r.status ?? -1, seconds: (performance.now() - t0) / 1000 };
}

export async function benchSuite(opts: { scenarios?: number; jobs?: number } = {}): Promise<SuiteBenchResult> {
  if (!existsSync(CLI)) throw new Error(`Cannot benchmark: ${CLI} is missing; run npm run build first`);
  const n = opts.scenarios ?? 200;
  const jobs = opts.jobs ?? 2;
  const dir = mkdtempSync(join(tmpdir(), 'smmu-bench-'));
  try {
    writeBenchSuite(dir, n);
    cli(['run', '--update', '--create', '--jobs', String(jobs), '--reporter', 'json'], dir); // goldens, untimed
    const runs = [0, 1, 2].map(() => cli(['run', '--jobs', String(jobs), '--reporter', 'json'], dir));
    const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const nullExec = fileURLToPath(new URL('./null-executor.mjs', import.meta.url));
    cli(['run', '--update', '--create', '--jobs', String(jobs), '--golden', 'golden-null', '--executor', nullExec], dir);
    const harness = [0, 1, 2].map(
      () => cli(['run', '--jobs', String(jobs), '--reporter', 'json', '--golden', 'golden-null', '--executor', nullExec], dir).seconds,
    );
    const starts = [0, 1, 2, 3, 4].map(() => cli(['--help'], dir).seconds).sort((a, b) => a - b);
    return {
      scenarios: n,
      jobs,
      suiteSeconds: best.seconds,
      scenariosPerSecond: n / best.seconds,
      coldStartSeconds: starts[2] ?? Number.NaN,
      harnessOnlySeconds: Math.min(...harness),
      exitCode: best.status,
      targets: { suiteSeconds: 2, coldStartSeconds: 0.3 },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const r = await benchSuite();
  const mark = (ok: boolean): string => (ok ? 'ok' : 'OVER TARGET');
  process.stdout.write(
    `suite: ${r.scenarios} scenarios, --jobs ${r.jobs}: ${r.suiteSeconds.toFixed(2)} s (${r.scenariosPerSecond.toFixed(0)} scenarios/s; target <= ${r.targets.suiteSeconds} s: ${mark(r.suiteSeconds <= r.targets.suiteSeconds)}), exit ${r.exitCode}\n` +
      `harness alone (null executor, same suite): ${r.harnessOnlySeconds.toFixed(2)} s\n` +
      `cold start (--help, median of 5): ${r.coldStartSeconds.toFixed(3)} s (target <= ${r.targets.coldStartSeconds} s: ${mark(r.coldStartSeconds <= r.targets.coldStartSeconds)})\n`,
  );
}
