// --jobs 1 (in-process) and --jobs 2 (worker_threads) produce byte-identical reports.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { cli } from '../src/cli/app.ts';
import { runSuite, type SuiteOptions } from '../src/engine/run-suite.ts';
import { FEATURES } from '../src/scenario/features.ts';
import { jsonReport } from '../src/report/json.ts';
import { junitReport } from '../src/report/junit.ts';
import { prettyReport } from '../src/report/pretty.ts';
import { tapReport } from '../src/report/tap.ts';

const FAKE = fileURLToPath(new URL('fixtures/fake-execute.ts', import.meta.url));
const RULE = 'Checks a rule (SMMUv3 §3.2).';

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'smmu-par-'));
  cpSync(fileURLToPath(new URL('fixtures/suite/scenarios', import.meta.url)), join(dir, 'scenarios'), { recursive: true });
  mkdirSync(join(dir, 'golden'));
  for (let i = 0; i < 12; i++) {
    const area = ['s1', 's2', 'cmdq'][i % 3] ?? 's1';
    mkdirSync(join(dir, 'scenarios', area), { recursive: true });
    writeFileSync(
      join(dir, 'scenarios', area, `p-${i}.yaml`),
      `description: ${RULE}\ntags: [${i % 5 === 0 ? 'crash' : 'x'}]\n${i % 4 === 0 ? 'requires: [ats]\n' : ''}devices: [ { name: d, sid: ${i} } ]\nsteps:\n  - dma: { device: d${i === 7 ? 'x' : ''}, iova: ${i}, access: read }\n`,
    );
  }
  return dir;
}

t.test('runSuite: every reporter is identical for in-process and worker runs', async (t) => {
  const dir = project();
  const base: SuiteOptions = {
    cwd: dir,
    root: join(dir, 'scenarios'),
    goldenDir: join(dir, 'golden'),
    patterns: [],
    jobs: 1,
    profile: { name: 'test', features: FEATURES.filter((f) => f !== 'ats') },
    executorModule: pathToFileURL(FAKE).href,
  };
  const one = await runSuite(base);
  const two = await runSuite({ ...base, jobs: 2 });
  t.equal(one.results.length, 15);
  t.same(new Set(one.results.map((r) => r.state)), new Set(['fail', 'skip', 'error']), 'several states exercised');
  for (const render of [tapReport, junitReport, jsonReport, prettyReport]) {
    const a = render({ ...one, timings: false });
    const b = render({ ...two, timings: false });
    t.equal(b, a, `${render.name} identical`);
  }
});

t.test('CLI: --jobs 1 and --jobs 2 print the same TAP', async (t) => {
  const dir = project();
  const out = async (jobs: string): Promise<[number, string]> => {
    let s = '';
    const code = await cli(['run', '--reporter', 'tap', '--jobs', jobs, '--executor', FAKE], {
      stdout: (x) => (s += x),
      stderr: () => {},
      env: {},
      cwd: dir,
      isTTY: false,
    });
    return [code, s];
  };
  const [c1, o1] = await out('1');
  const [c2, o2] = await out('2');
  t.equal(o2, o1);
  t.equal(c2, c1);
  t.equal(c1, 2, 'the invalid scenario makes it exit 2');
});
