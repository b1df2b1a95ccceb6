// Totality (issue 12 part 6): mutated suite scenarios are rejected with a location or run to an
// answer; no exception escapes the executor, no run exceeds its budget. FUZZ sets the count
// (fuzz-size.ts: 300 in npm test, 3,000 with FUZZ=large); the 26,000-mutant soak with a hang
// watchdog is `node --import=tsx scripts/fuzz-scenarios.ts`.
import t from 'tap';
import { fuzzCount } from './fuzz-size.ts';
import { fuzzScenarios } from './scenario-mutants.ts';

const count = fuzzCount(300, 3000);

t.test(`${count} mutants of the suite's scenarios through validate and run`, async (t) => {
  const rep = fuzzScenarios({ from: 0, to: count, runEvery: 1, budget: { maxSteps: 10_000, maxMs: 60_000 } });
  const escapes = [...rep.escapes].map(([cls, e]) => `${e.count} x ${cls} (${e.example})`);
  t.same(escapes, [], 'no exception escapes validate or the executor, no run over budget');
  t.same(rep.unlocated, [], 'every rejection is located with a code');
  t.equal(rep.validated, count);
  t.ok(rep.rejected > count / 10 && rep.ran > count / 10, `both outcomes exercised (rejected ${rep.rejected}, ran ${rep.ran})`);
});
