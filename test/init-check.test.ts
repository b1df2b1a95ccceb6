// `init` in a folder outside the repo gives a tree that runs, checks and reports in every format
// from its config file alone; every command init and run print works as printed; `check` finds
// each kind of problem with a location; the config file's errors are located.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t, { type Test } from 'tap';
import { parse } from 'yaml';
import { runCli } from './support/run-cli.ts';
import { checkJunit } from './support/junit-check.ts';
import { qemuMissing } from './support/qemu.ts';

const run = runCli;

/** Split a printed shell command (plain words and '…' quoting, # comments) into argv. */
function argv(line: string): string[] {
  const out: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|(#.*$)|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    if (m[2] !== undefined) break;
    out.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : (m[3] ?? ''));
  }
  return out;
}

/** Run the printed commands one after another as a user would (cd changes the folder); every one must exit 0. */
async function follow(t: Test, cwd: string, lines: string[]): Promise<string> {
  let dir = cwd;
  for (const l of lines) {
    const a = argv(l);
    if (a[0] === 'cd') {
      dir = resolve(dir, a[1] ?? '.');
      continue;
    }
    t.same(a.slice(0, 2), ['npx', 'smmu-conform'], `printed as a command: ${l}`);
    const r = await run(dir, a.slice(2));
    t.equal(r.code, 0, `works as printed: ${l}\n${r.stdout}${r.stderr}`);
  }
  return dir;
}

t.test('init outside the repo: a tree that runs, checks and reports in every format with no flag', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'smmu-init-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const r = await run(base, ['init', 'my-suite']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /Created a smmu-conform scenario tree in my-suite:\n {2}\.github\/workflows\/smmu-conform\.yml\n/);
  const dir = join(base, 'my-suite');
  const cfg = readFileSync(join(dir, 'smmu-conform.config.yaml'), 'utf8');
  t.match(cfg, /^# yaml-language-server: \$schema=node_modules\/smmu-conform\/schemas\/config\.schema\.json\n/);
  t.match(
    readFileSync(join(dir, 'scenarios', 'smoke', 's1-translate.yaml'), 'utf8'),
    /^# yaml-language-server: \$schema=\.\.\/\.\.\/node_modules\/smmu-conform\/schemas\/scenario\.schema\.json\n/,
  );

  const nextBlock = r.stdout.slice(r.stdout.indexOf('Next'));
  const next = nextBlock
    .slice(0, nextBlock.indexOf('\n\n'))
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
  t.same(
    next.map((l) => argv(l).slice(0, 3).join(' ')),
    ['cd my-suite', 'npx smmu-conform check', 'npx smmu-conform run', 'npx smmu-conform run'],
    'the next steps',
  );
  const here = await follow(t, base, next);
  t.equal(here, dir);

  // Every format from the config alone.
  const junit = readFileSync(join(dir, 'out', 'junit.xml'), 'utf8');
  t.same(checkJunit(junit).problems, [], 'JUnit valid');
  t.equal(checkJunit(junit).tests, 2);
  t.match(readFileSync(join(dir, 'out', 'report.tap'), 'utf8'), /^TAP version 14\n1\.\.2\nok 1 - smoke\/s1-translate\nok 2 - smoke\/s1-translation-fault\n/);
  t.equal((JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')) as { exit_code: number }).exit_code, 0);
  t.match(readFileSync(join(dir, 'out', 'report.html'), 'utf8'), /<span id="verdict" class="verdict pass">all as expected \(exit 0\)<\/span>/);

  // A run from a subfolder finds the config upwards.
  mkdirSync(join(dir, 'sub'));
  t.equal((await run(join(dir, 'sub'), ['check'])).code, 0, 'config found in a parent folder');

  // The CI snippets' commands work as written for every shard.
  const gh = parse(readFileSync(join(dir, '.github', 'workflows', 'smmu-conform.yml'), 'utf8')) as {
    jobs: { run: { strategy: { matrix: { shard: number[] } }; steps: { run?: string }[] } };
  };
  const shards = gh.jobs.run.strategy.matrix.shard;
  const ghRun = gh.jobs.run.steps.map((s) => s.run).find((s) => s?.includes('--shard')) ?? '';
  for (const s of shards) await follow(t, dir, [ghRun.replace(/\$\{\{ matrix\.shard \}\}/g, String(s))]);
  t.ok(shards.length >= 2, 'sharded');
  const gl = parse(readFileSync(join(dir, 'ci', 'smmu-conform.gitlab-ci.yml'), 'utf8')) as Record<
    string,
    { parallel?: number; script: string[]; artifacts?: { reports?: { junit?: string } } }
  >;
  const job = gl['smmu-conform-run'];
  t.equal(job?.artifacts?.reports?.junit, 'out/junit.xml', 'GitLab picks up the JUnit file');
  for (let i = 1; i <= (job?.parallel ?? 0); i++) {
    await follow(
      t,
      dir,
      (job?.script ?? [])
        .filter((l) => l.startsWith('npx'))
        .map((l) => l.replace('$CI_NODE_INDEX', String(i)).replace('$CI_NODE_TOTAL', String(job?.parallel))),
    );
  }
  const again = await run(base, ['init', 'my-suite']);
  t.equal(again.code, 2);
  t.match(again.stderr, /Not overwriting existing files in my-suite: smmu-conform\.config\.yaml, scenarios\/smoke\/s1-translate\.yaml/);
});

t.test('the update and create commands that run prints work as printed (config or flags)', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'smmu-sugg-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  await run(base, ['init']);
  const g = join(base, 'golden', 'smoke', 's1-translate.yaml');
  writeFileSync(g, readFileSync(g, 'utf8').replace('result: ok', 'result: fault'));
  const mism = await run(base, ['run']);
  t.equal(mism.code, 1);
  const cmd = /to accept the new output: (npx smmu-conform [^\n]*--update)/.exec(mism.stdout)?.[1] ?? '';
  t.equal(cmd, 'npx smmu-conform run scenarios/smoke/s1-translate.yaml --update');
  await follow(t, base, [cmd, 'npx smmu-conform run']);

  // Without a config file, with the roots given as flags: the suggestion carries them.
  const plain = mkdtempSync(join(tmpdir(), 'smmu-flags-'));
  t.teardown(() => rmSync(plain, { recursive: true, force: true }));
  cpSync(join(base, 'scenarios'), join(plain, 'my scenarios'), { recursive: true });
  mkdirSync(join(plain, 'gold'));
  const missing = await run(plain, ['run', '--root', 'my scenarios', '--golden', 'gold']);
  t.equal(missing.code, 1);
  const create = /create it with: (npx smmu-conform [^\n]*--create)/.exec(missing.stdout)?.[1] ?? '';
  t.equal(
    create,
    "npx smmu-conform run --root 'my scenarios' --golden gold 'my scenarios/smoke/s1-translate.yaml' --update --create",
    'flags carried into the suggestion, every word quoted as a shell needs it',
  );
  await follow(t, plain, [create]);
  t.end();
});

const noQemu = qemuMissing();
t.test('on a target set in the config: the suggested commands work as printed', noQemu !== undefined ? { skip: noQemu } : {}, async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'smmu-target-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  await run(base, ['init']);
  const cfgFile = join(base, 'smmu-conform.config.yaml');
  writeFileSync(cfgFile, `${readFileSync(cfgFile, 'utf8')}target: qemu\n`);
  const g = join(base, 'golden', 'smoke', 's1-translate.yaml');
  writeFileSync(g, readFileSync(g, 'utf8').replace("cons: '0x00000004'", "cons: '0x00000005'"));
  const mism = await run(base, ['run', 'scenarios/smoke/s1-translate.yaml']);
  t.equal(mism.code, 1, mism.stdout);
  t.notMatch(mism.stdout, /--update/, 'no update command: --update is refused on a target');
  const see = /see it with: (npx smmu-conform [^\n)]*--reference)/.exec(mism.stdout)?.[1] ?? '';
  t.equal(see, 'npx smmu-conform run scenarios/smoke/s1-translate.yaml --reference');
  const diff = await run(base, argv(see).slice(2));
  t.equal(diff.code, 1, 'the differential view of a deviating scenario');
  t.match(diff.stdout, /^deviates +smoke\/s1-translate +/m);

  rmSync(g);
  const missing = await run(base, ['run', 'scenarios/smoke/s1-translate.yaml']);
  const create = /create it with: (npx smmu-conform [^\n]*--create)/.exec(missing.stdout)?.[1] ?? '';
  t.equal(create, 'npx smmu-conform run --target builtin scenarios/smoke/s1-translate.yaml --update --create', 'created on the reference model');
  await follow(t, base, [create, 'npx smmu-conform run --target builtin']);
  t.end();
});

t.test('check: every finding located with a stable code; check --write-coverage-map fixes the map', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'smmu-check-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  await run(base, ['init']);
  t.equal((await run(base, ['check'])).stdout, '2 scenarios, 2 goldens checked: no findings\n');
  const s = join(base, 'scenarios', 'smoke');
  const text = readFileSync(join(s, 's1-translate.yaml'), 'utf8');
  writeFileSync(join(s, 'copy.yaml'), text.replace('tags: [smoke, s1, translate]', 'tags: []'));
  writeFileSync(join(s, 'bad.yaml'), text.replace('requires: [s1]', 'requires: [s1]\ncovers: [no.such.rule]'));
  writeFileSync(join(base, 'golden', 'smoke', 'gone.yaml'), 'scenario: smoke/gone\n');
  writeFileSync(join(base, 'golden', 'smoke', '.gone.yaml.999999999.0.tmp'), '');
  const r = await run(base, ['check']);
  t.equal(r.code, 2);
  const lines = r.stdout.split('\n');
  const codes = lines.map((l) => /error\[(\w+)\]/.exec(l)?.[1]).filter((c) => c !== undefined);
  t.same([...new Set(codes)].sort(), [
    'DUPLICATE_SCENARIO',
    'MISSING_GOLDEN',
    'OBSOLETE_GOLDEN',
    'ORPHAN_TEMP',
    'STALE_COVERAGE_MAP',
    'UNKNOWN_RULE',
    'UNTAGGED',
  ]);
  t.match(
    r.stdout,
    /^coverage\.md:\d+:1: error\[STALE_COVERAGE_MAP\]: Coverage map is out of date; regenerate it with: npx smmu-conform check --write-coverage-map$/m,
  );
  t.match(r.stdout, /^scenarios\/smoke\/copy\.yaml:7:7: error\[UNTAGGED\]: /m, 'located at the tags value');
  t.match(r.stdout, /^scenarios\/smoke\/bad\.yaml:\d+:\d+: error\[UNKNOWN_RULE\]/m);
  t.match(r.stdout, /^scenarios\/smoke\/copy\.yaml:1:1: error\[DUPLICATE_SCENARIO\]: Same test as scenarios\/smoke\/s1-translate\.yaml/m);
  t.match(r.stdout, /^golden\/smoke\/gone\.yaml:1:1: error\[OBSOLETE_GOLDEN\]: No scenario scenarios\/smoke\/gone\.yaml/m);
  t.match(
    r.stdout,
    /^scenarios\/smoke\/copy\.yaml:1:1: error\[MISSING_GOLDEN\]: No golden golden\/smoke\/copy\.yaml; create it with: npx smmu-conform run scenarios\/smoke\/copy\.yaml --update --create/m,
  );
  t.match(r.stdout, /\n4 scenarios, 3 goldens checked: \d+ findings \(/);
  const w = await run(base, ['check', '--write-coverage-map']);
  t.notMatch(w.stdout, /STALE_COVERAGE_MAP/);
  t.notMatch((await run(base, ['check'])).stdout, /STALE_COVERAGE_MAP/, 'the written map is current');
});

t.test('config file errors are located; --config names one; unknown features named', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'smmu-cfg-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  writeFileSync(join(base, 'smmu-conform.config.yaml'), 'scenarios: s\ngoldn: g\njobs: 0\n');
  const r = await run(base, ['run']);
  t.equal(r.code, 2);
  t.match(r.stderr, /smmu-conform\.config\.yaml:2:1: error\[BAD_CONFIG\]: unknown key "goldn"/);
  t.match(r.stderr, /smmu-conform\.config\.yaml:3:7: error\[BAD_CONFIG\]: jobs/);
  writeFileSync(join(base, 'other.yaml'), 'features: [s1, nestng]\n');
  t.match((await run(base, ['run', '--config', 'other.yaml'])).stderr, /Unknown feature "nestng" in "features" of .*other\.yaml \(did you mean "nesting"\?\)/);
  t.match((await run(base, ['check', '--config', 'nope.yaml'])).stderr, /Cannot read config file .*nope\.yaml/);
  writeFileSync(join(base, 'smmu-conform.config.yaml'), 'reporters: [junt]\n');
  t.match((await run(base, ['run'])).stderr, /smmu-conform\.config\.yaml:1:13: error\[BAD_CONFIG\]: reporters\/0 must match pattern/);
});
