/**
 * Reporter selection: `--reporter NAME[:FILE]`, repeatable. At most one reporter writes to
 * stdout; the others write files (atomically, folders created). Every reporter renders the same
 * ReportInput, so their counts agree with each other and with the exit code.
 */
import { resolve } from 'node:path';
import { closest } from '../arch/fields.ts';
import { writeGoldenAtomic } from '../golden/store.ts';
import type { HtmlExtras } from './html/data.ts';
import type { TraceCompareView } from './html/trace.ts';
import type { ReportInput } from './summary.ts';

export const REPORTERS = ['pretty', 'tap', 'junit', 'json', 'html'] as const;
export type ReporterName = (typeof REPORTERS)[number];

export interface ReporterSpec {
  readonly name: ReporterName;
  /** Output file as given (relative to the working directory); undefined = stdout. */
  readonly file?: string;
}

function isReporter(s: string): s is ReporterName {
  return (REPORTERS as readonly string[]).includes(s);
}

export function parseReporterSpec(text: string): ReporterSpec | string {
  const i = text.indexOf(':');
  const name = i < 0 ? text : text.slice(0, i);
  const file = i < 0 ? undefined : text.slice(i + 1);
  if (!isReporter(name)) {
    const dym = closest(name, REPORTERS);
    return `Unknown reporter "${name}"${dym !== undefined ? ` (did you mean "${dym}"?)` : ''}; expected one of: ${REPORTERS.join(', ')}, optionally with :FILE`;
  }
  if (file === '') return `Reporter "${text}" has an empty file name; use ${name}:PATH or just ${name}`;
  return file === undefined ? { name } : { name, file };
}

/** Parse every spec; at most one may go to stdout. Empty list = pretty on stdout. */
export function parseReporterSpecs(texts: readonly string[]): ReporterSpec[] | string {
  const specs: ReporterSpec[] = [];
  for (const t of texts) {
    const s = parseReporterSpec(t);
    if (typeof s === 'string') return s;
    specs.push(s);
  }
  const toStdout = specs.filter((s) => s.file === undefined);
  if (toStdout.length > 1)
    return `Only one reporter can write to stdout (got ${toStdout.map((s) => s.name).join(', ')}); give the others a file, e.g. --reporter junit:out/junit.xml`;
  const files = specs.flatMap((s) => (s.file === undefined ? [] : [resolve(s.file)]));
  if (new Set(files).size !== files.length) return 'Two reporters write the same file';
  return specs.length === 0 ? [{ name: 'pretty' }] : specs;
}

export interface RenderOptions {
  readonly color: boolean;
  readonly verbose: boolean;
  /** Extra data only the HTML report shows (coverage matrix, decoded events, walks); built on demand. */
  readonly html?: () => Promise<HtmlExtras>;
  /** `trace compare` results the HTML report shows side by side (`run --trace-compare`). */
  readonly traces?: readonly TraceCompareView[];
}

export async function renderReport(name: ReporterName, input: ReportInput, opts: RenderOptions): Promise<string> {
  switch (name) {
    case 'tap':
      return (await import('./tap.ts')).tapReport(input);
    case 'junit':
      return (await import('./junit.ts')).junitReport(input);
    case 'json':
      return (await import('./json.ts')).jsonReport(input);
    case 'html':
      return (await import('./html/page.ts')).htmlReport(input, opts.html === undefined ? undefined : await opts.html(), opts.traces);
    default:
      return (await import('./pretty.ts')).prettyReport(input, { color: opts.color, verbose: opts.verbose });
  }
}

/** Write a report file atomically (never a half-written report for a CI artifact). */
export function writeReportFile(cwd: string, file: string, text: string): void {
  writeGoldenAtomic(resolve(cwd, file), text);
}
