// --jobs 1 (in-process) and --jobs 2 (worker_threads) produce byte-identical reports.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { cli } from '../src/cli/app.ts';
import { FEATURES } from '../src/scenario/features.ts';

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

/**
 * One in-process run and one worker run, both through the CLI (which hands --jobs to runSuite):
 * starting the two worker threads, each loading the engine through tsx, is most of this file's
 * cost, so a single --jobs 2 run is compared with --jobs 1 on every reporter at once (TAP on
 * stdout, JUnit, JSON and pretty into files).
 */
t.test('--jobs 1 (in process) and --jobs 2 (worker threads): every reporter identical, through runSuite and the CLI', async (t) => {
  const dir = project();
  const features = FEATURES.filter((f) => f !== 'ats').join(',');
  const out = async (jobs: string): Promise<{ code: number; stdout: string; files: Record<string, string> }> => {
    let s = '';
    const at = `out-${jobs}`;
    const code = await cli(
      [
        'run',
        '--features',
        features,
        '--reporter',
        'tap',
        '--reporter',
        `junit:${at}/r.xml`,
        '--reporter',
        `json:${at}/r.json`,
        '--reporter',
        `pretty:${at}/r.txt`,
        '--jobs',
        jobs,
        '--executor',
        FAKE,
      ],
      {
        stdout: (x) => (s += x),
        stderr: () => {},
        env: {},
        cwd: dir,
        isTTY: false,
      },
    );
    const files = Object.fromEntries(['r.xml', 'r.json', 'r.txt'].map((f) => [f, readFileSync(join(dir, at, f), 'utf8')]));
    return { code, stdout: s, files };
  };
  // The pretty summary's "in 0.59 s" is the one timing the CLI prints without --timings.
  const untimed = (s: string | undefined): string | undefined => s?.replace(/ in \d+\.\d+ s — /, ' in (time) s — ');
  const one = await out('1');
  const two = await out('2');
  const results = (JSON.parse(one.files['r.json'] ?? '{}') as { results: { state: string }[] }).results;
  t.equal(results.length, 15);
  t.same(new Set(results.map((r) => r.state)), new Set(['fail', 'skip', 'error']), 'several states exercised');
  for (const [f, name] of [
    ['r.xml', 'junitReport'],
    ['r.json', 'jsonReport'],
    ['r.txt', 'prettyReport'],
  ] as const)
    t.equal(untimed(two.files[f]), untimed(one.files[f]), `${name} identical`);
  t.equal(two.stdout, one.stdout, 'tapReport identical (stdout)');
  t.equal(two.code, one.code);
  t.equal(one.code, 2, 'the invalid scenario makes it exit 2');
  t.match(one.stdout, /^TAP version 14\n/, 'TAP on stdout');
});
