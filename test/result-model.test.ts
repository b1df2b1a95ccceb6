// One result model: the exit code and every reporter (JUnit, TAP, JSON, pretty) agree on what
// failed, for any mix of scenario states and run-level problems; JUnit is valid against the
// Jenkins/Ant schema (test/junit.schema.json, checked by test/support/junit-check.ts).
import fc from 'fast-check';
import t from 'tap';
import { RESULT_STATES, type RunProblem, type ScenarioResult } from '../src/engine/result.ts';
import { jsonReport } from '../src/report/json.ts';
import { junitReport } from '../src/report/junit.ts';
import { prettyReport } from '../src/report/pretty.ts';
import { type ReportInput, totals } from '../src/report/summary.ts';
import { tapReport } from '../src/report/tap.ts';
import { checkJunit } from './support/junit-check.ts';

const result = fc
  .record({
    id: fc.stringMatching(/^[a-c]{1,2}\/[a-z<&"'\u0001]{1,4}$/),
    state: fc.constantFrom(...RESULT_STATES),
    invalid: fc.boolean(),
    messages: fc.array(fc.string({ maxLength: 12 }), { maxLength: 2 }),
  })
  .map(
    ({ id, state, invalid, messages }): ScenarioResult => ({
      id,
      file: `scenarios/${id}.yaml`,
      state,
      invalid: state === 'error' && invalid,
      golden: 'not-run',
      messages,
    }),
  );
const problem = fc
  .record({
    kind: fc.constantFrom('obsolete-golden', 'empty-selection', 'unknown-tag', 'shard-too-small', 'unmatched-argument', 'bad-directory' as const),
    subject: fc.string({ minLength: 1, maxLength: 6 }),
  })
  .map(({ kind, subject }): RunProblem => ({ kind, subject, message: `m ${subject}`, severity: kind === 'obsolete-golden' ? 'fail' : 'invalid' }));
const inputs = fc
  .record({
    results: fc.uniqueArray(result, { selector: (r) => r.id, maxLength: 8 }).map((rs) => [...rs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))),
    problems: fc.array(problem, { maxLength: 3 }),
  })
  .map(({ results, problems }): ReportInput => ({ results, problems, written: [], notes: [], timings: false }));

t.test('exit code, JUnit, TAP, JSON and pretty agree for any outcome', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(inputs, (input) => {
        const tot = totals(input);
        const bad = tot.failures + tot.errors;
        const j = checkJunit(junitReport(input));
        if (j.problems.length > 0) throw new Error(`JUnit invalid: ${j.problems.join('; ')}`);
        if (j.failures !== tot.failures || j.errors !== tot.errors || j.skipped !== tot.skipped || j.tests !== tot.tests)
          throw new Error('JUnit counts differ');
        if (bad > 0 !== (tot.exitCode !== 0)) throw new Error(`exit ${tot.exitCode} with ${bad} failures+errors`);
        const tap = tapReport(input);
        const notOk = tap.split('\n').filter((l) => /^not ok \d+/.test(l) && !/# TODO/.test(l)).length;
        if (notOk !== bad) throw new Error(`TAP has ${notOk} failing points, expected ${bad}`);
        if (!tap.includes(`\n1..${tot.tests}\n`)) throw new Error('TAP plan');
        const json = JSON.parse(jsonReport(input)) as { exit_code: number; totals: Record<string, number> };
        if (json.exit_code !== tot.exitCode || json.totals['failures'] !== tot.failures || json.totals['errors'] !== tot.errors)
          throw new Error('JSON differs');
        if (!prettyReport(input).endsWith(`(exit ${tot.exitCode})\n`)) throw new Error('pretty summary differs');
        return true;
      }),
      { numRuns: 300 },
    ),
  );
});

t.test('the states map the same way everywhere', async (t) => {
  const r = (id: string, state: ScenarioResult['state']): ScenarioResult => ({
    id,
    file: `${id}.yaml`,
    state,
    invalid: false,
    golden: 'not-run',
    messages: ['why'],
  });
  const each: [ScenarioResult['state'], number, string, string][] = [
    ['pass', 0, 'ok 1 - a/x', ''],
    ['skip', 0, 'ok 1 - a/x # SKIP why', '<skipped message="why"/>'],
    ['xfail', 0, 'not ok 1 - a/x # TODO expected failure', '<skipped message="expected failure"/>'],
    ['xpass', 1, 'not ok 1 - a/x', '<failure type="xpass" message="unexpected pass">'],
    ['fail', 1, 'not ok 1 - a/x', '<failure type="fail" message="why">'],
    ['error', 1, 'not ok 1 - a/x', '<error type="error" message="why">'],
  ];
  for (const [state, exit, tapLine, junitEl] of each) {
    const input: ReportInput = { results: [r('a/x', state)], problems: [], written: [], notes: [], timings: false };
    t.equal(totals(input).exitCode, exit, `${state}: exit ${exit}`);
    t.match(tapReport(input), `\n${tapLine}\n`, `${state}: TAP`);
    if (junitEl !== '') t.match(junitReport(input), junitEl, `${state}: JUnit`);
    t.equal((JSON.parse(jsonReport(input)) as { results: { state: string }[] }).results[0]?.state, state);
  }
});

t.test('the JUnit checker itself rejects what Jenkins would', async (t) => {
  const ok = '<?xml version="1.0"?>\n<testsuites tests="1"><testsuite name="a" tests="1"><testcase name="x"/></testsuite></testsuites>';
  t.same(checkJunit(ok).problems, []);
  t.match(
    checkJunit(ok.replace('<testsuites tests="1">', '<testsuites tests="1" skipped="0">')).problems.join(),
    /additionalProperty/,
    'skipped is not an attribute of <testsuites>',
  );
  t.match(checkJunit(ok.replace(' name="a"', '')).problems.join(), /name/, 'testsuite name is required');
  t.match(checkJunit(ok.replace('tests="1"><testcase', 'tests="2"><testcase')).problems.join(), /tests="2" but 1/);
  t.match(checkJunit(ok.replace('<testcase name="x"/>', '<testcase name="x"><failure/><skipped/></testcase>')).problems.join(), /out of order/);
  t.match(checkJunit(ok.replace('name="x"', 'name="a & b"')).problems.join(), /not well-formed/);
  t.match(checkJunit(ok.replace('name="x"', 'name="\u0001"')).problems.join(), /not allowed in XML/);
  t.match(
    checkJunit(ok.replace('<testcase name="x"/>', '<testcase name="x"><skipped/><skipped/></testcase>')).problems.join(),
    /must contain at least 0 and no more than 1/,
  );
});
