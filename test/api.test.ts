// The package as another project uses it: built with the release tsconfig into a temporary
// package, imported by name from a consumer folder with plain node (no tsx), and its .d.ts
// checked by tsc against a consumer written in TypeScript. Schemas resolve by $id.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadScenario, runSuite, targets } from '../src/index.ts';
import { SYSTEM_QEMU, qemuMissing } from './support/qemu.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
/** tsc's ESM entry run by node directly (the bin shim would be loaded as CommonJS under the test runner's hooks). */
const TSC_JS = join(REPO, 'node_modules', 'typescript', 'lib', 'tsc.js');
/** Child processes run as a user's would: without the test runner's loaders. */
const ENV = { ...process.env, NODE_OPTIONS: '' };

t.test('runSuite, loadScenario, targets from the source entry', async (t) => {
  const run = await runSuite({ cwd: REPO, patterns: ['scenarios/smoke'], jobs: 1, target: targets.emulator });
  t.equal(run.exitCode, 0);
  t.equal(run.tests, run.results.length);
  t.ok(run.results.every((r) => r.state === 'pass'));
  const empty = await runSuite({ cwd: REPO, grep: /no-such-scenario/ });
  t.equal(empty.exitCode, 2, 'the same result model as the CLI: nothing selected is invalid');
  t.same(
    empty.problems.map((p) => p.kind),
    ['empty-selection'],
  );
  await t.rejects(runSuite({ cwd: REPO, shard: '5/4' }), TypeError);
  const bad = loadScenario({ text: 'description: x\n', file: 'x.yaml' });
  t.equal(bad.scenario, undefined);
  t.ok(bad.errors.every((e) => e.file === 'x.yaml' && e.line >= 1));
  t.ok(loadScenario(join(REPO, 'scenarios', 'smoke', 's1-translate.yaml')).scenario !== undefined);
});

// targets.qemu(): the same runSuite on QEMU's SMMUv3, with its known deviations (targets/qemu-*.yaml) as XFAIL
const QEMU = SYSTEM_QEMU;
const qemuAbsent = qemuMissing(QEMU);
t.test('targets.qemu() runs scenarios on QEMU through the API', qemuAbsent !== undefined ? { skip: qemuAbsent } : {}, async (t) => {
  const run = await runSuite({ cwd: REPO, patterns: ['scenarios/smoke'], jobs: 1, target: targets.qemu(QEMU) });
  t.match(run.target, /^qemu-\d+\.\d+$/, 'the report names the QEMU version');
  t.equal(run.exitCode, 0, 'smoke passes on QEMU, deviations listed as XFAIL');
  t.ok(run.results.some((r) => r.state === 'pass' && r.messages.some((m) => m.startsWith(`on ${run.target ?? ''}, normalised:`))));
  t.ok(
    run.results.some((r) => r.state === 'xfail'),
    'a known deviation from the expectation file',
  );
  await t.rejects(runSuite({ cwd: REPO, target: targets.qemu('/nonexistent/qemu-system-aarch64') }), TypeError);
});

t.test('the built package, imported by name with plain node and type-checked by a consumer', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'smmu-api-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const pkg = join(base, 'pkg');
  mkdirSync(pkg);
  execFileSync(process.execPath, [TSC_JS, '--singleThreaded', '-p', join(REPO, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], {
    stdio: 'pipe',
    env: ENV,
  });
  for (const f of ['package.json', 'schemas', 'scenarios', 'golden']) cpSync(join(REPO, f), join(pkg, f), { recursive: true });
  const consumer = join(base, 'consumer');
  mkdirSync(join(consumer, 'node_modules'), { recursive: true });
  symlinkSync(pkg, join(consumer, 'node_modules', 'smmu-conform'));
  for (const dep of ['ajv', 'yaml', 'diff', 'ci-info', 'fast-deep-equal', 'fast-uri', 'json-schema-traverse', 'require-from-string', '@types']) {
    // The package resolves its dependencies from its own (real) folder, the consumer its types.
    for (const at of [pkg, consumer]) {
      mkdirSync(join(at, 'node_modules'), { recursive: true });
      symlinkSync(join(REPO, 'node_modules', dep), join(at, 'node_modules', dep));
    }
  }
  writeFileSync(join(consumer, 'package.json'), '{ "name": "consumer", "type": "module", "private": true }\n');
  writeFileSync(
    join(consumer, 'use.mjs'),
    `import { runSuite, loadScenario, targets, renderReport } from 'smmu-conform';
import { createRequire } from 'node:module';
const root = createRequire(import.meta.url).resolve('smmu-conform/package.json').replace(/package\\.json$/, '');
const run = await runSuite({ cwd: root, patterns: ['scenarios/smoke/s1-translate.yaml'], jobs: 1, target: targets.emulator });
const junit = await renderReport('junit', run);
console.log(JSON.stringify({ exit: run.exitCode, states: run.results.map((r) => r.state), junit: junit.includes('<testsuites'), load: loadScenario(root + 'scenarios/smoke/s1-translate.yaml').errors.length }));
`,
  );
  const out = execFileSync(process.execPath, ['use.mjs'], { cwd: consumer, encoding: 'utf8', env: ENV });
  t.same(JSON.parse(out), { exit: 0, states: ['pass'], junit: true, load: 0 }, 'compiled JS runs under plain node');

  writeFileSync(
    join(consumer, 'check.ts'),
    `import { runSuite, targets, type RunOutcome, type ScenarioResult, type Target } from 'smmu-conform';
const t: Target = targets.emulator;
const run: RunOutcome = await runSuite({ target: t, features: ['s1', 's2'], shard: '1/2' });
const first: ScenarioResult | undefined = run.results[0];
const code: 0 | 1 | 2 = run.exitCode;
// @ts-expect-error: a feature name must be one of FEATURES
await runSuite({ features: ['nope'] });
export { first, code };
`,
  );
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: false, types: ['node'] },
      files: ['check.ts'],
    }),
  );
  let tscOut = '';
  try {
    execFileSync(process.execPath, [TSC_JS, '--singleThreaded', '-p', join(consumer, 'tsconfig.json')], {
      cwd: consumer,
      encoding: 'utf8',
      stdio: 'pipe',
      env: ENV,
    });
  } catch (e) {
    tscOut = String((e as { stdout?: string }).stdout ?? e);
  }
  t.equal(tscOut, '', 'the .d.ts types a consumer (and reject a bad feature)');
});

t.test('every shipped schema has an $id that resolves to its file through the package exports', async (t) => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; files: string[] };
  t.equal(pkg.exports['./schemas/*'], './schemas/*');
  t.ok(pkg.files.includes('schemas'));
  for (const f of readdirSync(join(REPO, 'schemas'))) {
    const s = JSON.parse(readFileSync(join(REPO, 'schemas', f), 'utf8')) as { $id?: string };
    t.equal(s.$id, `https://smmu-conform.dev/schemas/${f}`, `${f}: $id names the file (smmu-conform/schemas/${f})`);
  }
});
