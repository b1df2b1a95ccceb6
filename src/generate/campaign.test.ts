// The bounded property campaign (issue 16 part 2): generated scenarios of every area through
// every reference-model property (src/generate/properties.ts). Zero violations; each one ever
// found was a bug fixed with its minimised scenario in scenarios/. `npm test` runs 1,000: each
// scenario costs ~3 reference runs (itself, its cache_policy none and stage-only variants, every
// 4th twice), ~3-4 ms of CPU on the loaded 2-core development machine, so the 2,000 would
// add ~6 s to npm test and 1,000 adds ~3 s over the former 300; FUZZ=large runs 5,000,
// FUZZ=<n> exactly n (seeded: a failure names the scenario id, `smmu-conform generate --id ID`
// rebuilds it).
import t from 'tap';
import { fuzzCount } from '../../test/fuzz-size.ts';
import { AREA_NAMES, generateScenarios } from './index.ts';
import { checkProperties } from './properties.ts';

const count = fuzzCount(1000, 5000);
const seed = Number(process.env['GEN_SEED'] ?? 0x16);

t.test(`${count} generated scenarios keep every property (seed ${seed})`, async (t) => {
  const found: string[] = [];
  const perArea = new Map<string, number>();
  generateScenarios({ seed, count }).forEach((g, i) => {
    perArea.set(g.area, (perArea.get(g.area) ?? 0) + 1);
    // determinism costs a second run: every 4th scenario
    for (const v of checkProperties(g.scenario, { determinism: i % 4 === 0 })) found.push(`${g.id} step ${v.step ?? '-'}: ${v.property}: ${v.message}`);
  });
  t.same(found, [], 'no property violation');
  t.same([...perArea.keys()].sort(), [...AREA_NAMES].sort(), 'every area drawn');
});
