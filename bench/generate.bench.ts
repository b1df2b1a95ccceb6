/**
 * Generation + reference run in process, no YAML round trip (issue 16 part 5): DMA-and-table
 * scenarios (areas s1, s2, nested) generated and executed on one core, one after the other.
 * Reported per CPU second of this process (user + system; other load on the machine does not
 * count, V8's GC helper threads do) and per wall second. Target: >= 2,000 scenarios/s.
 *
 * `npm run bench` measures the compiled code in dist/ (what `smmu-conform generate` and the
 * suite runner ship; it builds first). Run directly, `node --import=tsx bench/generate.bench.ts`
 * measures src/ through tsx, and dist/ too when it is built.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { ExecuteScenario } from '../src/scenario/observation.ts';
import type { GeneratedScenario, GenerateOptions } from '../src/generate/index.ts';

export interface GenerateBenchResult {
  readonly areas: string;
  readonly scenarios: number;
  /** Which code ran: dist/ (compiled) or src/ through tsx. */
  readonly code: 'dist' | 'src';
  /** Scenarios per CPU second: generation + execution. */
  readonly perCpuSecond: number;
  readonly perWallSecond: number;
  /** Share of the CPU time spent generating (the rest is the reference run). */
  readonly generateShare: number;
}

interface Impl {
  readonly executeScenario: ExecuteScenario;
  readonly generateScenarios: (o: GenerateOptions) => GeneratedScenario[];
}

const DIST = new URL('../dist/src/', import.meta.url);

export function distBuilt(): boolean {
  return existsSync(fileURLToPath(new URL('generate/index.js', DIST)));
}

async function load(code: 'dist' | 'src'): Promise<Impl> {
  if (code === 'dist' && !distBuilt()) throw new Error(`Cannot benchmark dist/: ${fileURLToPath(DIST)} is not built; run npm run build first`);
  const [exec, gen] =
    code === 'dist'
      ? await Promise.all([import(new URL('engine/execute.js', DIST).href), import(new URL('generate/index.js', DIST).href)])
      : await Promise.all([import('../src/engine/execute.ts'), import('../src/generate/index.ts')]);
  return { executeScenario: exec.executeScenario, generateScenarios: gen.generateScenarios };
}

const PROFILE = { profile: { name: 'bench', features: [] } } as const;
const cpuMs = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1000;

export async function benchGenerate(areas: readonly string[], scenarios: number, code: 'dist' | 'src' = 'dist'): Promise<GenerateBenchResult> {
  const { executeScenario, generateScenarios } = await load(code);
  // Warm up on other seeds, as many scenarios as are measured: a campaign runs thousands, and V8
  // is still tiering up over the first few thousand (after 500, the next 4,000 s1/s2/nested ran
  // at ~0.7x the rate of the 4,000 after them, dist, same seed). The figure is the steady rate.
  for (const g of generateScenarios({ seed: 0xbe1c, count: Math.max(500, scenarios), areas })) executeScenario(g.scenario, PROFILE);
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const gs = generateScenarios({ seed: 0x16, count: scenarios, areas });
  const genCpu = cpuMs(process.cpuUsage(cpu0));
  for (const g of gs) executeScenario(g.scenario, PROFILE);
  const cpu = cpuMs(process.cpuUsage(cpu0));
  const wall = performance.now() - wall0;
  return {
    areas: areas.join(','),
    scenarios,
    code,
    perCpuSecond: scenarios / (cpu / 1000),
    perWallSecond: scenarios / (wall / 1000),
    generateShare: genCpu / cpu,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const code of distBuilt() ? (['src', 'dist'] as const) : (['src'] as const))
    for (const areas of [['s1', 's2', 'nested'], ['s1'], ['s2'], ['nested'], ['ste', 'cd'], ['cmdq'], ['caching']]) {
      const r = await benchGenerate(areas, 4000, code);
      console.log(
        `${r.code.padEnd(5)} ${r.areas.padEnd(12)} ${Math.round(r.perCpuSecond)}/CPU-s  ${Math.round(r.perWallSecond)}/s wall  generation ${(100 * r.generateShare).toFixed(0)}%`,
      );
    }
}
