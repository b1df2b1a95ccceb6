/**
 * CLI-facing entry points (wired by src/cli/main.ts):
 *   smmu-conform trace import <file> [--format dmesg|evtq|qemu] [--collapse] [--json]
 *                                    [--word-size 32|64] [--instance NAME] [--strict]
 *   smmu-conform trace decode <file|trace.yaml> [--format ...] [--collapse] [--strict]
 *   smmu-conform trace compare <scenario|golden.yaml> <trace> [--mask f,...] [--profile P]
 *                                    [--instance NAME] [--format ...] [--collapse]
 * Exit codes: 0 ok / match; 1 compare found differences; 2 invalid input (arguments, unreadable
 * file, unknown mask, a file in which no SMMU record could be read while some lines could not be
 * parsed [NO_RECORDS], a scenario that does not load [ScenarioInputError], and with --strict any
 * error diagnostic). `compare` runs the scenario through the injected `executeScenario`
 * (src/cli/trace.ts wires the real executor); a golden file (or no runner) gives the records as is.
 * `decode` prints the text-vs-raw cross-check on stdout after the listing.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { ScenarioResult } from '../engine/result.ts';
import { type TraceCompareView, compareView } from './compare-view.ts';
import { parse as parseYaml } from 'yaml';
import { collapseDuplicates, createCollapser } from './collapse.ts';
import { type ExpectedRecords, compareTrace, formatCompareReport } from './compare.ts';
import { crossCheck, crossCheckRecord, formatRecordFields, formatRecordLine } from './decode.ts';
import { createDmesgImporter, forEachLine, importDmesg } from './dmesg.ts';
import { DEFAULT_MAX_BYTES, readChunks } from './read.ts';
import { createEvtqImporter, importEvtq } from './evtq.ts';
import { type MaskProfile, MASK_PROFILES } from './masks.ts';
import { expectedFromObservation } from './observed.ts';
import type { Observation } from '../scenario/observation.ts';
import { createQemuImporter, importQemu } from './qemu.ts';
import { scaffoldScenario } from './scaffold.ts';
import { createTraceJsonWriter, createTraceYamlWriter, traceFromJson } from './serialize.ts';
import {
  type ImportStats,
  type LineImporter,
  type Trace,
  type TraceDiagnostic,
  type TraceFormat,
  type TraceRecord,
  diag,
  mergeDiagnostics,
  printableText,
  recordTotal,
  totalsOf,
} from './types.ts';

export interface CliResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface ImportOptions {
  readonly format?: TraceFormat;
  readonly collapse?: boolean;
  readonly wordSize?: 32 | 64 | 'auto';
  readonly instance?: string;
}

/** Guess the format from the first lines that say anything. */
export function detectFormat(text: string): TraceFormat {
  const head = text.slice(0, 64 * 1024);
  if (
    /^\s*(\d+@[\d.]+:)?smmu(v3)?_\w+ /m.test(head) ||
    /translation failed for iova=0x[0-9a-f]+\s*\(SMMU_EVT_|translation failed for iova=0x[0-9a-f]+\s*\n\s*\(SMMU_EVT_/i.test(head)
  )
    return 'qemu';
  if (/event 0x[0-9a-f]+ received:|arm-smmu|CMDQ error|event: [A-Z_]+ client:/.test(head)) return 'dmesg';
  // A kernel log with no SMMU line at all (nothing happened) is still a kernel log, unless it
  // carries a hex dump (print_hex_dump lines have timestamps too).
  const kernelLog = /^\s*(<\d>)?\[\s*\d+\.\d+\]|^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ kernel: /m.test(head);
  const hexDump = /(^|\s)[0-9a-f]{4,16}:\s+[0-9a-f]{2} [0-9a-f]{2} |^\s*(0x)?[0-9a-f]{8,16}(\s+(0x)?[0-9a-f]{8,16})*\s*$/im.test(head);
  return kernelLog && !hexDump ? 'dmesg' : 'evtq';
}

/** Import text in a format, add the text-vs-raw cross-check, optionally fold duplicates. */
export function importTrace(text: string, opts: ImportOptions = {}): Trace {
  const format = opts.format ?? detectFormat(text);
  const inst = opts.instance !== undefined ? { instance: opts.instance } : {};
  const t =
    format === 'dmesg'
      ? importDmesg(text)
      : format === 'evtq'
        ? importEvtq(text, { ...inst, ...(opts.wordSize ? { wordSize: opts.wordSize } : {}) })
        : importQemu(text, inst);
  return finishImport(t, text, opts);
}

/**
 * Cross-check, wrong-format hint, statistics and duplicate folding of a fresh import (`checked`:
 * the cross-check of a streamed import, done record by record).
 */
function finishImport(t0: Trace, text: string, opts: ImportOptions, lines?: number, checked?: TraceDiagnostic[]): Trace {
  let t = t0;
  const format = t.format;
  if (format === 'dmesg') {
    const m = mergeDiagnostics(t.diagnostics, checked ?? crossCheck(t));
    t.diagnostics = m.list;
    t.totals = m.totals;
  }
  wrongFormat(t, text, opts.format);
  t.stats ??= statsOf(t, text, lines);
  if (opts.collapse) t = collapseDuplicates(t);
  return t;
}

/**
 * A format given with --format under which nothing could be read, while the text looks like
 * another format: say so (issue 15 item 4) instead of "no records".
 */
function wrongFormat(t: Trace, text: string, given: TraceFormat | undefined): void {
  if (given === undefined || recordTotal(t) > 0) return;
  const guess = detectFormat(text);
  if (guess === given) return;
  diag(
    t.diagnostics,
    'error',
    'WRONG_FORMAT',
    1,
    `no ${given} records found; the text looks like ${FORMAT_NAMES[guess]} (try --format ${guess} or leave --format out)`,
  );
  t.totals = totalsOf(t.diagnostics);
}

/** Lines read / used / reported for importers that do not count them as they go. */
function statsOf(t: Trace, text: string, counted?: number): ImportStats {
  let lines = counted ?? 0;
  if (counted === undefined) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    if (text.length > 0 && !text.endsWith('\n')) lines++;
  }
  const used = new Set<number>();
  for (const r of t.records) for (const l of r.lines) used.add(l);
  return { lines, used: used.size, reported: new Set(t.diagnostics.map((d) => d.line)).size };
}

const FORMAT_NAMES: Readonly<Record<TraceFormat, string>> = { dmesg: 'a kernel log', evtq: 'a raw event-queue dump', qemu: 'a QEMU trace-event log' };

/** A saved trace (YAML/JSON from `trace import`) or a log to import. */
export function loadTrace(text: string, opts: ImportOptions = {}): Trace {
  const start = text.trimStart();
  if (start.startsWith('{') || start.startsWith('format:')) {
    try {
      const j = start.startsWith('{') ? JSON.parse(text) : parseYaml(text);
      if (j && typeof j === 'object' && 'records' in j) {
        const t = traceFromJson(j);
        return opts.collapse ? collapseDuplicates(t) : t;
      }
    } catch {
      // not a saved trace: import as text
    }
  }
  return importTrace(text, opts);
}

/**
 * Read and import a file as a stream, line by line in every text format (kernel log, raw EVTQ
 * dump, QEMU trace; the text is never held whole), saved traces as one text. With a sink, each
 * record is handed over as soon as no later line can change it (cross-checked, folded with
 * --collapse) and not kept. Size limit and not-a-log test while reading.
 */
export function loadTraceFile(file: string, opts: ImportOptions = {}, maxBytes = DEFAULT_MAX_BYTES, onRecord?: RecordSink): { trace?: Trace; error?: string } {
  let head: string | undefined;
  let whole: string[] | undefined;
  let imp: LineImporter | undefined;
  let format: TraceFormat = 'dmesg';
  // Streamed: dmesg records are cross-checked one by one, then folded (--collapse), then handed on.
  const checked: TraceDiagnostic[] = [];
  const collapser = onRecord !== undefined && opts.collapse === true ? createCollapser((r) => onRecord(r, format)) : undefined;
  const pass = onRecord === undefined ? undefined : collapser !== undefined ? collapser.record : (r: TraceRecord): void => onRecord(r, format);
  const streamed =
    pass === undefined
      ? undefined
      : (rec: TraceRecord): void => {
          if (format === 'dmesg') {
            const found: TraceDiagnostic[] = [];
            crossCheckRecord(rec, found);
            for (const d of found) diag(checked, d.severity, d.code, d.line, d.message);
          }
          pass(rec);
        };
  const sink = streamed !== undefined ? { onRecord: streamed } : {};
  const inst = opts.instance !== undefined ? { instance: opts.instance } : {};
  const r = readChunks(
    file,
    (chunk) => {
      if (head === undefined) {
        head = chunk.slice(0, 64 * 1024);
        const start = head.trimStart();
        const saved = start.startsWith('{') || start.startsWith('format:');
        format = opts.format ?? detectFormat(head);
        if (saved) whole = [];
        else if (format === 'dmesg') imp = createDmesgImporter(sink);
        else if (format === 'evtq') imp = createEvtqImporter({ ...inst, ...sink, ...(opts.wordSize ? { wordSize: opts.wordSize } : {}) });
        else imp = createQemuImporter({ ...inst, ...sink });
      }
      if (imp !== undefined) forEachLine(chunk, imp.line);
      else whole?.push(chunk);
    },
    maxBytes,
  );
  if (r.error !== undefined) return { error: r.error.code === 'READ_FAILED' ? r.error.message : `${file}:1: error: ${r.error.message} [${r.error.code}]` };
  if (imp !== undefined) {
    const t = imp.finish();
    collapser?.finish();
    const trace = finishImport(
      t,
      head ?? '',
      collapser !== undefined ? { ...opts, collapse: false } : opts,
      t.stats?.lines,
      streamed !== undefined && format === 'dmesg' ? checked : undefined,
    );
    if (onRecord !== undefined && streamed === undefined) deliver(trace, onRecord);
    return { trace };
  }
  const trace = loadTrace((whole ?? []).join(''), opts);
  if (onRecord !== undefined) deliver(trace, onRecord);
  return { trace };
}

/** Receives each record of an import, in order, with the trace format. */
export type RecordSink = (rec: TraceRecord, format: TraceFormat) => void;

/** Hand the records of a trace held in memory to a sink, as a streamed import would. */
function deliver(t: Trace, sink: RecordSink): void {
  for (const r of t.records) sink(r, t.format);
  t.recordCount = t.records.length;
  t.records = [];
}

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
  errors: string[];
}

const VALUE_FLAGS = new Set(['--format', '--word-size', '--instance', '--mask', '--profile', '--max-size', '--html']);
const BOOL_FLAGS = new Set(['--collapse', '--json', '--strict', '--lenient', '--fields']);

function parseArgs(args: readonly string[]): Parsed {
  const p: Parsed = { positional: [], flags: new Map(), errors: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (VALUE_FLAGS.has(name)) {
      const v = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : args[++i];
      if (v === undefined) p.errors.push(`${name} needs a value`);
      else p.flags.set(name, name === '--mask' && typeof p.flags.get(name) === 'string' ? `${p.flags.get(name)},${v}` : v);
    } else if (BOOL_FLAGS.has(a)) p.flags.set(a, true);
    else if (a.startsWith('--')) p.errors.push(`Unknown option "${a}"`);
    else p.positional.push(a);
  }
  return p;
}

function importOpts(p: Parsed): { opts: ImportOptions; errors: string[] } {
  const errors: string[] = [];
  const o: { format?: TraceFormat; collapse?: boolean; wordSize?: 32 | 64; instance?: string } = {};
  const f = p.flags.get('--format');
  if (typeof f === 'string') {
    if (f === 'dmesg' || f === 'evtq' || f === 'qemu') o.format = f;
    else errors.push(`Unknown --format "${f}" (use dmesg, evtq or qemu)`);
  }
  const w = p.flags.get('--word-size');
  if (typeof w === 'string') {
    if (w === '32' || w === '64') o.wordSize = Number(w) as 32 | 64;
    else errors.push(`--word-size must be 32 or 64, got "${w}"`);
  }
  const inst = p.flags.get('--instance');
  if (typeof inst === 'string') o.instance = inst;
  if (p.flags.get('--collapse') === true) o.collapse = true;
  return { opts: o, errors };
}

/** --max-size MIB (default 2048). */
function maxBytesOf(p: Parsed): number | string {
  const v = p.flags.get('--max-size');
  if (typeof v !== 'string') return DEFAULT_MAX_BYTES;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n * 1024 * 1024 : `--max-size must be a positive number of MiB, got "${v}"`;
}

function readText(file: string): { text?: string; error?: string } {
  try {
    return { text: readFileSync(file, 'utf8') };
  } catch (e) {
    return { error: `Cannot read "${file}": ${(e as Error).message}` };
  }
}

/** Diagnostics `crossCheck` produces. */
const CROSS_CHECK: ReadonlyMap<string, 'error' | 'warning'> = new Map([
  ['HEADER_RAW_MISMATCH', 'error'],
  ['TEXT_RAW_MISMATCH', 'error'],
  ['MISSING_FLAGS_LINE', 'warning'],
]);
const CROSS_CHECK_CODES: ReadonlySet<string> = new Set(CROSS_CHECK.keys());

function diagText(file: string, t: Trace): string {
  const out = t.diagnostics.map((d) => `${file}:${d.line}: ${d.severity}: ${d.message} [${d.code}]\n`);
  const tot = t.totals ?? totalsOf(t.diagnostics);
  if (tot.omitted > 0) {
    const codes = Object.entries(tot.byCode)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([c, n]) => `${c} ${n}`)
      .join(', ');
    out.push(`${file}: ${tot.omitted} more diagnostic${tot.omitted === 1 ? '' : 's'} not shown (by code: ${codes})\n`);
  }
  return printableText(out.join(''));
}

/** `file: N lines read, U used in R records, D reported (E errors, W warnings, N notes)`. */
export function summaryLine(file: string, t: Trace): string {
  const st = t.stats;
  if (st === undefined) return '';
  const tot = { ...(t.totals ?? totalsOf(t.diagnostics)) };
  // Cross-check findings are results of the decode (listed with it), not problems of the import.
  for (const [code, sev] of CROSS_CHECK) tot[sev] -= tot.byCode[code] ?? 0;
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  return printableText(
    `${file}: ${plural(st.lines, 'line')} read, ${st.used} used in ${plural(recordTotal(t), 'record')}, ${st.reported} reported ` +
      `(${plural(tot.error, 'error')}, ${plural(tot.warning, 'warning')}, ${plural(tot.note, 'note')})\n`,
  );
}

/** Diagnostics that say a line was dropped or a record is incomplete (cross-check findings are results, not losses). */
function lossCount(t: Trace): number {
  const tot = t.totals ?? totalsOf(t.diagnostics);
  let n = tot.error + tot.warning;
  for (const c of CROSS_CHECK_CODES) n -= tot.byCode[c] ?? 0;
  return n;
}

function fail(msg: string): CliResult {
  return { stdout: '', stderr: `${msg}\n`, exitCode: 2 };
}

/**
 * 2: nothing could be read, or --strict and an error; 1: an SMMU-looking line was dropped or a
 * record is incomplete (issue 15 item 2), unless --lenient; else 0.
 */
function strictExit(p: Parsed, t: Trace): number {
  if (nothingRead(t) !== undefined) return 2;
  const tot = t.totals ?? totalsOf(t.diagnostics);
  if (p.flags.get('--strict') === true && tot.error > 0) return 2;
  return lossCount(t) > 0 && p.flags.get('--lenient') !== true ? 1 : 0;
}

/** No record at all, and lines that could not be read: the input is not a trace (wrong file or format). */
function nothingRead(t: Trace): string | undefined {
  if (recordTotal(t) > 0) return undefined;
  const d = t.diagnostics.find((x) => x.severity !== 'note');
  return d === undefined ? undefined : `${d.line}: error: no SMMU records could be read as ${t.format} (first problem: ${d.message}) [NO_RECORDS]`;
}

function noRecordsText(file: string, t: Trace): string {
  const m = nothingRead(t);
  return m === undefined ? '' : `${file}:${m}\n`;
}

interface FileCommand {
  readonly p: Parsed;
  readonly opts: ImportOptions;
  readonly file: string;
  readonly max: number;
  /** Where the output goes: `write` when given, else collected for `stdout()`. */
  readonly out: (chunk: string) => void;
  readonly stdout: () => string;
}

/**
 * The start `import` and `decode` share: import options, exactly one file, --max-bytes, the
 * output sink; or the usage error.
 */
function fileCommand(args: readonly string[], usage: string, write: ((chunk: string) => void) | undefined): FileCommand | CliResult {
  const p = parseArgs(args);
  const { opts, errors } = importOpts(p);
  errors.unshift(...p.errors);
  if (p.positional.length !== 1) errors.push(usage);
  if (errors.length > 0) return fail(errors.join('\n'));
  const max = maxBytesOf(p);
  if (typeof max === 'string') return fail(max);
  const parts: string[] = [];
  const out = write ?? ((c: string): void => void parts.push(c));
  return { p, opts, file: p.positional[0] ?? '', max, out, stdout: () => parts.join('') };
}

/** `write`, when given, receives the YAML in pieces (stdout stays empty): no whole-document string. */
export function runTraceImport(args: readonly string[], write?: (chunk: string) => void): CliResult {
  const c = fileCommand(args, 'Usage: smmu-conform trace import <file> [--format dmesg|evtq|qemu] [--collapse] [--json]', write);
  if ('exitCode' in c) return c;
  const { p, opts, file, max, out } = c;
  // The document is written as the records are read (a 50 MB log never has all its records in memory).
  const doc = p.flags.get('--json') === true ? createTraceJsonWriter(out) : createTraceYamlWriter(out);
  const r = loadTraceFile(file, opts, max, doc.record);
  if (r.trace === undefined) return fail(r.error ?? '');
  const t = r.trace;
  doc.end(t);
  return { stdout: c.stdout(), stderr: diagText(file, t) + noRecordsText(file, t) + summaryLine(file, t), exitCode: strictExit(p, t) };
}

/** `write`, when given, receives the listing as the records are read (stdout stays empty). */
export function runTraceDecode(args: readonly string[], write?: (chunk: string) => void): CliResult {
  const c = fileCommand(args, 'Usage: smmu-conform trace decode <file> [--format dmesg|evtq|qemu] [--collapse] [--fields]', write);
  if ('exitCode' in c) return c;
  const { p, opts, file, max, out } = c;
  let buf: string[] = [];
  let n = 0;
  let decoded = 0;
  const fields = p.flags.get('--fields') === true;
  const r = loadTraceFile(file, opts, max, (rec) => {
    buf.push(formatRecordLine(rec, n++));
    if (fields) buf.push(...formatRecordFields(rec));
    if (rec.kind === 'event' && rec.logged !== undefined && rec.known === undefined) decoded++;
    if (buf.length >= 4096) {
      out(printableText(`${buf.join('\n')}\n`));
      buf = [];
    }
  });
  if (r.trace === undefined) return fail(r.error ?? '');
  const t = r.trace;
  const listing = buf;
  if (n === 0) listing.push('(no SMMU records)');
  // Cross-check results belong to the listing; every other diagnostic goes to stderr.
  const cc = t.diagnostics.filter((d) => CROSS_CHECK_CODES.has(d.code));
  if (cc.length > 0) {
    listing.push('', `cross-check: ${cc.length} disagreement${cc.length === 1 ? '' : 's'} between decoded text and raw dwords`);
    for (const d of cc) listing.push(`  ${file}:${d.line}: ${d.message} [${d.code}]`);
  } else if (decoded > 0) {
    listing.push('', `cross-check: decoded text agrees with the raw dwords for ${decoded} event${decoded === 1 ? '' : 's'}`);
  }
  if (listing.length > 0) out(printableText(`${listing.join('\n')}\n`));
  const rest: Trace = { ...t, diagnostics: t.diagnostics.filter((d) => !CROSS_CHECK_CODES.has(d.code)) };
  const tot = t.totals ?? totalsOf(t.diagnostics);
  rest.totals = { ...tot, omitted: tot.omitted };
  return {
    stdout: c.stdout(),
    stderr: diagText(file, rest) + noRecordsText(file, t) + summaryLine(file, t),
    exitCode: strictExit(p, t),
  };
}

/** `trace scaffold <log> [--instance NAME] [--format F]`: a starting scenario on stdout. */
export function runTraceScaffold(args: readonly string[]): CliResult {
  const p = parseArgs(args);
  const { opts, errors } = importOpts(p);
  errors.unshift(...p.errors);
  if (p.positional.length !== 1) errors.push('Usage: smmu-conform trace scaffold <log> [--instance NAME] > scenario.yaml');
  if (errors.length > 0) return fail(errors.join('\n'));
  const file = p.positional[0] ?? '';
  const r = loadTraceFile(file, opts);
  if (r.trace === undefined) return fail(r.error ?? '');
  const t = r.trace;
  const inst = opts.instance;
  const only: Trace = inst === undefined ? t : { ...t, records: t.records.filter((x) => x.instance === inst || x.kind === 'suppressed') };
  const names = [...new Set(only.records.filter((x) => x.kind !== 'suppressed').map((x) => x.instance))];
  if (names.length > 1) return fail(`${file}: ${names.length} SMMU instances (${names.join(', ')}); choose one with --instance`);
  const s = scaffoldScenario(only, file.split('/').pop() ?? file);
  const note = `${file}: scaffold reproduces ${s.reproduced} record${s.reproduced === 1 ? '' : 's'}${s.skipped > 0 ? `; ${s.skipped} not reproduced (listed as comments)` : ''}\n`;
  return { stdout: s.yaml, stderr: diagText(file, t) + note, exitCode: 0 };
}

/** Expected records from a golden YAML (`events: [{raw: [...]}]`, `host_log: [...]`). */
export function expectedFromGolden(text: string): ExpectedRecords | string {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return `not YAML: ${(e as Error).message}`;
  }
  const o = doc as Record<string, unknown> | null;
  if (o === null || typeof o !== 'object' || !Array.isArray(o['events'])) return 'no `events` list (expected a golden file or a wired scenario runner)';
  // A golden is a serialised Observation: read it the way a scenario run is read, so a golden and
  // its own scenario never disagree on CMDQ/GERROR records (issue 15 item 7).
  if (Array.isArray(o['steps']) && Array.isArray(o['host_log']) && o['cmdq'] !== null && typeof o['cmdq'] === 'object') {
    for (const [i, e] of (o['events'] as unknown[]).entries()) {
      const raw = (e as Record<string, unknown> | null)?.['raw'];
      if (!Array.isArray(raw) || raw.some((x) => !/^(0x[0-9a-f]+|\d+)$/i.test(String(x)))) return `events[${i}].raw is not a list of integers`;
    }
    return expectedFromObservation(o as unknown as Observation);
  }
  const events: Array<{ raw: bigint[] }> = [];
  for (const [i, e] of (o['events'] as unknown[]).entries()) {
    const raw = (e as Record<string, unknown> | null)?.['raw'];
    if (!Array.isArray(raw)) return `events[${i}] has no raw dwords`;
    try {
      events.push({ raw: raw.map((x) => BigInt(String(x))) });
    } catch {
      return `events[${i}].raw is not a list of integers`;
    }
  }
  const out: ExpectedRecords = { events };
  const log = o['host_log'] ?? o['hostLog'];
  if (Array.isArray(log)) out.hostLog = log.map(String);
  // Golden `cmdq: { cons, error }`: a CMDQ error the host would log.
  const cmdq = o['cmdq'] as Record<string, unknown> | undefined;
  if (cmdq && typeof cmdq === 'object' && cmdq['cons'] !== undefined && cmdq['error'] !== undefined && cmdq['error'] !== 'CERROR_NONE') {
    try {
      out.cmdqErrors = [{ cons: Number(BigInt(String(cmdq['cons']))) >>> 0 }];
    } catch {
      return 'cmdq.cons is not an integer';
    }
  }
  return out;
}

export type ExecuteScenario = (scenarioPath: string) => ExpectedRecords | Promise<ExpectedRecords>;

/**
 * Thrown by an ExecuteScenario when the scenario itself is bad input (unreadable, schema or
 * reference errors): the message is printed as is (already `file:line:col: ...` lines), exit 2.
 */
export class ScenarioInputError extends Error {
  override readonly name = 'ScenarioInputError';
}

/** A golden file (`scenario:` + `events:` at top level) rather than a scenario. */
export function looksLikeGolden(text: string): boolean {
  return /^scenario: /m.test(text) && /^events:/m.test(text) && !/^description:/m.test(text);
}

export async function runTraceCompare(args: readonly string[], executeScenario?: ExecuteScenario): Promise<CliResult> {
  const p = parseArgs(args);
  const { opts, errors } = importOpts(p);
  errors.unshift(...p.errors);
  const prof = p.flags.get('--profile');
  if (typeof prof === 'string' && !MASK_PROFILES.includes(prof as MaskProfile)) errors.push(`Unknown --profile "${prof}" (use ${MASK_PROFILES.join(', ')})`);
  if (p.positional.length !== 2) errors.push('Usage: smmu-conform trace compare <scenario> <trace> [--mask field,...] [--profile P] [--instance NAME]');
  if (errors.length > 0) return fail(errors.join('\n'));
  const [scenario = '', traceFile = ''] = p.positional;
  const max = maxBytesOf(p);
  if (typeof max === 'string') return fail(max);
  const maskArg = p.flags.get('--mask');
  const c = await compareFiles(scenario, traceFile, {
    opts,
    max,
    ...(typeof prof === 'string' ? { profile: prof as MaskProfile } : {}),
    masks: typeof maskArg === 'string' ? maskArg.split(',') : [],
    ...(executeScenario !== undefined ? { executeScenario } : {}),
  });
  if ('exitCode' in c) return c;
  const { res, expected, trace } = c;
  const report = formatCompareReport(res, expected, trace);
  if (res.errors.length > 0) return { stdout: '', stderr: report, exitCode: 2 };
  const html = p.flags.get('--html');
  if (typeof html === 'string') {
    const failed = await writeCompareHtml(html, compareView(res, expected, trace, { scenario, trace: traceFile }));
    if (failed !== undefined) return { stdout: report, stderr: `${diagText(traceFile, trace)}${failed}\n`, exitCode: 2 };
  }
  return { stdout: report, stderr: diagText(traceFile, trace), exitCode: res.ok ? 0 : 1 };
}

/**
 * One comparison for another report (`run --trace-compare SCENARIO=LOG`): the side-by-side view
 * the HTML report shows, or the error text (`trace compare`'s, unusable scenario or log).
 */
export async function traceCompareView(
  scenario: string,
  traceFile: string,
  profile: MaskProfile | undefined,
  executeScenario: ExecuteScenario,
): Promise<TraceCompareView | string> {
  const c = await compareFiles(scenario, traceFile, {
    opts: {},
    max: DEFAULT_MAX_BYTES,
    ...(profile !== undefined ? { profile } : {}),
    masks: [],
    executeScenario,
  });
  if ('exitCode' in c) return c.stderr.trimEnd();
  if (c.res.errors.length > 0) return formatCompareReport(c.res, c.expected, c.trace).trimEnd();
  return compareView(c.res, c.expected, c.trace, { scenario, trace: traceFile });
}

interface CompareFilesOptions {
  readonly opts: ImportOptions;
  readonly max: number;
  readonly profile?: MaskProfile;
  readonly masks: readonly string[];
  readonly executeScenario?: ExecuteScenario;
}

/** Import the trace, get the expected records (run the scenario, or read a golden), compare. */
async function compareFiles(
  scenario: string,
  traceFile: string,
  o: CompareFilesOptions,
): Promise<CliResult | { res: ReturnType<typeof compareTrace>; expected: ExpectedRecords; trace: Trace }> {
  const { opts, max, executeScenario } = o;
  const tr = loadTraceFile(traceFile, opts, max);
  if (tr.trace === undefined) return fail(tr.error ?? '');
  const trace = tr.trace;
  if (nothingRead(trace) !== undefined) return { stdout: '', stderr: diagText(traceFile, trace) + noRecordsText(traceFile, trace), exitCode: 2 };
  let expected: ExpectedRecords;
  const sr = readText(scenario);
  const golden = /\.golden\.ya?ml$|^golden\//.test(scenario) || (sr.text !== undefined && looksLikeGolden(sr.text));
  if (executeScenario !== undefined && !golden) {
    try {
      expected = await executeScenario(scenario);
    } catch (e) {
      if (e instanceof ScenarioInputError) return fail(e.message);
      return fail(`Cannot run scenario "${scenario}": ${(e as Error).message}`);
    }
  } else {
    if (sr.text === undefined) return fail(sr.error ?? '');
    const g = expectedFromGolden(sr.text);
    if (typeof g === 'string') return fail(`Cannot use "${scenario}" as expected records: ${g}`);
    expected = g;
  }
  const profile = o.profile ?? (trace.format === 'qemu' ? 'qemu' : 'architectural');
  const res = compareTrace(expected, trace, {
    profile,
    masks: o.masks,
    ...(opts.instance !== undefined ? { instance: opts.instance } : {}),
  });
  // Before the verdict: an import that dropped lines or left records incomplete cannot prove a match.
  const lost = lossCount(trace);
  if (lost > 0)
    res.warnings.push(
      `the trace import reported ${lost} problem${lost === 1 ? '' : 's'} (dropped SMMU lines or incomplete records, listed on stderr): records may be missing from the trace`,
    );
  return { res, expected, trace };
}

/** The HTML report of one comparison (records side by side), written atomically; an error message or undefined. */
async function writeCompareHtml(file: string, view: TraceCompareView): Promise<string | undefined> {
  const { htmlReport } = await import('../report/html/page.ts');
  const result: ScenarioResult = {
    id: view.scenario,
    file: view.scenario,
    state: view.verdict === 'MATCH' ? 'pass' : 'fail',
    messages: view.verdict === 'MATCH' ? [] : [`trace compare against ${view.trace}: RESULT: ${view.verdict}`],
    golden: 'not-run',
    invalid: false,
  };
  const page = htmlReport({ results: [result], written: [file], problems: [], notes: [], timings: false }, undefined, [view]);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, page);
    renameSync(tmp, file);
    return undefined;
  } catch (e) {
    rmSync(tmp, { force: true });
    return `Cannot write the HTML report "${file}": ${(e as Error).message}`;
  }
}
