/**
 * Human report: details of every non-passing scenario, then a summary table by area (first path
 * segment). Progress lines on a TTY are written separately by the CLI (stderr), never here.
 */
import type { ScenarioResult } from '../engine/result.ts';
import { type Counts, countByArea, countStates, type ReportInput } from './summary.ts';

const COLS: (keyof Counts)[] = ['total', 'pass', 'fail', 'skip', 'xfail', 'xpass', 'error'];

export function prettyReport(input: ReportInput): string {
  const out: string[] = [];
  for (const r of input.results) {
    if (r.state === 'pass' && !input.timings) continue;
    out.push(...details(r, input.timings));
  }
  if (input.results.length === 0) out.push('0 scenarios');
  const rows = countByArea(input.results);
  if (rows.length > 0) {
    const table: string[][] = [['area', ...COLS], ...rows.map(([a, c]) => [a, ...COLS.map((k) => String(c[k]))])];
    const all = countStates(input.results);
    table.push(['all', ...COLS.map((k) => String(all[k]))]);
    const widths = table[0]?.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length))) ?? [];
    const fmt = (row: string[]): string => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
    out.push('', fmt(table[0] ?? []), ...table.slice(1, -1).map(fmt), fmt(table[table.length - 1] ?? []));
  }
  for (const o of input.obsolete) out.push(`obsolete golden (no scenario): ${o}`);
  for (const w of input.written) out.push(`wrote ${w}`);
  for (const n of input.notes) out.push(`note: ${n}`);
  return `${out.join('\n')}\n`;
}

function details(r: ScenarioResult, timings: boolean): string[] {
  const time = timings && r.ms !== undefined ? ` (${r.ms} ms)` : '';
  const lines = [`${r.state.toUpperCase()} ${r.id}${time}`];
  for (const m of r.messages) lines.push(...m.split('\n').map((l) => `  ${l}`));
  if (r.diff !== undefined) lines.push(...r.diff.replace(/\n$/, '').split('\n').map((l) => `  ${l}`));
  return lines;
}
