/** Machine-readable report: the totals and exit code, counts by state and area, every result and run-level problem. */
import { countByArea, countStates, type ReportInput, totals } from './summary.ts';

export function jsonReport(input: ReportInput): string {
  const t = totals(input);
  const doc = {
    version: 2,
    ...(input.target !== undefined ? { target: input.target } : {}),
    exit_code: t.exitCode,
    totals: { tests: t.tests, failures: t.failures, errors: t.errors, skipped: t.skipped },
    summary: countStates(input.results),
    areas: Object.fromEntries(countByArea(input.results)),
    results: input.results.map((r) => ({
      id: r.id,
      file: r.file,
      state: r.state,
      golden: r.golden,
      messages: r.messages,
      ...(r.diff !== undefined ? { diff: r.diff } : {}),
      ...(r.divergence !== undefined ? { divergence: r.divergence } : {}),
      ...(input.timings && r.ms !== undefined ? { duration_ms: r.ms } : {}),
    })),
    problems: input.problems.map((p) => ({ kind: p.kind, subject: p.subject, severity: p.severity, message: p.message })),
    obsolete: input.problems.filter((p) => p.kind === 'obsolete-golden').map((p) => p.subject),
    written: input.written,
    notes: input.notes,
    ...(input.timings && input.elapsedMs !== undefined ? { elapsed_ms: Math.round(input.elapsedMs) } : {}),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
