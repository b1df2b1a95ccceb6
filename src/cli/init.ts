/**
 * `smmu-conform init [DIR]`: scaffold a scenario tree of one's own — the config file, two
 * example scenarios copied from the shipped suite with their reviewed goldens, a coverage map,
 * and CI snippets (GitHub Actions, GitLab) that shard the run and upload JUnit. Never overwrites
 * a file. Every command it prints works as printed from where it says to run it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { checkTree } from '../coverage/check.ts';
import { posix } from '../engine/discover.ts';
import { type Options, parseCommandArgs } from './args.ts';
import { quote, TOOL } from './common.ts';
import { CONFIG_FILE } from './config.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK } from './io.ts';

const OPTIONS: Options = {};

/** Shipped scenarios used as examples: one translation, one fault, both smoke tests with reviewed goldens. */
export const EXAMPLES = ['smoke/s1-translate', 'smoke/s1-translation-fault'] as const;
/** Shards in the CI snippets: at most the number of scenarios (the run rejects more). */
export const CI_SHARDS = 2;

export const INIT_HELP = `Usage: ${TOOL} init [DIR]

Create a scenario tree of your own in DIR (default: the current folder):
  ${CONFIG_FILE}                  roots, reporters, checks (schema: schemas/config.schema.json)
  scenarios/smoke/*.yaml          two example scenarios (with the $schema modeline)
  golden/smoke/*.yaml             their reviewed goldens
  coverage.md                     areas x rules coverage map, kept current by check
  .github/workflows/smmu-conform.yml, ci/smmu-conform.gitlab-ci.yml   CI with sharding and JUnit
Existing files are never overwritten (exit 2, nothing written).
`;

/** The package root (schemas/, scenarios/, golden/ ship beside dist/). */
function packageRoot(): string {
  return new URL(import.meta.url.endsWith('.ts') ? '../../' : '../../../', import.meta.url).pathname;
}

export function initCommand(args: readonly string[], io: CliIo): number {
  const p = parseCommandArgs(args, OPTIONS);
  if (typeof p === 'string' || p.positionals.length > 1) {
    io.stderr(`smmu-conform init: ${typeof p === 'string' ? p : 'Expected at most one folder'}\n`);
    return EXIT_INVALID;
  }
  const dirArg = p.positionals[0] ?? '.';
  const dir = resolve(io.cwd, dirArg);
  const pkg = packageRoot();
  const files = new Map<string, string>();
  const schemaRel = (from: string, schema: string): string =>
    posix(relative(dirname(join(dir, from)), join(dir, 'node_modules', 'smmu-conform', 'schemas', schema)));
  files.set(CONFIG_FILE, configText(schemaRel(CONFIG_FILE, 'config.schema.json')));
  for (const id of EXAMPLES) {
    const scen = readFileSync(join(pkg, 'scenarios', `${id}.yaml`), 'utf8');
    const rel = `scenarios/${id}.yaml`;
    files.set(rel, scen.replace(/^# yaml-language-server: \$schema=.*$/m, `# yaml-language-server: $schema=${schemaRel(rel, 'scenario.schema.json')}`));
    files.set(`golden/${id}.yaml`, readFileSync(join(pkg, 'golden', `${id}.yaml`), 'utf8'));
  }
  files.set('.github/workflows/smmu-conform.yml', GITHUB);
  files.set('ci/smmu-conform.gitlab-ci.yml', GITLAB);
  const clash = [...files.keys(), 'coverage.md'].filter((f) => existsSync(join(dir, f)));
  if (clash.length > 0) {
    io.stderr(`smmu-conform init: Not overwriting existing files in ${dirArg}: ${clash.join(', ')}; remove them or pick another folder\n`);
    return EXIT_INVALID;
  }
  for (const [rel, text] of files) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  // The coverage map is generated from the examples, so `check` starts clean.
  const map =
    checkTree({
      cwd: dir,
      root: join(dir, 'scenarios'),
      goldenDir: join(dir, 'golden'),
      coverageMap: join(dir, 'coverage.md'),
      rerun: `${TOOL} run`,
      recheck: `${TOOL} check`,
    }).coverageText ?? '';
  writeFileSync(join(dir, 'coverage.md'), map);
  const cd = relative(io.cwd, dir);
  const steps = [
    ...(cd !== '' ? [`cd ${quote(cd)}`] : []),
    `${TOOL} check                 # schema, citations, covers, goldens, duplicates, coverage map`,
    `${TOOL} run                   # runs the examples; reports as set in ${CONFIG_FILE}`,
    `${TOOL} run --tag smoke --reporter tap`,
  ];
  io.stdout(
    [
      `Created a smmu-conform scenario tree in ${cd === '' ? 'the current folder' : cd}:`,
      ...[...files.keys(), 'coverage.md'].sort().map((f) => `  ${f}`),
      '',
      'Next (with smmu-conform installed in this project: npm install --save-dev smmu-conform):',
      ...steps.map((s) => `  ${s}`),
      '',
      'Write a scenario: copy an example, change it, then create its golden and check every value by hand:',
      `  ${TOOL} run scenarios/<area>/<name>.yaml --update --create`,
      `Keep coverage.md current after changing covers: ${TOOL} check --write-coverage-map`,
      'The authoring guide: node_modules/smmu-conform/docs/writing-scenarios.md',
      '',
    ].join('\n'),
  );
  return EXIT_OK;
}

function configText(schema: string): string {
  return `# yaml-language-server: $schema=${schema}
# smmu-conform project settings (documented in node_modules/smmu-conform/docs/writing-scenarios.md).
# Paths are relative to this file; command-line options override every key.
scenarios: scenarios        # scenario root (--root)
golden: golden              # goldens, same relative paths as the scenarios (--golden)
# features: [s1, s2, nesting]   # what the SMMU under test has; scenarios requiring more are SKIP (--features)
# executor: ./my-target.js      # a module exporting executeScenario, instead of the built-in emulator
reporters:                  # NAME or NAME:FILE; --reporter replaces this list
  - pretty
  - junit:out/junit.xml
  - tap:out/report.tap
  - json:out/report.json
  - html:out/report.html     # one self-contained page: rules x results matrix, diffs, walks
check_obsolete: true        # a golden without its scenario fails the run
# expect_fail: expected-failures.txt   # known failures: XFAIL; a listed scenario that passes is XPASS (a failure)
coverage_map: coverage.md   # check keeps this areas x rules map current (check --write-coverage-map)
`;
}

const GITHUB = `# smmu-conform in GitHub Actions: the scenario tree, sharded, with JUnit results kept.
name: smmu-conform
on: [push, pull_request]
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with: { node-version: 20 }
      - run: npm ci
      - run: ${TOOL} check
  run:
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        shard: [${Array.from({ length: CI_SHARDS }, (_, i) => i + 1).join(', ')}]   # at most the number of scenarios
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with: { node-version: 20 }
      - run: npm ci
      - run: ${TOOL} run --shard \${{ matrix.shard }}/${CI_SHARDS} --reporter pretty --reporter junit:out/junit-\${{ matrix.shard }}.xml
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: smmu-conform-junit-\${{ matrix.shard }}
          path: out/
`;

const GITLAB = `# smmu-conform in GitLab CI: add to .gitlab-ci.yml with
#   include: { local: ci/smmu-conform.gitlab-ci.yml }
smmu-conform-check:
  image: node:20
  script:
    - npm ci
    - ${TOOL} check

smmu-conform-run:
  image: node:20
  parallel: ${CI_SHARDS}   # at most the number of scenarios
  script:
    - npm ci
    - ${TOOL} run --shard $CI_NODE_INDEX/$CI_NODE_TOTAL --reporter pretty --reporter junit:out/junit.xml
  artifacts:
    when: always
    paths: [out/]
    reports:
      junit: out/junit.xml
`;
