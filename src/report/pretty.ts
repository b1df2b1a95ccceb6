/**
 * Human report: details of every failing scenario (messages, the golden diff with the changed
 * part of each line highlighted), one line per SKIP/XFAIL (reasons with --verbose), a table by
 * area, and at the end the list of failures and a one-line summary with the elapsed time.
 * Colour only when the caller says so (a TTY, see color.ts). Progress lines on a TTY are written
 * separately by the CLI (stderr), never here.
 */
import type { ScenarioResult } from '../engine/result.ts';
import { ANSI, type Paint, PLAIN } from './color.ts';
import { diffLines } from './intraline.ts';
import { type Counts, countByArea, countStates, isFailure, problemName, type ReportInput, totals } from './summary.ts';

const COLS: (keyof Counts)[] = ['total', 'pass', 'fail', 'skip', 'xfail', 'xpass', 'error'];

export interface PrettyOptions {
  readonly color?: boolean;
  /** Reasons on SKIP lines, details of XFAIL. */
  readonly verbose?: boolean;
}

export function prettyReport(input: ReportInput, opts: PrettyOptions = {}): string {
  const paint = opts.color === true ? ANSI : PLAIN;
  const verbose = opts.verbose === true;
  const out: string[] = [];
  for (const r of input.results) out.push(...details(r, input.timings, verbose, paint));
  const rows = countByArea(input.results);
  if (rows.length > 0) {
    const table: string[][] = [['area', ...COLS], ...rows.map(([a, c]) => [a, ...COLS.map((k) => String(c[k]))])];
    const all = countStates(input.results);
    table.push(['all', ...COLS.map((k) => String(all[k]))]);
    const widths = table[0]?.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length))) ?? [];
    const fmt = (row: string[]): string => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
    if (out.length > 0) out.push('');
    out.push(fmt(table[0] ?? []), ...table.slice(1, -1).map(fmt), fmt(table[table.length - 1] ?? []));
  }
  for (const w of input.written) out.push(`wrote ${w}`);
  for (const n of input.notes) out.push(`note: ${n}`);

  const failures = [
    ...input.results
      .filter((r) => isFailure(r.state))
      .map((r) => `${label(r.state, paint)} ${r.id}${r.messages[0] !== undefined ? `: ${r.messages[0].split('\n')[0] ?? ''}` : ''}`),
    ...input.problems.map((p) => `${label(p.severity === 'invalid' ? 'error' : 'fail', paint)} ${problemName(p)}: ${p.message}`),
  ];
  if (failures.length > 0) out.push('', paint.bold(`Failures (${failures.length}):`), ...failures.map((f) => `  ${f}`));
  if (out.length > 0) out.push('');
  out.push(summaryLine(input, paint));
  return `${out.join('\n')}\n`;
}

/** `370 scenarios: 365 pass, 1 fail, 4 skip; 1 problem; exit 1 (2.41 s)`. */
export function summaryLine(input: ReportInput, paint: Paint = PLAIN): string {
  const c = countStates(input.results);
  const parts = COLS.slice(1)
    .filter((k) => c[k] > 0 || k === 'pass')
    .map((k) => `${c[k]} ${k}`);
  const t = totals(input);
  const problems = input.problems.length > 0 ? `; ${input.problems.length} problem${input.problems.length === 1 ? '' : 's'}` : '';
  const elapsed = input.elapsedMs !== undefined ? ` in ${(input.elapsedMs / 1000).toFixed(2)} s` : '';
  const verdict = t.exitCode === 0 ? paint.green('ok') : paint.red(t.exitCode === 2 ? 'invalid input' : 'FAILED');
  return `${c.total} scenario${c.total === 1 ? '' : 's'}: ${parts.join(', ')}${problems}${elapsed} — ${verdict} (exit ${t.exitCode})`;
}

function label(state: ScenarioResult['state'], paint: Paint): string {
  const s = state.toUpperCase();
  if (state === 'pass') return paint.green(s);
  if (state === 'skip' || state === 'xfail') return paint.yellow(s);
  return paint.red(paint.bold(s));
}

function details(r: ScenarioResult, timings: boolean, verbose: boolean, paint: Paint): string[] {
  const time = timings && r.ms !== undefined ? ` (${r.ms} ms)` : '';
  const head = `${label(r.state, paint)} ${r.id}${time}`;
  if (r.state === 'pass') return timings ? [head] : [];
  if (r.state === 'skip') return [verbose && r.messages.length > 0 ? `${head}: ${r.messages.join('; ').replace(/\s*\n\s*/g, ' ')}` : head];
  if (r.state === 'xfail' && !verbose) return [head];
  const lines = [head];
  for (const m of r.messages) lines.push(...m.split('\n').map((l) => `  ${l}`));
  if (r.diff !== undefined) lines.push(...renderDiff(r.diff, paint).map((l) => `  ${l}`));
  return lines;
}

/** A unified diff, coloured by line kind, with the changed words of paired -/+ lines highlighted. */
export function renderDiff(diff: string, paint: Paint): string[] {
  if (paint === PLAIN) return diff.replace(/\n$/, '').split('\n');
  return diffLines(diff).map((l) => {
    const text = l.segments.map((s) => (s.changed ? paint.inverse(s.text) : s.text)).join('');
    switch (l.kind) {
      case '-':
        return paint.red(`-${text}`);
      case '+':
        return paint.green(`+${text}`);
      case '@':
        return paint.cyan(text);
      case 'h':
        return paint.bold(text);
      case '\\':
        return paint.dim(text);
      default:
        return ` ${text}`;
    }
  });
}
