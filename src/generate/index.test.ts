// The generator's contract: every generated scenario validates from its YAML (the YAML loads
// back to the very object that runs in process), runs on the reference model without an
// exception, and the same seed gives the same scenarios byte for byte.
import t from 'tap';
import { isDeepStrictEqual } from 'node:util';
import { loadScenarioText } from '../engine/load.ts';
import { executeScenario } from '../engine/execute.ts';
import { AREA_NAMES, checkAreas, generateOne, generateScenarios } from './index.ts';
import { fuzzCount } from '../../test/fuzz-size.ts';

const COUNT = fuzzCount(30, 1000);

t.test('every generated scenario validates, loads back to the same object and runs', async (t) => {
  for (const area of AREA_NAMES) {
    const gs = generateScenarios({ seed: 0x5eed, count: COUNT, areas: [area] });
    const problems: string[] = [];
    for (const g of gs) {
      const r = loadScenarioText(g.yaml(), { file: `${g.id}.yaml`, id: g.id });
      if (r.scenario === undefined) {
        problems.push(`${g.id}: ${r.errors.map((e) => `${e.line}:${e.col} ${e.code} ${e.message}`).join('; ')}`);
        continue;
      }
      if (!isDeepStrictEqual(r.scenario, g.scenario)) problems.push(`${g.id}: the YAML loads to a different scenario than the object`);
      try {
        executeScenario(g.scenario, { profile: { name: 'generated', features: [] } });
      } catch (e) {
        problems.push(`${g.id}: executor threw ${(e as Error).message}`);
      }
    }
    t.same(problems, [], `${area}: ${gs.length} scenarios`);
  }
});

t.test('same seed, same scenarios byte for byte; another seed, others', async (t) => {
  const a = generateScenarios({ seed: 42, count: 30 }).map((g) => g.yaml());
  const b = generateScenarios({ seed: 42, count: 30 }).map((g) => g.yaml());
  const c = generateScenarios({ seed: 43, count: 30 }).map((g) => g.yaml());
  t.same(a, b);
  t.not(a.join(''), c.join(''));
  t.equal(new Set(a).size, a.length, 'no two scenarios of a run are equal');
});

t.test('any one scenario is rebuilt from its own seed and area', async (t) => {
  for (const g of generateScenarios({ seed: 9, count: 10 })) t.equal(generateOne(g.area, g.seed).yaml(), g.yaml(), g.id);
});

t.test('areas: all by default, unknown ones refused by name', async (t) => {
  t.same(checkAreas(undefined), AREA_NAMES);
  t.throws(() => generateScenarios({ seed: 1, count: 1, areas: ['s3'] }), /Unknown area "s3"; expected one of: s1/);
  const only = generateScenarios({ seed: 1, count: 20, areas: ['s2'] });
  t.ok(only.every((g) => g.area === 's2' && g.id.startsWith('gen-s2-')));
});
