/** JUnit XML: one <testsuite> per area, one <testcase> per scenario. */
import { areaOf, type ScenarioResult } from '../engine/result.ts';
import { countByArea, countStates, type ReportInput } from './summary.ts';

export function junitReport(input: ReportInput): string {
  const all = countStates(input.results);
  const failures = all.fail + all.xpass;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="smmu-conform" tests="${all.total}" failures="${failures}" errors="${all.error}" skipped="${all.skip + all.xfail}">`,
  ];
  for (const [area, c] of countByArea(input.results)) {
    out.push(`  <testsuite name="${esc(area)}" tests="${c.total}" failures="${c.fail + c.xpass}" errors="${c.error}" skipped="${c.skip + c.xfail}">`);
    for (const r of input.results.filter((x) => areaOf(x.id) === area)) out.push(...testcase(r, input.timings));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

function testcase(r: ScenarioResult, timings: boolean): string[] {
  const time = timings && r.ms !== undefined ? ` time="${(r.ms / 1000).toFixed(3)}"` : '';
  const open = `    <testcase classname="${esc(areaOf(r.id))}" name="${esc(r.id)}" file="${esc(r.file)}"${time}`;
  const body = [...r.messages, ...(r.diff !== undefined ? [r.diff] : [])].join('\n');
  switch (r.state) {
    case 'pass':
      return [`${open}/>`];
    case 'skip':
      return [`${open}>`, `      <skipped message="${esc(r.messages[0] ?? 'skipped')}"/>`, '    </testcase>'];
    case 'xfail':
      return [`${open}>`, '      <skipped message="expected failure"/>', '    </testcase>'];
    case 'error':
      return [`${open}>`, `      <error message="${esc(r.messages[0]?.split('\n')[0] ?? 'error')}">${esc(body)}</error>`, '    </testcase>'];
    default:
      return [`${open}>`, `      <failure message="${esc(r.state === 'xpass' ? 'unexpected pass' : (r.messages[0]?.split('\n')[0] ?? 'failed'))}">${esc(body)}</failure>`, '    </testcase>'];
  }
}

/** XML-escape, dropping characters XML 1.0 cannot carry. */
export function esc(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
