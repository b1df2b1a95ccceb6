/**
 * Generation + reference run in process, no YAML round trip (issue 16 part 5): DMA-and-table
 * scenarios (areas s1, s2, nested) generated and executed on one core, one after the other.
 * Reported per CPU second of this process (user + system), so other load on the machine does
 * not count, and per wall second. Target: >= 2,000 scenarios/s. The other areas are reported too.
 * Run directly: `node --import=tsx bench/generate.bench.ts`.
 */
import { performance } from 'node:perf_hooks';
import { executeScenario } from '../src/engine/execute.ts';
import { generateScenarios } from '../src/generate/index.ts';

export interface GenerateBenchResult {
  readonly areas: string;
  readonly scenarios: number;
  /** Scenarios per CPU second: generation + execution. */
  readonly perCpuSecond: number;
  readonly perWallSecond: number;
  /** Share of the CPU time spent generating (the rest is the reference run). */
  readonly generateShare: number;
}

const PROFILE = { profile: { name: 'bench', features: [] } } as const;
const cpuMs = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1000;

export function benchGenerate(areas: readonly string[], scenarios: number): GenerateBenchResult {
  // warm up the JIT on other seeds
  for (const g of generateScenarios({ seed: 0xbe1c, count: 200, areas })) executeScenario(g.scenario, PROFILE);
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const gs = generateScenarios({ seed: 0x16, count: scenarios, areas });
  const genCpu = cpuMs(process.cpuUsage(cpu0));
  for (const g of gs) executeScenario(g.scenario, PROFILE);
  const cpu = cpuMs(process.cpuUsage(cpu0));
  const wall = performance.now() - wall0;
  return { areas: areas.join(','), scenarios, perCpuSecond: scenarios / (cpu / 1000), perWallSecond: scenarios / (wall / 1000), generateShare: genCpu / cpu };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const areas of [['s1', 's2', 'nested'], ['s1'], ['s2'], ['nested'], ['ste', 'cd'], ['cmdq'], ['caching']]) {
    const r = benchGenerate(areas, 2000);
    console.log(
      `${r.areas.padEnd(12)} ${Math.round(r.perCpuSecond)}/CPU-s  ${Math.round(r.perWallSecond)}/s wall  generation ${(100 * r.generateShare).toFixed(0)}%`,
    );
  }
}
