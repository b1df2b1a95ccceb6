// Mutation fuzzing of the suite's scenarios at scale (issue 12 part 6). Usage:
//   node --import=tsx scripts/fuzz-scenarios.ts [mutants] [runs] [from]
// Defaults: 26,000 mutants through validate and every accepted one through run (about one
// mutant in five is accepted: 5,000 and more runs). With `runs`, every k-th accepted index runs.
// Mutants are processed in chunks inside a worker thread; a mutant (validate or run) that makes
// no progress for HANG_MS is a hang: the worker is terminated, the mutant recorded, and fuzzing
// resumes after it. A worker's start-up (loading the sources) has its own, longer allowance.
// Exit 1 when any exception escaped, any run hung or went over its budget, or a rejection had no
// location.
import { Worker } from 'node:worker_threads';

const total = Number(process.argv[2] ?? 26_000);
const runs = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const from = Number(process.argv[4] ?? 0);
const HANG_MS = Number(process.env['FUZZ_HANG_MS'] ?? 60_000);
const STARTUP_MS = 300_000;
// About 20% of mutants are accepted; with `runs`, run every k-th index to run about that many.
const runEvery = runs === undefined ? 1 : Math.max(1, Math.floor((total * 0.2) / runs));

interface Totals {
  validated: number;
  rejected: number;
  accepted: number;
  ran: number;
  overBudget: number;
  maxRunMs: number;
  slowest: string;
}
const totals: Totals = { validated: 0, rejected: 0, accepted: 0, ran: 0, overBudget: 0, maxRunMs: 0, slowest: '' };
const escapes = new Map<string, { count: number; example: string }>();
const unlocated: string[] = [];
const hangs: string[] = [];

const WORKER = `
import { parentPort, workerData } from 'node:worker_threads';
const tsx = await import(workerData.tsx);
tsx.register();
const { fuzzScenarios } = await import(workerData.module);
const what = (m) => m.seed + ' (' + m.edits.join(', ') + ')';
const rep = fuzzScenarios({ from: workerData.from, to: workerData.to, runEvery: workerData.runEvery,
  budget: { maxSteps: 2_000_000, maxMs: 20_000 },
  onMutant: (m) => parentPort.postMessage({ running: m.index, what: 'validate ' + what(m) }),
  onRun: (m) => parentPort.postMessage({ running: m.index, what: 'run ' + what(m) }) });
parentPort.postMessage({ done: { ...rep, escapes: [...rep.escapes] } });
`;
const TSX = import.meta.resolve('tsx/esm/api');

function chunk(a: number, b: number): Promise<number> {
  return new Promise((resolve) => {
    const w = new Worker(WORKER, {
      eval: true,
      workerData: { tsx: TSX, module: new URL('../test/scenario-mutants.ts', import.meta.url).href, from: a, to: b, runEvery },
    });
    let current = { index: a, what: '(worker start-up)' };
    let timer = setTimeout(onHang, STARTUP_MS);
    function onHang(): void {
      hangs.push(`mutant #${current.index} ${current.what}`);
      void w.terminate();
      resolve(current.index + 1);
    }
    w.on(
      'message',
      (m: { running?: number; what?: string; done?: Totals & { escapes: [string, { count: number; example: string }][]; unlocated: string[] } }) => {
        if (m.running !== undefined) {
          current = { index: m.running, what: m.what ?? '' };
          clearTimeout(timer);
          timer = setTimeout(onHang, HANG_MS);
        }
        if (m.done !== undefined) {
          clearTimeout(timer);
          const d = m.done;
          totals.validated += d.validated;
          totals.rejected += d.rejected;
          totals.accepted += d.accepted;
          totals.ran += d.ran;
          totals.overBudget += d.overBudget;
          if (d.maxRunMs > totals.maxRunMs) {
            totals.maxRunMs = d.maxRunMs;
            totals.slowest = d.slowest;
          }
          for (const [k, v] of d.escapes) {
            const e = escapes.get(k);
            if (e !== undefined) e.count += v.count;
            else escapes.set(k, v);
          }
          unlocated.push(...d.unlocated);
          void w.terminate();
          resolve(b);
        }
      },
    );
    w.on('error', (e) => {
      clearTimeout(timer);
      escapes.set(`worker died: ${e.message}`, { count: 1, example: `near mutant #${current.index}` });
      resolve(current.index + 1);
    });
  });
}

const t0 = performance.now();
const CHUNK = 500;
for (let a = from; a < from + total; ) {
  const b = Math.min(from + total, a + CHUNK);
  a = await chunk(a, b);
  if (process.stderr.isTTY) process.stderr.write(`\r${a - from}/${total}`);
}
process.stderr.write('\n');
const s = ((performance.now() - t0) / 1000).toFixed(1);
console.log(
  `mutants ${total} (from #${from}): validated ${totals.validated}, rejected ${totals.rejected}, accepted ${totals.accepted}, ran ${totals.ran}; escapes ${[...escapes.values()].reduce((n, e) => n + e.count, 0)}, hangs ${hangs.length}, over budget ${totals.overBudget}; longest run ${totals.maxRunMs.toFixed(0)} ms; ${s} s`,
);
console.log(`slowest run: ${totals.slowest}`);
console.log(`unlocated rejections: ${unlocated.length}`);
for (const u of unlocated.slice(0, 10)) console.log(`  ${u}`);
for (const h of hangs) console.log(`  hang: ${h}`);
console.log(`escape classes: ${escapes.size}`);
for (const [cls, e] of [...escapes].sort((x, y) => y[1].count - x[1].count)) console.log(`  ${e.count} x ${cls}\n      e.g. ${e.example}`);
process.exitCode = escapes.size > 0 || unlocated.length > 0 || hangs.length > 0 || totals.overBudget > 0 ? 1 : 0;
