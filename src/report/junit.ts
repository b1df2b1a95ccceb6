/**
 * JUnit XML in the common Jenkins (xunit-plugin junit-10.xsd) / Ant shape: one <testsuite> per
 * area, one <testcase> per scenario, and a `(run)` suite with one testcase per run-level problem
 * (obsolete golden, empty selection, bad argument), so a CI system shows the same failures the
 * exit code counts. Only attributes that schema declares are written (no `skipped` on
 * <testsuites>); `type` carries the stable state id.
 */
import { areaOf, type RunProblem, type ScenarioResult } from '../engine/result.ts';
import { escapeHtml } from './escape.ts';
import { problemName, problemVerdict, type ReportInput, resultVerdict, totals, type Verdict } from './summary.ts';

interface Case {
  readonly classname: string;
  readonly name: string;
  readonly file?: string;
  readonly verdict: Verdict;
  /** Stable id for the `type` attribute: fail, xpass, xfail, skip, error, or the problem kind. */
  readonly type: string;
  readonly message: string;
  readonly body: string;
  readonly ms?: number;
}

export function junitReport(input: ReportInput): string {
  const suites = new Map<string, Case[]>();
  const add = (suite: string, c: Case): void => {
    const list = suites.get(suite) ?? [];
    list.push(c);
    suites.set(suite, list);
  };
  for (const r of input.results) add(areaOf(r.id), resultCase(r, input.timings));
  for (const p of input.problems) add('(run)', problemCase(p));
  const all = totals(input);
  const time = input.timings && input.elapsedMs !== undefined ? ` time="${seconds(input.elapsedMs)}"` : '';
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="smmu-conform${input.target !== undefined ? ` on ${esc(input.target)}` : ''}" tests="${all.tests}" failures="${all.failures}" errors="${all.errors}"${time}>`,
  ];
  // Areas sorted; the (run) suite last.
  const names = [...suites.keys()].filter((n) => n !== '(run)').sort();
  if (suites.has('(run)')) names.push('(run)');
  for (const name of names) {
    const cases = suites.get(name) ?? [];
    const n = (v: Verdict): number => cases.filter((c) => c.verdict === v).length;
    out.push(`  <testsuite name="${esc(name)}" tests="${cases.length}" failures="${n('failure')}" errors="${n('error')}" skipped="${n('skipped')}">`);
    for (const c of cases) out.push(...testcase(c));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

function resultCase(r: ScenarioResult, timings: boolean): Case {
  const first = r.messages[0]?.split('\n')[0];
  const message = r.state === 'xpass' ? 'unexpected pass' : r.state === 'xfail' ? 'expected failure' : (first ?? (r.state === 'skip' ? 'skipped' : r.state));
  return {
    classname: areaOf(r.id),
    name: r.id,
    file: r.file,
    verdict: resultVerdict(r),
    type: r.state,
    message,
    body: [...r.messages, ...(r.diff !== undefined ? [r.diff] : [])].join('\n'),
    ...(timings && r.ms !== undefined ? { ms: r.ms } : {}),
  };
}

function problemCase(p: RunProblem): Case {
  return { classname: '(run)', name: problemName(p), verdict: problemVerdict(p), type: p.kind, message: p.message, body: p.message };
}

function testcase(c: Case): string[] {
  const time = c.ms !== undefined ? ` time="${seconds(c.ms)}"` : '';
  const file = c.file !== undefined ? ` file="${esc(c.file)}"` : '';
  const open = `    <testcase classname="${esc(c.classname)}" name="${esc(c.name)}"${file}${time}`;
  switch (c.verdict) {
    case 'passed':
      return [`${open}/>`];
    case 'skipped':
      return [`${open}>`, `      <skipped message="${esc(c.message)}"/>`, '    </testcase>'];
    default: {
      const tag = c.verdict === 'error' ? 'error' : 'failure';
      return [`${open}>`, `      <${tag} type="${esc(c.type)}" message="${esc(c.message)}">${esc(c.body)}</${tag}>`, '    </testcase>'];
    }
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** XML-escape (the one escaper of src/report). */
export const esc = escapeHtml;
