// The inconsistencies of issue 17 part 3, each end to end through the CLI with the test-only fake
// executor: exit codes and every reporter agree; bad input exits 2 with a message; symlinks,
// interrupted updates and CI systems are handled.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { runCli } from './support/run-cli.ts';
import { detectCi, isCi } from '../src/golden/ci.ts';
import { removeOrphanTemps } from '../src/golden/store.ts';
import { useColor } from '../src/report/color.ts';
import { checkJunit } from './support/junit-check.ts';

const FAKE = fileURLToPath(new URL('fixtures/fake-execute.ts', import.meta.url));
const FIXTURES = fileURLToPath(new URL('fixtures/suite/scenarios', import.meta.url));
const STORE = new URL('../src/golden/store.ts', import.meta.url).href;

const run = runCli;
const x = (args: string[]): string[] => [...args, '--executor', FAKE];

/** Fixture scenarios with their goldens created. */
async function project(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'smmu-res-'));
  cpSync(FIXTURES, join(dir, 'scenarios'), { recursive: true });
  mkdirSync(join(dir, 'golden'));
  const r = await run(dir, x(['run', '--update', '--create']));
  if (r.code !== 0) throw new Error(r.stdout + r.stderr);
  return dir;
}

/** Run with pretty on stdout plus junit, tap and json files; return all of them. */
async function allReports(
  dir: string,
  args: string[],
): Promise<{
  code: number;
  pretty: string;
  stderr: string;
  junit: string;
  tap: string;
  json: { exit_code: number; totals: Record<string, number>; problems: { kind: string }[] };
}> {
  const r = await run(
    dir,
    x(['run', ...args, '--reporter', 'pretty', '--reporter', 'junit:out/junit.xml', '--reporter', 'tap:out/r.tap', '--reporter', 'json:out/r.json']),
  );
  const read = (f: string): string => readFileSync(join(dir, 'out', f), 'utf8');
  return { code: r.code, pretty: r.stdout, stderr: r.stderr, junit: read('junit.xml'), tap: read('r.tap'), json: JSON.parse(read('r.json')) as never };
}

/** What each report says about failing: JUnit failures+errors, TAP failing points, JSON exit code. */
function agree(t: Test, rep: Awaited<ReturnType<typeof allReports>>, code: number, what: string): void {
  t.equal(rep.code, code, `${what}: exit ${code}`);
  const j = checkJunit(rep.junit);
  t.same(j.problems, [], `${what}: JUnit valid`);
  t.equal(j.failures + j.errors > 0, code !== 0, `${what}: JUnit failures+errors agree with exit ${code}`);
  const notOk = rep.tap.split('\n').filter((l) => /^not ok /.test(l) && !/# TODO/.test(l)).length;
  t.equal(notOk, j.failures + j.errors, `${what}: TAP failing points = JUnit failures+errors`);
  t.equal(rep.json.exit_code, code, `${what}: JSON exit_code`);
  t.match(rep.pretty, new RegExp(`\\(exit ${code}\\)\\n$`), `${what}: pretty summary`);
}

t.test('--check-obsolete: exit 1 and a failure in JUnit, TAP and JSON (JUnit used to say 0 failures)', async (t) => {
  const dir = await project();
  writeFileSync(join(dir, 'golden', 's1', 'ghost.yaml'), 'scenario: s1/ghost\n');
  const rep = await allReports(dir, ['--check-obsolete']);
  agree(t, rep, 1, 'obsolete');
  t.match(rep.junit, /<testcase classname="\(run\)" name="\(run\) obsolete-golden s1\/ghost">\n {6}<failure type="obsolete-golden"/);
  t.same(
    rep.json.problems.map((p) => p.kind),
    ['obsolete-golden'],
  );
  agree(t, await allReports(dir, []), 0, 'clean run');
});

t.test('a selection that runs nothing is exit 2 unless --allow-empty; --shard 1/500 and --tag nosuch say why', async (t) => {
  const dir = await project();
  const grep = await allReports(dir, ['--grep', 'nothing-matches']);
  agree(t, grep, 2, '--grep nothing');
  t.match(grep.stderr, /No scenario selected \(3 found; selection: --grep nothing-matches\); pass --allow-empty/);
  agree(t, await allReports(dir, ['--grep', 'nothing-matches', '--allow-empty']), 0, '--allow-empty');

  const tag = await allReports(dir, ['--tag', 'nosuch']);
  agree(t, tag, 2, '--tag nosuch');
  t.match(tag.stderr, /--tag nosuch matches no scenario/);
  t.match((await run(dir, x(['run', '--tag', 'nestd']))).stderr, /--tag nestd matches no scenario \(did you mean "nested"\?\)/);

  const shard = await allReports(dir, ['--shard', '1/500']);
  agree(t, shard, 2, '--shard 1/500');
  t.match(shard.stderr, /--shard 1\/500: only 3 scenarios are selected, so some of the 500 shards would run nothing; use at most 3 shards, or --allow-empty/);
  t.equal((await run(dir, x(['run', '--shard', '3/3']))).code, 0, 'a shard count up to the number of scenarios is fine');
});

t.test('XPASS, XFAIL, errors and skips count the same in every report', async (t) => {
  const dir = await project();
  writeFileSync(join(dir, 'scenarios', 's1', 'needs-ats.yaml'), 'description: Needs ATS (SMMUv3 §3.9).\ntags: [x]\nrequires: [ats]\nsteps: []\n');
  writeFileSync(join(dir, 'scenarios', 's1', 'crash.yaml'), 'description: Crashes (SMMUv3 §3.9).\ntags: [crash]\nsteps: []\n');
  writeFileSync(join(dir, 'xf.txt'), 'cmdq/illegal-command\n');
  const rep = await allReports(dir, ['--features', 's1,s2,nesting', '--expect-fail', 'xf.txt']);
  // An executor failure is exit 2 with the scenario's location (issue 12 part 6), like invalid input.
  agree(t, rep, 2, 'mixed');
  const j = checkJunit(rep.junit);
  t.same([j.tests, j.failures, j.errors, j.skipped], [5, 1, 1, 1], 'xpass is a failure, the crash an error, the ATS scenario skipped');
  t.match(rep.tap, /ok \d+ - s1\/needs-ats # SKIP requires ats/);
  t.match(rep.pretty, /\nSKIP s1\/needs-ats\n/);
  t.match(
    rep.pretty,
    /\nFailures \(2\):\n {2}XPASS cmdq\/illegal-command: [^\n]*\n {2}ERROR s1\/crash: scenarios\/s1\/crash\.yaml:1:1: error\[EXECUTOR_FAILED\]: fake executor crash/,
  );
});

t.test('a missing or bad --golden/--root is exit 2 with a message, never a stack trace', async (t) => {
  const dir = await project();
  const missing = await run(dir, x(['run', '--golden', 'nope']));
  t.equal(missing.code, 2);
  t.match(
    missing.stderr,
    /^smmu-conform run: Golden root nope does not exist \(set --golden, or "golden:" in smmu-conform.config.yaml\); create it, or run with --update --create/,
  );
  t.notMatch(missing.stdout + missing.stderr, /\n\s+at /, 'no stack trace');
  writeFileSync(join(dir, 'afile'), 'x');
  const file = await run(dir, x(['run', '--golden', 'afile']));
  t.equal(file.code, 2);
  t.match(file.stderr, /Golden root afile is not a folder/);
  t.notMatch(file.stdout, /ENOTDIR|\n\s+at /);
  const root = await run(dir, x(['run', '--root', 'nowhere']));
  t.equal(root.code, 2);
  t.match(root.stderr, /Scenario root nowhere does not exist/);
  const created = await run(dir, x(['run', '--golden', 'fresh', '--update', '--create']));
  t.equal(created.code, 0, '--update --create may create the golden root');
  t.ok(existsSync(join(dir, 'fresh', 's1', 'unmapped-va-faults.yaml')));
});

t.test('symlinked scenarios and folders inside a scanned folder run (they used to be skipped silently)', async (t) => {
  const dir = await project();
  const elsewhere = mkdtempSync(join(tmpdir(), 'smmu-linked-'));
  cpSync(join(dir, 'scenarios', 's1', 'unmapped-va-faults.yaml'), join(elsewhere, 'linked.yaml'));
  mkdirSync(join(elsewhere, 'area'));
  cpSync(join(dir, 'scenarios', 'cmdq', 'illegal-command.yaml'), join(elsewhere, 'area', 'in-dir.yaml'));
  symlinkSync(join(elsewhere, 'linked.yaml'), join(dir, 'scenarios', 's1', 'linked.yaml'));
  symlinkSync(join(elsewhere, 'area'), join(dir, 'scenarios', 'linkdir'));
  symlinkSync(join(dir, 'scenarios'), join(dir, 'scenarios', 'loop'));
  symlinkSync(join(elsewhere, 'gone.yaml'), join(dir, 'scenarios', 's1', 'dangling.yaml'));
  const r = await run(dir, x(['run', '--reporter', 'json', '--update', '--create']));
  const ids = (JSON.parse(r.stdout) as { results: { id: string; state: string; messages: string[] }[] }).results;
  t.same(
    ids.map((i) => i.id),
    ['cmdq/illegal-command', 'linkdir/in-dir', 'nested/s2-fault-on-s1-walk', 's1/dangling', 's1/linked', 's1/unmapped-va-faults'],
    'links followed, the loop walked once',
  );
  t.match(
    ids.find((i) => i.id === 's1/dangling'),
    { state: 'error', messages: [/READ_FAILED|Cannot read/] },
    'a dangling link is reported, not skipped',
  );
  t.equal(r.code, 2);
});

t.test('--update keeps a symlinked golden a symlink and writes through it', async (t) => {
  const dir = await project();
  const store = mkdtempSync(join(tmpdir(), 'smmu-gstore-'));
  const g = join(dir, 'golden', 's1', 'unmapped-va-faults.yaml');
  const real = join(store, 'real.yaml');
  writeFileSync(real, readFileSync(g, 'utf8').replace('result: fault', 'result: ok'));
  const { rmSync } = await import('node:fs');
  rmSync(g);
  symlinkSync(`../../../${store.split('/').slice(-1)[0]}/real.yaml`, g);
  t.equal((await run(dir, x(['run']))).code, 1, 'the linked golden is read');
  t.equal((await run(dir, x(['run', '--update']))).code, 0);
  t.ok(lstatSync(g).isSymbolicLink(), 'still a symlink');
  t.match(readlinkSync(g), /real\.yaml$/);
  t.notMatch(readFileSync(real, 'utf8'), /result: ok\n/, 'the target was rewritten');
  t.same(
    readdirSync(store).filter((f) => f.endsWith('.tmp')),
    [],
    'no temp file left beside the target',
  );
});

t.test('an update killed between write and rename leaves a temp file that the next --update removes', async (t) => {
  const dir = await project();
  const golden = join(dir, 'golden', 's1', 'unmapped-va-faults.yaml');
  // A child process writes the temp file, then blocks before the rename and is SIGKILLed.
  const child = `import { writeFileSync } from 'node:fs'; import { writeGoldenAtomic } from ${JSON.stringify(STORE)};
writeGoldenAtomic(${JSON.stringify(golden)}, 'partial\\n', { writeFileSync: (p, d) => { writeFileSync(p, d); process.stdout.write('written\\n'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000); }, renameSync: () => {} });`;
  const { spawn } = await import('node:child_process');
  const p = spawn(process.execPath, ['--import=tsx', '--input-type=module', '-e', child], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    p.kill('SIGKILL');
  });
  await new Promise<void>((res) => {
    p.stdout.on('data', () => res());
    p.on('exit', () => res());
  });
  p.kill('SIGKILL');
  await new Promise((res) => p.on('exit', res));
  const temps = (): string[] => readdirSync(join(dir, 'golden', 's1')).filter((f) => f.endsWith('.tmp'));
  t.equal(temps().length, 1, 'the kill left an orphan temp file');
  t.equal(readFileSync(golden, 'utf8').includes('partial'), false, 'the golden itself is intact');
  const r = await run(dir, x(['run', '--update']));
  t.equal(r.code, 0);
  t.match(r.stdout, /note: Removed orphan temp file s1\/\.unmapped-va-faults\.yaml\.\d+\.\d+\.tmp left by an interrupted update/);
  t.same(temps(), []);
  // A temp file of a live writer is left alone.
  writeFileSync(join(dir, 'golden', `.x.yaml.${process.pid}.0.tmp`), '');
  t.same(removeOrphanTemps(join(dir, 'golden')), []);
  t.same(
    removeOrphanTemps(join(dir, 'golden'), () => false),
    [`.x.yaml.${process.pid}.0.tmp`],
  );
});

t.test('SIGTERM during an update waits for the rename: no temp file, the golden complete', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'smmu-sig-'));
  const target = join(dir, 'g.yaml');
  const child = `import { renameSync, writeFileSync } from 'node:fs'; import { writeGoldenAtomic } from ${JSON.stringify(STORE)};
writeGoldenAtomic(${JSON.stringify(target)}, 'x', { writeFileSync: (p, d) => { writeFileSync(p, d); process.kill(process.pid, 'SIGTERM'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200); }, renameSync: renameSync });
await new Promise((r) => setTimeout(r, 5000)); // the CLI goes on to write reports; the signal is handled at the next turn`;
  const r = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', child], { timeout: 60000 });
  t.equal(r.status, 143, 'the process still stops, with exit 128 + SIGTERM');
  t.same(readdirSync(dir), ['g.yaml'], 'no temp file left');
  t.equal(readFileSync(target, 'utf8'), 'x', 'the golden was written completely');
});

t.test('CI detection beyond CI=: vendor variables refuse --update (ci-info vendor table)', async (t) => {
  for (const env of [
    { GITHUB_ACTIONS: 'true' },
    { GITLAB_CI: 'true' },
    { TF_BUILD: 'True' },
    { BUILDKITE: 'true' },
    { JENKINS_URL: 'http://j', BUILD_ID: '7' },
    { CI: 'true' },
    { CI: '1' },
  ]) {
    t.ok(isCi(env), `CI detected from ${JSON.stringify(env)} (${detectCi(env) ?? ''})`);
  }
  for (const env of [{}, { CI: 'false' }, { CI: '0' }, { CI: '' }, { CI: 'false', GITHUB_ACTIONS: 'true' }, { HOME: '/root' }])
    t.notOk(isCi(env), `not CI: ${JSON.stringify(env)}`);
  t.equal(detectCi({ TF_BUILD: 'True' }), 'Azure Pipelines');
  const dir = await project();
  const r = await run(dir, x(['run', '--update']), { GITHUB_ACTIONS: 'true' });
  t.equal(r.code, 2);
  t.match(r.stderr, /Refusing to update goldens under CI \(GitHub Actions\)/);
});

t.test('several reporters per run; one stdout at most; files created with their folders', async (t) => {
  const dir = await project();
  const r = await run(dir, x(['run', '--reporter', 'junit:out/deep/j.xml', '--reporter', 'json:out/r.json']));
  t.equal(r.code, 0);
  t.equal(r.stdout, '', 'nothing on stdout when every reporter has a file');
  t.match(r.stderr, /wrote junit report out\/deep\/j\.xml\n.*wrote json report out\/r\.json\n/s);
  t.same(checkJunit(readFileSync(join(dir, 'out', 'deep', 'j.xml'), 'utf8')).problems, []);
  const two = await run(dir, x(['run', '--reporter', 'tap', '--reporter', 'json']));
  t.equal(two.code, 2);
  t.match(two.stderr, /Only one reporter can write to stdout \(got tap, json\)/);
  t.match((await run(dir, x(['run', '--reporter', 'junt:x.xml']))).stderr, /Unknown reporter "junt" \(did you mean "junit"\?\)/);
  t.match((await run(dir, x(['run', '--reporter', 'json:a', '--reporter', 'tap:a']))).stderr, /Two reporters write the same file/);
});

t.test('--version, --help on every subcommand', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'smmu-help-'));
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const v = await run(dir, ['--version']);
  t.equal(v.code, 0);
  t.equal(v.stdout, `smmu-conform ${pkg.version}\n`);
  for (const cmd of ['run', 'validate', 'check', 'init', 'list', 'explain', 'decode', 'trace', 'generate', 'fuzz']) {
    const h = await run(dir, [cmd, '--help']);
    t.equal(h.code, 0, `${cmd} --help exits 0`);
    t.match(h.stdout, /[Uu]sage/, `${cmd} --help prints usage`);
    t.equal(h.stderr, '', `${cmd} --help: no error`);
  }
  t.match((await run(dir, ['run', '--help'])).stdout, /--reporter R\[:FILE\]/);
  const typo = await run(dir, ['chek']);
  t.equal(typo.code, 2);
  t.equal(typo.stderr, 'smmu-conform: unknown command "chek" (did you mean "check"?); see smmu-conform --help\n');
});

t.test('colour only on a TTY; NO_COLOR and FORCE_COLOR respected', async (t) => {
  t.equal(useColor({}, true), true);
  t.equal(useColor({}, false), false);
  t.equal(useColor({ NO_COLOR: '1' }, true), false);
  t.equal(useColor({ NO_COLOR: '' }, true), true, 'an empty NO_COLOR does not count');
  t.equal(useColor({ FORCE_COLOR: '1' }, false), true);
  t.equal(useColor({ FORCE_COLOR: '0' }, true), false);
  t.equal(useColor({ FORCE_COLOR: '1', NO_COLOR: '1' }, false), true, 'FORCE_COLOR wins, as in Node');
  t.equal(useColor({ TERM: 'dumb' }, true), false);
  const dir = await project();
  writeFileSync(
    join(dir, 'golden', 's1', 'unmapped-va-faults.yaml'),
    readFileSync(join(dir, 'golden', 's1', 'unmapped-va-faults.yaml'), 'utf8').replace("input_addr: '0x0000000000002000'", "input_addr: '0x0000000000003000'"),
  );
  const plain = await run(dir, x(['run', '--reporter', 'pretty', '--reporter', 'junit:out/j.xml']));
  t.notMatch(plain.stdout, /\x1b\[/, 'no escapes when stdout is not a TTY');
  const tty = await run(dir, x(['run', '--reporter', 'pretty', '--reporter', 'junit:out/j.xml']), {}, true);
  t.match(tty.stdout, /\x1b\[31m-[^\n]*input_addr: '\x1b\[7m0x0000000000003000\x1b\[27m'/, 'colour on a TTY, the changed word highlighted within the line');
  t.notMatch(readFileSync(join(dir, 'out', 'j.xml'), 'utf8'), /\x1b/, 'files never get colour');
  t.notMatch((await run(dir, x(['run']), { NO_COLOR: '1' }, true)).stdout, /\x1b\[/);
  t.match((await run(dir, x(['run']), { FORCE_COLOR: '1' }, false)).stdout, /\x1b\[/);
});
