// End-to-end through the CLI entry (in-process), with the test-only fake executor.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runCli } from './support/run-cli.ts';

const FAKE = fileURLToPath(new URL('fixtures/fake-execute.ts', import.meta.url));
const FIXTURES = fileURLToPath(new URL('fixtures/suite/scenarios', import.meta.url));
const RULE = 'Checks a rule (SMMUv3 §3.2).';

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}
const run = (cwd: string, args: string[], env: Record<string, string> = {}): Promise<Out> => runCli(cwd, args, env);
// In-process (--jobs 1) unless a test asks otherwise: worker start-up would dominate these small
// runs, and test/jobs-parity.test.ts already shows workers and in-process give identical reports.
const withExec = (args: string[]): string[] => [...args, ...(args[0] === 'run' && !args.includes('--jobs') ? ['--jobs', '1'] : []), '--executor', FAKE];

/** A project with the fixture scenarios plus `n` generated ones across areas. */
function project(n = 0): string {
  const dir = mkdtempSync(join(tmpdir(), 'smmu-cli-'));
  cpSync(FIXTURES, join(dir, 'scenarios'), { recursive: true });
  mkdirSync(join(dir, 'golden'));
  for (let i = 0; i < n; i++) {
    const area = ['s1', 's2', 'cmdq', 'events'][i % 4] ?? 's1';
    mkdirSync(join(dir, 'scenarios', area), { recursive: true });
    const iova = i % 3 === 0 ? '0x1000' : '0x9000';
    writeFileSync(
      join(dir, 'scenarios', area, `gen-${i}.yaml`),
      `description: ${RULE}
tags: [gen, ${i % 2 === 0 ? 'even' : 'odd'}]
devices: [ { name: d, sid: ${i} } ]
memory:
  s1_tables: [ { name: pt, granule: 4k, va_bits: 48, map: [ { va: 0x1000, pa: 0x2000, size: 4K, perm: rw } ] } ]
steps:
  - dma: { device: d, iova: ${iova}, access: read }
`,
    );
  }
  return dir;
}

t.test('no scenarios: an error unless --allow-empty, said the same way by every reporter', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'smmu-empty-'));
  mkdirSync(join(dir, 'scenarios'));
  mkdirSync(join(dir, 'golden'));
  const r = await run(dir, withExec(['run']));
  t.equal(r.code, 2);
  t.match(r.stderr, /No scenario selected \(0 found; selection: everything under the root\); pass --allow-empty/);
  t.match(r.stdout, /\n0 scenarios: 0 pass; 1 problem in [\d.]+ s — invalid input \(exit 2\)\n$/);
  t.equal(
    (await run(dir, withExec(['run', '--reporter', 'tap']))).stdout.split('\n').slice(0, 3).join('|'),
    'TAP version 14|1..1|not ok 1 - (run) empty-selection everything under the root',
  );
  const ok = await run(dir, withExec(['run', '--allow-empty']));
  t.equal(ok.code, 0);
  t.match(ok.stdout, /^0 scenarios: 0 pass in [\d.]+ s — ok \(exit 0\)\n$/);
  t.equal((await run(dir, withExec(['run', '--reporter', 'tap', '--allow-empty']))).stdout.split('\n').slice(0, 2).join('|'), 'TAP version 14|1..0');
});

t.test('golden lifecycle: missing -> create -> pass -> mismatch -> update; CI refuses by value', async (t) => {
  const dir = project();
  const missing = await run(dir, withExec(['run']));
  t.equal(missing.code, 1);
  t.match(
    missing.stdout,
    /Golden golden\/s1\/unmapped-va-faults\.yaml is missing; create it with: npx smmu-conform run --executor \S+ scenarios\/s1\/unmapped-va-faults\.yaml --update --create/,
  );

  const ci = await run(dir, withExec(['run', '--update', '--create']), { CI: 'true' });
  t.equal(ci.code, 2);
  t.match(ci.stderr, /Refusing to update goldens under CI \(CI=true\)/);
  t.equal((await run(dir, withExec(['run', '--update', '--create']), { CI: '1' })).code, 2, 'CI=1 refuses');
  t.same(readdirSync(join(dir, 'golden')), [], 'nothing written under CI');

  const noCreate = await run(dir, withExec(['run', '--update']), { CI: 'false' });
  t.match(noCreate.stdout, /note: Not creating golden\/cmdq\/illegal-command\.yaml: add --create/);
  t.equal(noCreate.code, 1);

  const created = await run(dir, withExec(['run', '--update', '--create']), { CI: '' });
  t.equal(created.code, 0, created.stdout);
  t.match(
    created.stdout,
    /wrote golden\/cmdq\/illegal-command\.yaml\nwrote golden\/nested\/s2-fault-on-s1-walk\.yaml\nwrote golden\/s1\/unmapped-va-faults\.yaml/,
  );
  t.equal((await run(dir, withExec(['run']))).code, 0, 'second run passes');

  const g = join(dir, 'golden', 's1', 'unmapped-va-faults.yaml');
  writeFileSync(g, readFileSync(g, 'utf8').replace("input_addr: '0x0000000000002000'", "input_addr: '0x0000000000003000'"));
  const mism = await run(dir, withExec(['run']));
  t.equal(mism.code, 1);
  t.match(
    mism.stdout,
    /Golden mismatch: events\[0\] \(step 2 F_TRANSLATION\): field input_addr: expected "0x0000000000003000", got "0x0000000000002000"; to accept the new output: npx smmu-conform run --executor \S+ scenarios\/s1\/unmapped-va-faults\.yaml --update/,
  );
  t.match(mism.stdout, /\n {2}-  - \{ step: 2, type: F_TRANSLATION, sid: '0x10', input_addr: '0x0000000000003000'/);
  const upd = await run(dir, withExec(['run', '--update']));
  t.equal(upd.code, 0);
  t.match(upd.stdout, /wrote golden\/s1\/unmapped-va-faults\.yaml\n/);
  t.notMatch(upd.stdout, /wrote golden\/cmdq/, 'only changed goldens are written');
});

t.test('a filtered --update leaves other goldens untouched', async (t) => {
  const dir = project(8);
  t.equal((await run(dir, withExec(['run', '--update', '--create']))).code, 0);
  const a = join(dir, 'golden', 's1', 'gen-0.yaml');
  const b = join(dir, 'golden', 's1', 'gen-4.yaml');
  const stale = (p: string) => writeFileSync(p, readFileSync(p, 'utf8').replace('result: ok', 'result: fault'));
  stale(a);
  stale(b);
  const before = readFileSync(b, 'utf8');
  const r = await run(dir, withExec(['run', '--update', '--grep', 'gen-0$']));
  t.equal(r.code, 0);
  t.match(r.stdout, /wrote golden\/s1\/gen-0\.yaml\n/);
  t.equal(readFileSync(b, 'utf8'), before, 'unselected golden unchanged');
  t.notMatch(readFileSync(a, 'utf8'), /result: fault/);
});

t.test('result states and deterministic shards that partition the suite', async (t) => {
  const dir = project(20);
  writeFileSync(join(dir, 'scenarios', 's2', 'broken.yaml'), `description: ${RULE}\ntags: [x]\nsteps:\n  - dma: { device: nope, iova: 1, access: read }\n`);
  writeFileSync(join(dir, 'scenarios', 'events', 'crashes.yaml'), `description: ${RULE}\ntags: [crash]\nsteps: []\n`);
  writeFileSync(join(dir, 'scenarios', 'events', 'needs-ats.yaml'), `description: ${RULE}\ntags: [x]\nrequires: [ats]\nsteps: []\n`);
  await run(dir, withExec(['run', '--update', '--create']));
  writeFileSync(join(dir, 'golden', 'cmdq', 'gen-2.yaml'), 'scenario: cmdq/gen-2\n');
  t.equal((await run(dir, withExec(['run', '--features', 's1,s2,nesting']))).code, 2, 'invalid scenario present -> exit 2');
  const json = JSON.parse((await run(dir, withExec(['run', '--reporter', 'json', '--features', 's1,s2']))).stdout) as {
    summary: Record<string, number>;
    results: { id: string; state: string }[];
  };
  const state = (id: string) => json.results.find((r) => r.id === id)?.state;
  t.equal(state('s2/broken'), 'error');
  t.equal(state('events/crashes'), 'error');
  t.equal(state('events/needs-ats'), 'skip');
  t.equal(state('cmdq/gen-2'), 'fail');
  t.equal(state('s1/gen-0'), 'pass');

  const all = json.results.map((r) => r.id).sort();
  const seen: string[] = [];
  for (let i = 1; i <= 3; i++) {
    const s = JSON.parse((await run(dir, withExec(['run', '--reporter', 'json', '--shard', `${i}/3`, '--jobs', '1']))).stdout) as { results: { id: string }[] };
    t.ok(s.results.length >= 7 && s.results.length <= 9, `shard ${i} is balanced (${s.results.length})`);
    seen.push(...s.results.map((r) => r.id));
  }
  t.same(seen.sort(), all, 'every scenario runs in exactly one shard');
  t.equal((await run(dir, withExec(['run', '--shard', '4/3']))).code, 2);
});

t.test('expected failures: XFAIL passes the run, XPASS fails it', async (t) => {
  const dir = project(4);
  await run(dir, withExec(['run', '--update', '--create']));
  writeFileSync(join(dir, 'golden', 's1', 'gen-0.yaml'), 'scenario: s1/gen-0\nsteps: []\n');
  writeFileSync(join(dir, 'xfail.txt'), '# known emulator gaps\ns1/gen-0\n');
  const x = await run(dir, withExec(['run', '--reporter', 'tap', '--expect-fail', 'xfail.txt']));
  t.equal(x.code, 0, x.stdout);
  t.match(x.stdout, /not ok \d+ - s1\/gen-0 # TODO expected failure/);
  const up = await run(dir, withExec(['run', '--update', '--expect-fail', 'xfail.txt']));
  t.match(up.stdout, /Not updating golden\/s1\/gen-0\.yaml: s1\/gen-0 is an expected failure/);
  writeFileSync(join(dir, 'xfail.txt'), 's2/gen-1\ns9/none\n');
  const xp = await run(dir, withExec(['run', '--reporter', 'json', '--expect-fail', 'xfail.txt', 's2/gen-1', 'cmdq']));
  const doc = JSON.parse(xp.stdout) as { results: { id: string; state: string }[]; notes: string[] };
  t.equal(xp.code, 1);
  t.equal(doc.results.find((r) => r.id === 's2/gen-1')?.state, 'xpass');
  t.match(doc.notes, [/"s9\/none" matches no selected scenario/]);
  t.equal((await run(dir, withExec(['run', '--expect-fail', 'nope.txt']))).code, 2);
});

t.test('--check-obsolete, tags, grep, bad arguments', async (t) => {
  const dir = project(4);
  await run(dir, withExec(['run', '--update', '--create']));
  writeFileSync(join(dir, 'golden', 's1', 'ghost.yaml'), 'scenario: s1/ghost\n');
  const o = await run(dir, withExec(['run', '--check-obsolete']));
  t.equal(o.code, 1);
  t.match(o.stdout, /FAIL \(run\) obsolete-golden s1\/ghost: Obsolete golden golden\/s1\/ghost\.yaml: no scenario s1\/ghost/);
  t.equal((await run(dir, withExec(['run']))).code, 0, 'obsolete goldens only fail when asked');
  const tagged = JSON.parse((await run(dir, withExec(['run', '--reporter', 'json', '--tag', 'odd']))).stdout) as { results: { id: string }[] };
  t.same(
    tagged.results.map((r) => r.id),
    ['events/gen-3', 's2/gen-1'],
  );
  const bad = await run(dir, withExec(['run', '--reportr', 'tap']));
  t.equal(bad.code, 2);
  t.match(bad.stderr, /Unknown option --reportr \(did you mean --reporter\?\)/);
  t.equal((await run(dir, withExec(['run', 'no/such/thing']))).code, 2);
  t.equal((await run(dir, withExec(['run', '--reporter', 'xml']))).code, 2);
  t.equal((await run(dir, withExec(['run', '--features', 'nestin']))).code, 2);
  t.match((await run(dir, ['rnu'])).stderr, /did you mean "run"/);
});

t.test('validate, list, explain, help', async (t) => {
  const dir = project(2);
  writeFileSync(join(dir, 'scenarios', 's1', 'bad.yaml'), `description: ${RULE}\ntags: [x]\nsteps:\n  - dma: { device: d, iova: 1, acces: read }\n`);
  const v = await run(dir, ['validate']);
  t.equal(v.code, 2);
  t.match(v.stdout, /scenarios\/s1\/bad\.yaml:4:32: error\[UNKNOWN_KEY\] at steps\[0\]\.dma\.acces: Unknown key "acces" \(did you mean "access"\?\)/);
  t.match(v.stdout, /6 scenarios checked, 1 invalid/);
  t.equal((await run(dir, ['validate', 'scenarios/s1/gen-0.yaml'])).code, 0);
  const l = await run(dir, ['list', '--tag', 'gen']);
  t.equal(l.stdout, 's1/bad  (invalid: run smmu-conform validate scenarios/s1/bad.yaml)\ns1/gen-0  [gen, even]\ns2/gen-1  [gen, odd]\n3 scenarios\n');
  const e = await run(dir, withExec(['explain', 's1/unmapped-va-faults', '--step', '2']));
  t.equal(e.code, 0);
  t.equal(e.stdout, 'step 2 (dma): nic0 write 0x2000\n  step 2: S1 L0 @ 0x0000000000001000 -> 0x0000000000002003\n');
  t.equal((await run(dir, withExec(['explain', 's1/unmapped-va-faults', '--step', '9']))).code, 2);
  // an executor failure: located, exit 2, no stack (as `run` reports it)
  writeFileSync(join(dir, 'scenarios', 's1', 'crash.yaml'), `description: ${RULE}\ntags: [crash]\nsteps: []\n`);
  const c = await run(dir, withExec(['explain', 's1/crash']));
  t.equal(c.code, 2);
  t.match(c.stderr, /^\S*crash\.yaml:1:1: error\[EXECUTOR_FAILED\]: fake executor crash\n$/);
  const h = await run(dir, ['--help']);
  t.equal(h.code, 0);
  t.match(h.stdout, /smmu-conform run \[paths\|globs\]/);
});

t.test('harness faults (an unreadable golden) become an error result, never a hang or crash', async (t) => {
  const dir = project();
  mkdirSync(join(dir, 'golden', 's1', 'unmapped-va-faults.yaml'), { recursive: true });
  const r = await run(dir, withExec(['run', 's1']));
  t.equal(r.code, 1);
  t.match(r.stdout, /ERROR s1\/unmapped-va-faults\n {2}Cannot run scenario: Error: EISDIR/);
});

t.test('the real executor is used by default and its absence is reported, not crashed on', async (t) => {
  const dir = project();
  const r = await run(dir, ['run', 's1']);
  // Until src/engine/execute.ts exists this is an error result; afterwards it runs for real.
  t.ok(r.code === 0 || r.code === 1, r.stdout);
  if (/Executor not available/.test(r.stdout)) t.match(r.stdout, /ERROR s1\/unmapped-va-faults\n {2}Executor not available/);
});
