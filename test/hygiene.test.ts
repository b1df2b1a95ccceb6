// Scenario hygiene: every scenario under scenarios/ loads, cites its rule, is tagged, has its
// golden, and is not a renamed copy of another; every golden has its scenario. Each check lists
// every offender by path so one run shows all that needs fixing.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { canonicalJson, citesRule, findDuplicates, scenarioBody } from '../src/coverage/hygiene.ts';
import { checkHygiene } from '../src/coverage/hygiene-check.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SCENARIOS = `${ROOT}scenarios`;
const GOLDEN = `${ROOT}golden`;

t.test('citesRule: a § section or a reference note', async (t) => {
  for (const d of ['F_TRANSLATION at stage 1 (SMMUv3 §7.3.13)', 'see § 6.3.28', 'SMMUv3 section 4.1.3', 'as linux-smmuv3-iommufd.md describes',
    'errata B.4 says so', 'Arm ARM D8.2.7 concatenation', 'emulator-models.md #12']) t.ok(citesRule(d), d);
  for (const d of ['A translation that works', 'errata', 'the § sign alone', 'sections 1-3 of the notes', 'readme.md']) t.notOk(citesRule(d), d);
});

t.test('scenarioBody: drops name/description/tags/covers, sorts keys, bigints as hex', async (t) => {
  const a = { name: 'a/x', description: 'one', tags: ['x'], covers: ['r'], steps: [{ dma: { va: 0x1000n, device: 'gpu' } }], requires: ['s1'] };
  const b = { requires: ['s1'], steps: [{ dma: { device: 'gpu', va: 4096n } }], description: 'two', tags: ['y', 'z'] };
  t.equal(scenarioBody(a), scenarioBody(b), 'only naming keys and key order differ');
  t.equal(scenarioBody(a), '{"requires":["s1"],"steps":[{"dma":{"device":"gpu","va":"0x1000"}}]}');
  t.not(scenarioBody(a), scenarioBody({ ...b, requires: ['s1', 's2'] }), 'requires is part of the body');
  t.not(scenarioBody(a), scenarioBody({ ...b, steps: [{ dma: { device: 'gpu', va: 0x2000n } }] }));
  t.not(canonicalJson([1, 2]), canonicalJson([2, 1]), 'list order matters (steps are ordered)');
  t.equal(canonicalJson({ a: undefined, b: null }), '{"b":null}');
  t.equal(scenarioBody([1]), '[1]', 'a non-map document is kept as is');
});

t.test('findDuplicates: groups identical bodies, reports every path', async (t) => {
  t.same(findDuplicates([{ id: 's1/b', body: 'X' }, { id: 's1/a', body: 'Y' }, { id: 'cmdq/c', body: 'X' }, { id: 's2/d', body: 'X' }, { id: 'e', body: 'Z' }]), [['cmdq/c', 's1/b', 's2/d']]);
  t.same(findDuplicates([{ id: 'a', body: 'X' }, { id: 'b', body: 'Y' }]), []);
});

t.test('checkHygiene finds every kind of problem in a synthetic tree', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hygiene-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const put = (rel: string, text: string): void => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  const body = (addr: string): string => `steps:\n  - cmdq: { commands: [{ op: TLBI_NH_VA, vmid: 1, asid: 2, addr: ${addr} }], sync: true }\n`;
  put('scenarios/s1/good.yaml', `description: A cited rule (SMMUv3 §4.4.2).\ntags: [s1]\n${body('0x1000')}`);
  put('scenarios/s1/copy.yaml', `description: The same test, renamed (SMMUv3 §4.4.2; errata B.4).\ntags: [other]\ncovers: [cmd.TLBI_NH_VA.valid]\n${body('4096')}`);
  put('scenarios/s1/uncited.yaml', `description: A rule without any citation at all.\ntags: [s1]\n${body('0x2000')}`);
  put('scenarios/s1/untagged.yaml', `description: No tags here (SMMUv3 §4.4.2).\ntags: []\n${body('0x3000')}`);
  put('scenarios/s2/broken.yaml', `description: Broken (SMMUv3 §5.2).\ntags: [s2]\nsteps: [{ nope: 1 }]\n`);
  for (const id of ['s1/good', 's1/copy', 's1/uncited', 's1/untagged']) put(`golden/${id}.yaml`, 'scenario: x\n');
  put('golden/s2/gone.yaml', 'scenario: x\n');
  const r = checkHygiene(join(dir, 'scenarios'), join(dir, 'golden'));
  t.equal(r.scenarios, 5);
  t.equal(r.loadErrors.length, 2, 'schema errors of the broken scenario and the uncited one (the schema also wants a citation)');
  t.match(r.loadErrors.join('\n'), /scenarios\/s2\/broken\.yaml:3:\d+: error\[/);
  t.same(r.uncited, ['scenarios/s1/uncited.yaml']);
  t.same(r.untagged, ['scenarios/s1/untagged.yaml']);
  t.same(r.missingGoldens, ['scenarios/s2/broken.yaml: no golden/s2/broken.yaml']);
  t.same(r.duplicates, ['scenarios/s1/copy.yaml, scenarios/s1/good.yaml'], '0x1000 and 4096 are the same address');
  t.same(r.obsoleteGoldens, ['golden/s2/gone.yaml: no scenarios/s2/gone.yaml']);
});

t.test('repository scenarios', async (t) => {
  const r = checkHygiene(SCENARIOS, GOLDEN);
  t.ok(r.scenarios > 0, 'scenarios found under scenarios/');
  t.same(r.loadErrors, [], 'every scenario loads without errors (node --import=tsx src/cli/main.ts validate scenarios)');
  t.same(r.uncited, [], 'every description cites its rule (a § section, or a reference note such as errata.md)');
  t.same(r.untagged, [], 'every scenario has at least one tag');
  t.same(r.missingGoldens, [], 'every scenario has golden/<same path>.yaml (node --import=tsx src/cli/main.ts run <scenario> --update --create, then verify by hand)');
  t.same(r.duplicates, [], 'no two scenarios are identical once name/description/tags/covers are dropped (each line lists the copies)');
  t.same(r.obsoleteGoldens, [], 'every golden has its scenario (remove or move obsolete goldens)');
});
