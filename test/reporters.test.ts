// Reporters: TAP directives per state, JUnit structure and escaping, JSON counts, pretty table.
import t from 'tap';
import type { RunProblem, ScenarioResult } from '../src/engine/result.ts';
import { jsonReport } from '../src/report/json.ts';
import { junitReport } from '../src/report/junit.ts';
import { prettyReport } from '../src/report/pretty.ts';
import { tapReport } from '../src/report/tap.ts';

const r = (id: string, state: ScenarioResult['state'], messages: string[] = [], extra: Partial<ScenarioResult> = {}): ScenarioResult => ({
  id,
  file: `scenarios/${id}.yaml`,
  state,
  messages,
  golden: 'match',
  invalid: false,
  ...extra,
});
const results: ScenarioResult[] = [
  r('cmdq/a', 'pass', [], { ms: 12 }),
  r('cmdq/b', 'fail', ['Golden mismatch: events[0]: field sid <&>'], { diff: '--- g\n+++ g (actual)\n@@ -1 +1 @@\n-a\n+b\n' }),
  r('s1/c', 'skip', ['requires ats (not in profile x)']),
  r('s1/d', 'xfail', ['boom']),
  r('s1/e', 'xpass', ['Listed as an expected failure but passed']),
  r('s2/f', 'error', ['f.yaml:1:1: error[BAD_TYPE]: x\u0001y'], { invalid: true }),
];
const obsolete: RunProblem = {
  kind: 'obsolete-golden',
  subject: 's9/gone',
  message: 'Obsolete golden golden/s9/gone.yaml: no scenario s9/gone',
  severity: 'fail',
};
const input = { results, written: ['golden/cmdq/b.yaml'], problems: [obsolete], notes: ['n1'], timings: false };

t.test('TAP 14 with SKIP/TODO directives and YAML diagnostics', async (t) => {
  const out = tapReport(input);
  t.match(out, /^TAP version 14\n1\.\.7\nok 1 - cmdq\/a\nnot ok 2 - cmdq\/b\n {2}---\n {2}state: fail\n/);
  t.match(out, /\n {2}diff: \|\n {4}--- g\n {4}\+\+\+ g \(actual\)\n/);
  t.match(out, /\nok 3 - s1\/c # SKIP requires ats \(not in profile x\)\n/);
  t.match(out, /\nnot ok 4 - s1\/d # TODO expected failure\n/);
  t.match(out, /\nnot ok 5 - s1\/e\n/);
  t.match(out, /\nnot ok 7 - \(run\) obsolete-golden s9\/gone\n {2}---\n {2}state: fail\n {2}kind: obsolete-golden\n/);
  t.match(out, /# problems 1\n# wrote golden\/cmdq\/b\.yaml\n# note: n1\n$/);
  t.notMatch(out, /duration_ms/, 'no timings unless asked');
  t.match(tapReport({ ...input, timings: true }), /duration_ms: 12/);
});

t.test('JUnit: suites by area, escaping, states mapped', async (t) => {
  const out = junitReport(input);
  t.match(out, /<testsuites name="smmu-conform" tests="7" failures="3" errors="1">/);
  t.match(
    out,
    /<testsuite name="\(run\)" tests="1" failures="1" errors="0" skipped="0">\n {4}<testcase classname="\(run\)" name="\(run\) obsolete-golden s9\/gone">\n {6}<failure type="obsolete-golden" message="Obsolete golden/,
  );
  t.match(out, /<testsuite name="cmdq" tests="2" failures="1" errors="0" skipped="0">/);
  t.match(out, /<failure type="fail" message="Golden mismatch: events\[0\]: field sid &lt;&amp;&gt;">/);
  t.match(out, /<error type="error" message="f\.yaml:1:1: error\[BAD_TYPE\]: x\ufffdy">/);
  t.match(out, /name="s1\/e" file="scenarios\/s1\/e\.yaml">\n {6}<failure type="xpass" message="unexpected pass">/);
  t.notMatch(out, /time=/);
});

t.test('JSON and pretty', async (t) => {
  const doc = JSON.parse(jsonReport(input)) as { summary: Record<string, number>; areas: Record<string, Record<string, number>>; obsolete: string[] };
  t.same(doc.summary, { total: 6, pass: 1, fail: 1, skip: 1, xfail: 1, xpass: 1, error: 1 });
  t.same(doc.areas['s1'], { total: 3, pass: 0, fail: 0, skip: 1, xfail: 1, xpass: 1, error: 0 });
  t.same(doc.obsolete, ['s9/gone']);
  t.equal((doc as unknown as { exit_code: number }).exit_code, 2, 'an invalid scenario makes the run invalid');
  const p = prettyReport(input);
  t.match(p, /\narea {2}total {2}pass {2}fail {2}skip {2}xfail {2}xpass {2}error\ncmdq {6}2 {5}1 {5}1 {5}0 {6}0 {6}0 {6}0\n/);
  t.match(p, /\nall {7}6 {5}1 {5}1 {5}1 {6}1 {6}1 {6}1\n/);
  t.notMatch(p, /PASS cmdq\/a/, 'passing scenarios are not listed');
  t.match(p, /\nSKIP s1\/c\n/, 'one line per skip, no reason without --verbose');
  t.match(prettyReport(input, { verbose: true }), /\nSKIP s1\/c: requires ats \(not in profile x\)\n/);
  t.match(
    p,
    /\nFailures \(4\):\n {2}FAIL cmdq\/b: Golden mismatch[^\n]*\n {2}XPASS s1\/e: Listed[^\n]*\n {2}ERROR s2\/f: f\.yaml[^\n]*\n {2}FAIL \(run\) obsolete-golden s9\/gone: Obsolete golden[^\n]*\n\n6 scenarios: 1 pass, 1 fail, 1 skip, 1 xfail, 1 xpass, 1 error; 1 problem — invalid input \(exit 2\)\n$/,
  );
  t.match(prettyReport({ ...input, elapsedMs: 2345 }), / in 2\.35 s — invalid input \(exit 2\)\n$/, 'elapsed time in the summary');
  t.notMatch(p, /\x1b\[/, 'no colour unless asked');
  const colored = prettyReport(input, { color: true });
  t.match(colored, /\x1b\[31m\x1b\[1mFAIL\x1b\[22m\x1b\[39m cmdq\/b/);
  t.match(colored, /\x1b\[31m-\x1b\[7ma\x1b\[27m\x1b\[39m\n {2}\x1b\[32m\+\x1b\[7mb\x1b\[27m\x1b\[39m/, 'changed words inverted within the line');
});
