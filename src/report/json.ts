/** Machine-readable summary: counts, every result, obsolete goldens, files written, notes. */
import { countByArea, countStates, type ReportInput } from './summary.ts';

export function jsonReport(input: ReportInput): string {
  const doc = {
    version: 1,
    summary: countStates(input.results),
    areas: Object.fromEntries(countByArea(input.results)),
    results: input.results.map((r) => ({
      id: r.id,
      file: r.file,
      state: r.state,
      golden: r.golden,
      messages: r.messages,
      ...(r.diff !== undefined ? { diff: r.diff } : {}),
      ...(input.timings && r.ms !== undefined ? { duration_ms: r.ms } : {}),
    })),
    obsolete: input.obsolete,
    written: input.written,
    notes: input.notes,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
