/**
 * `npm run bench`: every speed and memory target of the project, printed as one table.
 * Targets live here, not in timed tests (a loaded CI machine must not turn a test red).
 * `npm run bench` builds first, so the suite and cold-start figures use the compiled CLI.
 */
import { benchTranslate } from './translate.bench.ts';
import { TRACE_MEMORY_INPUTS, benchTraceImport, benchTraceMemory } from './trace.bench.ts';
import { benchSuite } from './suite.bench.ts';
import { QEMUS, benchQemu } from './qemu.bench.ts';
import { REPORT_TARGET_BYTES, benchReport } from './report.bench.ts';
import { benchGenerate } from './generate.bench.ts';

interface Row {
  readonly what: string;
  readonly value: string;
  readonly target: string;
  readonly ok: boolean;
}

const TRANSLATE_TARGETS: Record<string, number> = {
  'nested 4K 4x4-level walk, TLB miss (policy none)': 500_000,
  'nested TLB hit (policy max)': 5_000_000,
};

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const r of benchTranslate()) {
    const target = TRANSLATE_TARGETS[r.name];
    rows.push({
      what: `translate: ${r.name}`,
      value: `${r.perSecond.toLocaleString('en-US')}/s`,
      target: target === undefined ? '-' : `>= ${target.toLocaleString('en-US')}/s`,
      ok: target === undefined || r.perSecond >= target,
    });
  }
  const tr = benchTraceImport();
  rows.push({
    what: `trace import (${tr.megabytes} MB dmesg)`,
    value: `${tr.mbPerSecond} MB/s (CPU ${tr.cpuMbPerSecond}; all kept ${tr.retainedCpuMbPerSecond})`,
    target: '>= 50 MB/s',
    ok: tr.mbPerSecond >= 50,
  });
  for (const input of TRACE_MEMORY_INPUTS) {
    const mem = benchTraceMemory(input);
    if (typeof mem === 'string') rows.push({ what: `trace import ${input} to YAML, peak memory`, value: mem, target: '<= 3x input', ok: false });
    else
      rows.push({
        what: `trace import ${input} to YAML (${mem.megabytes} MB), peak RSS (child maxRSS)`,
        value: `${mem.peakMb} MB (${(mem.peakMb / mem.megabytes).toFixed(1)}x, ${mem.seconds.toFixed(1)} s)`,
        target: '<= 3x input',
        ok: mem.peakMb <= 3 * mem.megabytes,
      });
  }
  const s = await benchSuite({ scenarios: 200, jobs: 2 });
  rows.push({
    what: `suite: ${s.scenarios} scenarios, ${s.jobs} jobs`,
    value: `${s.suiteSeconds.toFixed(2)} s (${Math.round(s.scenariosPerSecond)}/s)`,
    target: `<= ${s.targets.suiteSeconds} s`,
    ok: s.suiteSeconds <= s.targets.suiteSeconds,
  });
  rows.push({
    what: 'CLI cold start (--help)',
    value: `${s.coldStartSeconds.toFixed(3)} s`,
    target: `<= ${s.targets.coldStartSeconds} s`,
    ok: s.coldStartSeconds <= s.targets.coldStartSeconds,
  });
  // issue 16 part 5: generation + reference run in process, DMA-and-table scenarios, one core,
  // compiled code (built above); the plain suite runner: the compiled CLI on 200 YAML files, 2 jobs
  const g = await benchGenerate(['s1', 's2', 'nested'], 4000, 'dist');
  rows.push({
    what: `generate + run in process (${g.scenarios} s1/s2/nested, dist/), one core`,
    value: `${Math.round(g.perCpuSecond).toLocaleString('en-US')}/CPU-s, ${Math.round(g.perWallSecond).toLocaleString('en-US')}/s wall (x${(g.perWallSecond / s.scenariosPerSecond).toFixed(1)} suite runner's ${Math.round(s.scenariosPerSecond)}/s wall on ${s.jobs} jobs)`,
    target: '>= 2,000/CPU-s',
    ok: g.perCpuSecond >= 2000,
  });
  const rep = benchReport();
  if (typeof rep === 'string') rows.push({ what: 'HTML report of the whole suite', value: rep, target: '<= 2 MB', ok: false });
  else
    rows.push({
      what: `HTML report of the whole suite (${rep.scenarios} scenarios, emulator)`,
      value: `${(rep.bytes / 1024 / 1024).toFixed(2)} MB`,
      target: '<= 2 MB',
      ok: rep.bytes <= REPORT_TARGET_BYTES,
    });
  for (const qemu of QEMUS) {
    const q = await benchQemu(qemu);
    const name = q.target ?? q.label;
    if (q.skipped !== undefined) {
      rows.push({ what: `${q.label}`, value: `skipped: ${q.skipped}`, target: '-', ok: true });
      continue;
    }
    rows.push({
      what: `${name}: whole suite, 2 jobs (${JSON.stringify(q.suiteCounts)})`,
      value: `${(q.suiteSeconds ?? 0).toFixed(1)} s`,
      target: `<= ${q.targets.suiteSeconds} s`,
      ok: (q.suiteSeconds ?? Infinity) <= q.targets.suiteSeconds,
    });
    rows.push({
      what: `${name}: per scenario that ran on QEMU (mean, max; 2 jobs)`,
      value: `${(q.ranMeanMs ?? 0).toFixed(0)} ms, ${(q.ranMaxMs ?? 0).toFixed(0)} ms`,
      target: '-',
      ok: true,
    });
    if (q.split !== undefined) {
      const f = q.split.fresh;
      const r = q.split.reused;
      rows.push({
        what: `${name}: per DMA-only scenario in one thread, QEMU start-up + rest: fresh QEMU / reused (load ${(q.load ?? [0, 0]).map((l) => l.toFixed(1)).join('→')})`,
        value: `${f.totalMs.toFixed(0)} ms (${f.startupMs.toFixed(0)} + ${(f.totalMs - f.startupMs).toFixed(0)}) / ${r.totalMs.toFixed(0)} ms (${r.startupMs.toFixed(0)} + ${(r.totalMs - r.startupMs).toFixed(0)})`,
        target: '-',
        ok: true,
      });
    }
    rows.push({
      what: `${name}: per DMA-only scenario (${q.dmaScenarios ?? 0} x 4 DMAs)`,
      value: `${(q.dmaScenarioMs ?? 0).toFixed(0)} ms`,
      target: `<= ${q.targets.dmaScenarioMs} ms`,
      ok: (q.dmaScenarioMs ?? Infinity) <= q.targets.dmaScenarioMs,
    });
    if (q.htmlBytes !== undefined)
      rows.push({
        what: `${name}: HTML report of the whole suite`,
        value: `${(q.htmlBytes / 1024 / 1024).toFixed(2)} MB`,
        target: '<= 2 MB',
        ok: q.htmlBytes <= REPORT_TARGET_BYTES,
      });
  }
  const w = Math.max(...rows.map((r) => r.what.length));
  for (const r of rows) console.log(`${r.ok ? 'ok  ' : 'SLOW'} ${r.what.padEnd(w)}  ${r.value.padEnd(28)} target ${r.target}`);
}

await main();
