// Determinism across processes and --jobs (issue 16 part 2): generated scenarios written as YAML
// and run by the suite runner in process and in worker threads give the same goldens, and those
// are the golden text of the in-process Scenario objects (the YAML path changes nothing).
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import { executeScenario } from '../engine/execute.ts';
import { runSuite, type SuiteOptions } from '../engine/run-suite.ts';
import { canonicalGolden } from '../golden/canonical.ts';
import { FEATURES } from '../scenario/features.ts';
import { generateScenarios } from './index.ts';

t.test('generated scenarios: same goldens from objects, --jobs 1 and --jobs 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gen-jobs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'scenarios');
  const golden = join(dir, 'golden');
  mkdirSync(root);
  const gs = generateScenarios({ seed: 0x10b5, count: 21 });
  for (const g of gs) writeFileSync(join(root, `${g.id}.yaml`), g.yaml());
  const base: SuiteOptions = {
    cwd: dir,
    root,
    goldenDir: golden,
    patterns: [],
    jobs: 1,
    profile: { name: 'generated', features: [...FEATURES] },
    executorModule: pathToFileURL(fileURLToPath(new URL('../engine/execute.ts', import.meta.url))).href,
  };
  const created = await runSuite({ ...base, update: true, create: true });
  t.equal(created.written.length, gs.length, 'a golden per scenario');
  const profile = { profile: { name: 'generated', features: [...FEATURES] } };
  for (const g of gs)
    t.equal(readFileSync(join(golden, `${g.id}.yaml`), 'utf8'), canonicalGolden(executeScenario(g.scenario, profile)), `${g.id}: file run = object run`);
  const two = await runSuite({ ...base, jobs: 2 });
  t.same(
    two.results.filter((r) => r.state !== 'pass').map((r) => `${r.id}: ${r.state}`),
    [],
    '--jobs 2 reproduces every golden',
  );
});
