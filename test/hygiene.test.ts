// Scenario hygiene through `smmu-conform check` (src/coverage/check.ts): every scenario loads,
// cites its rule, is tagged, has its golden, and is not a renamed copy of another; every golden
// has its scenario; the coverage map is current. Each finding is located, so one run shows all.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { canonicalJson, citesRule, findDuplicates, scenarioBody } from '../src/coverage/hygiene.ts';
import { cli } from '../src/cli/app.ts';
import { checkTree, formatFinding } from '../src/coverage/check.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

t.test('citesRule: a § section or a reference note', async (t) => {
  for (const d of [
    'F_TRANSLATION at stage 1 (SMMUv3 §7.3.13)',
    'see § 6.3.28',
    'SMMUv3 section 4.1.3',
    'as linux-smmuv3-iommufd.md describes',
    'errata B.4 says so',
    'Arm ARM D8.2.7 concatenation',
    'emulator-models.md #12',
  ])
    t.ok(citesRule(d), d);
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
  t.same(
    findDuplicates([
      { id: 's1/b', body: 'X' },
      { id: 's1/a', body: 'Y' },
      { id: 'cmdq/c', body: 'X' },
      { id: 's2/d', body: 'X' },
      { id: 'e', body: 'Z' },
    ]),
    [['cmdq/c', 's1/b', 's2/d']],
  );
  t.same(
    findDuplicates([
      { id: 'a', body: 'X' },
      { id: 'b', body: 'Y' },
    ]),
    [],
  );
});

t.test('checkTree finds every kind of problem in a synthetic tree', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hygiene-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const put = (rel: string, text: string): void => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  const body = (addr: string): string => `steps:\n  - cmdq: { commands: [{ op: TLBI_NH_VA, vmid: 1, asid: 2, addr: ${addr} }], sync: true }\n`;
  put('scenarios/s1/good.yaml', `description: A cited rule (SMMUv3 §4.4.2).\ntags: [s1]\n${body('0x1000')}`);
  put(
    'scenarios/s1/copy.yaml',
    `description: The same test, renamed (SMMUv3 §4.4.2; errata B.4).\ntags: [other]\ncovers: [cmd.TLBI_NH_VA.valid]\n${body('4096')}`,
  );
  put('scenarios/s1/uncited.yaml', `description: A rule without any citation at all.\ntags: [s1]\n${body('0x2000')}`);
  put('scenarios/s1/untagged.yaml', `description: No tags here (SMMUv3 §4.4.2).\ntags: []\n${body('0x3000')}`);
  put('scenarios/s2/broken.yaml', `description: Broken (SMMUv3 §5.2).\ntags: [s2]\nsteps: [{ nope: 1 }]\n`);
  for (const id of ['s1/good', 's1/copy', 's1/uncited', 's1/untagged']) put(`golden/${id}.yaml`, 'scenario: x\n');
  put('golden/s2/gone.yaml', 'scenario: x\n');
  const r = checkTree({
    cwd: dir,
    root: join(dir, 'scenarios'),
    goldenDir: join(dir, 'golden'),
    rerun: 'npx smmu-conform run',
    recheck: 'npx smmu-conform check',
  });
  t.equal(r.scenarios, 5);
  const by = (code: string): string[] => r.findings.filter((f) => f.code === code).map((f) => `${f.file}:${f.line}:${f.col}`);
  t.match(r.findings.map(formatFinding).join('\n'), /scenarios\/s2\/broken\.yaml:3:\d+: error\[/);
  t.same(by('BAD_VALUE'), ['scenarios/s1/uncited.yaml:1:14'], 'the schema wants a citation (the uncited scenario)');
  t.same(by('UNTAGGED'), ['scenarios/s1/untagged.yaml:2:7']);
  t.same(by('MISSING_GOLDEN'), ['scenarios/s2/broken.yaml:1:1']);
  t.same(by('DUPLICATE_SCENARIO'), ['scenarios/s1/copy.yaml:1:1', 'scenarios/s1/good.yaml:1:1'], '0x1000 and 4096 are the same address');
  t.same(by('OBSOLETE_GOLDEN'), ['golden/s2/gone.yaml:1:1']);
});

t.test('repository: `smmu-conform check` (the same rules users get) is clean', async (t) => {
  let out = '';
  const code = await cli(['check'], { stdout: (s) => (out += s), stderr: (s) => (out += s), env: {}, cwd: ROOT, isTTY: false });
  t.equal(
    code,
    0,
    'every scenario loads, cites, is tagged, has its golden and no twin; every golden has its scenario; docs/coverage.md is current (npx smmu-conform check --write-coverage-map)',
  );
  t.match(out, /^\d+ scenarios, \d+ goldens checked: no findings\n$/, out);
});
