/**
 * TAP version 14. skip -> `# SKIP`, xfail -> `not ok ... # TODO` (a known failure that does not
 * fail the run), xpass -> `not ok` (it does fail). Run-level problems (obsolete goldens, an empty
 * selection, bad arguments) are test points of their own after the scenarios, so a TAP consumer
 * fails exactly when the exit code is non-zero. Diagnostics go in a YAML block.
 */
import type { ScenarioResult } from '../engine/result.ts';
import { countStates, problemName, type ReportInput } from './summary.ts';

export function tapReport(input: ReportInput): string {
  const out = ['TAP version 14', `1..${input.results.length + input.problems.length}`];
  input.results.forEach((r, i) => {
    const desc = `${i + 1} - ${r.id}`;
    switch (r.state) {
      case 'pass':
        out.push(`ok ${desc}`);
        break;
      case 'skip':
        out.push(`ok ${desc} # SKIP ${oneLine(r.messages[0] ?? '')}`);
        break;
      case 'xfail':
        out.push(`not ok ${desc} # TODO expected failure`);
        break;
      default:
        out.push(`not ok ${desc}`);
    }
    const diag = diagnostics(r, input.timings);
    if (diag.length > 0) out.push('  ---', ...diag.map((l) => `  ${l}`), '  ...');
  });
  input.problems.forEach((p, i) => {
    out.push(
      `not ok ${input.results.length + i + 1} - ${problemName(p)}`,
      '  ---',
      `  state: ${p.severity === 'invalid' ? 'error' : 'fail'}`,
      `  kind: ${p.kind}`,
      `  message: ${JSON.stringify(p.message)}`,
      '  ...',
    );
  });
  const c = countStates(input.results);
  out.push(
    `# pass ${c.pass}`,
    `# fail ${c.fail}`,
    `# skip ${c.skip}`,
    `# xfail ${c.xfail}`,
    `# xpass ${c.xpass}`,
    `# error ${c.error}`,
    `# problems ${input.problems.length}`,
  );
  if (input.timings && input.elapsedMs !== undefined) out.push(`# elapsed_ms ${Math.round(input.elapsedMs)}`);
  for (const w of input.written) out.push(`# wrote ${w}`);
  for (const note of input.notes) out.push(`# note: ${oneLine(note)}`);
  return `${out.join('\n')}\n`;
}

function diagnostics(r: ScenarioResult, timings: boolean): string[] {
  if (r.state === 'pass' && !timings) return [];
  const lines = [`state: ${r.state}`, `file: ${JSON.stringify(r.file)}`];
  if (r.state !== 'pass' && r.state !== 'skip' && r.messages.length > 0) {
    lines.push('messages:', ...r.messages.map((m) => `  - ${JSON.stringify(m)}`));
  }
  if (r.diff !== undefined)
    lines.push(
      'diff: |',
      ...r.diff
        .replace(/\n$/, '')
        .split('\n')
        .map((l) => `  ${l}`),
    );
  if (timings && r.ms !== undefined) lines.push(`duration_ms: ${r.ms}`);
  return lines;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').replace(/#/g, '\\#');
}
