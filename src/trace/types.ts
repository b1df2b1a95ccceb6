/**
 * The one trace format every importer produces (kernel logs, raw event-queue dumps, QEMU
 * trace-events). In memory, 64-bit values are bigint; `serialize.ts` turns a Trace into the
 * JSON/YAML shape described by schemas/trace.schema.json (hex strings) and back.
 *
 * Every record keeps the 1-based source line numbers it was built from, and the SMMU instance
 * (device name such as `arm-smmu-v3.0.auto`, `2b400000.iommu`; '' when the source has none).
 */

export type TraceFormat = 'dmesg' | 'evtq' | 'qemu';

export interface RecordBase {
  readonly instance: string;
  /** Source lines (1-based, ascending) that contributed to the record. */
  readonly lines: number[];
  /** Kernel `[   12.345678]` or QEMU `pid@sec.usec` time of the first line, as written. */
  timestamp?: string | undefined;
}

import { type LoggedEvent } from '../linux/decoded-lines.ts';
import { type PriRequest } from './pri-msg.ts';

export type { LoggedEvent, LoggedFlags } from '../linux/decoded-lines.ts';

export interface EventRecord extends RecordBase {
  readonly kind: 'event';
  /** dw0..dw3 as far as they are known (fewer than 4 when `truncated`). */
  raw: bigint[];
  /** Fewer than four dwords were found. */
  truncated?: boolean | undefined;
  /** Indices of dwords that were found damaged (value not trusted; slot kept so later dwords stay in place). */
  damaged?: number[] | undefined;
  /** Type from the `event 0x.. received:` header, when the header was seen. */
  headerType?: number | undefined;
  /** v6.14+ decoded text, when printed. */
  logged?: LoggedEvent | undefined;
  /** Only these fields are known (QEMU trace lines give Type and StreamID, maybe InputAddr). */
  known?: string[] | undefined;
  /** Number of duplicate records folded into this one (QEMU per-4-byte records). */
  collapsed?: number | undefined;
}

export interface CmdqErrorRecord extends RecordBase {
  readonly kind: 'cmdq_error';
  /** CMDQ_CONS as printed (absent for QEMU traces). */
  cons?: number;
  /** CONS.ERR (bits 30:24), or QEMU's error number. */
  cerror: number;
  /** Reason text as printed (`Illegal command`, ...) or the QEMU command name. */
  reason: string;
  /** Command at CONS: the two dwords of `skipping command in error state:`. */
  command?: bigint[];
  commandTruncated?: boolean;
  /** Indices of command dwords found damaged. */
  commandDamaged?: number[];
  /** Name of the failing command (QEMU traces). */
  commandName?: string;
  /** `retrying command fetch` followed (CERROR_ABT). */
  retrying?: boolean;
  /** `failed to convert to CMD_SYNC` followed: the driver left the command at CONS as it was (Xen). */
  unconverted?: boolean;
}

export interface SyncTimeoutRecord extends RecordBase {
  readonly kind: 'sync_timeout';
  /** Absent when the driver prints a bare `CMD_SYNC timeout` (Xen's SMMUv3 driver, xen-msg.ts). */
  prod?: number;
  hwprod?: number;
  hwcons?: number;
}

export interface CmdqTimeoutRecord extends RecordBase {
  readonly kind: 'cmdq_timeout';
}

export interface OverflowRecord extends RecordBase {
  readonly kind: 'overflow';
  queue: 'evtq' | 'priq';
}

export interface GerrorRecord extends RecordBase {
  readonly kind: 'gerror';
  /** Active mask from `unexpected global error reported (0x...)`. */
  active?: number;
  /** Cause names from the following lines (SFM_ERR, EVTQ_ABT_ERR, ...). */
  causes: string[];
}

export interface SuppressedRecord extends RecordBase {
  readonly kind: 'suppressed';
  /** How many messages the rate limiter dropped (`N callbacks suppressed`). */
  count: number;
  /** Function named in the line (arm_smmu_evtq_thread, ...). */
  func: string;
}

export interface CommandRecord extends RecordBase {
  readonly kind: 'command';
  /** Architecture command name (QEMU `smmuv3_cmdq_opcode`). */
  name: string;
}

/**
 * A PRI page request the driver logged as unexpected (`unexpected PRI request received:` + the
 * `sid ...` line, pri-msg.ts). The emulator has no PRI queue: scaffold and compare only report it.
 */
export interface PriRecord extends RecordBase, PriRequest {
  readonly kind: 'pri';
}

/** Any other QEMU SMMU trace line (walks, translations, caches), kept with its arguments. */
export interface QemuRecord extends RecordBase {
  readonly kind: 'qemu';
  name: string;
  args: Record<string, string>;
  text: string;
}

export type TraceRecord =
  | EventRecord
  | CmdqErrorRecord
  | SyncTimeoutRecord
  | CmdqTimeoutRecord
  | OverflowRecord
  | GerrorRecord
  | SuppressedRecord
  | CommandRecord
  | PriRecord
  | QemuRecord;

export type Severity = 'error' | 'warning' | 'note';

export interface TraceDiagnostic {
  readonly code: string;
  readonly severity: Severity;
  /** 1-based source line. */
  readonly line: number;
  readonly message: string;
}

/** Counts of every diagnostic raised, including those beyond the kept first `DIAGNOSTIC_LIMIT`. */
export interface DiagnosticTotals {
  error: number;
  warning: number;
  note: number;
  /** Diagnostics counted but not kept (a million bad lines give a count, not a million lines). */
  omitted: number;
  byCode: Record<string, number>;
}

/** What the import did with the input (issue 15 item 2: never lose a line silently). */
export interface ImportStats {
  /** Physical lines read. */
  lines: number;
  /** Lines that contributed to a record. */
  used: number;
  /** Lines named by at least one diagnostic. */
  reported: number;
}

export interface Trace {
  format: TraceFormat;
  /** Instances seen, sorted. */
  instances: string[];
  records: TraceRecord[];
  /** Records handed to a sink as they were read and not kept (streamed import; `records` is empty). */
  recordCount?: number | undefined;
  /** The first `DIAGNOSTIC_LIMIT` diagnostics, by line. */
  diagnostics: TraceDiagnostic[];
  /** Totals over every diagnostic raised (absent: `diagnostics` is complete). */
  totals?: DiagnosticTotals | undefined;
  stats?: ImportStats | undefined;
}

/** Incremental import of a text format: feed physical lines in order, then `finish`. */
export interface LineImporter {
  /** One physical line: s[from, to), without its line terminator. */
  line(s: string, from: number, to: number): void;
  finish(): Trace;
}

/** Diagnostics kept per trace; the rest are counted in `totals`. */
export const DIAGNOSTIC_LIMIT = 100;

const TOTALS = new WeakMap<TraceDiagnostic[], DiagnosticTotals>();

export function newTotals(): DiagnosticTotals {
  return { error: 0, warning: 0, note: 0, omitted: 0, byCode: {} };
}

function count(t: DiagnosticTotals, severity: Severity, code: string): void {
  t[severity]++;
  t.byCode[code] = (t.byCode[code] ?? 0) + 1;
}

/** Totals of a diagnostics list built with `diag` (a list built otherwise: counted from it). */
export function totalsOf(list: readonly TraceDiagnostic[]): DiagnosticTotals {
  const t = TOTALS.get(list as TraceDiagnostic[]);
  if (t !== undefined) return t;
  const c = newTotals();
  for (const d of list) count(c, d.severity, d.code);
  return c;
}

/** Add a diagnostic; past `DIAGNOSTIC_LIMIT` it is only counted. */
export function diag(out: TraceDiagnostic[], severity: Severity, code: string, line: number, message: string): void {
  let t = TOTALS.get(out);
  if (t === undefined) {
    t = totalsOf(out);
    TOTALS.set(out, t);
  }
  count(t, severity, code);
  if (out.length < DIAGNOSTIC_LIMIT) out.push({ code, severity, line, message });
  else t.omitted++;
}

/** Merge two diagnostic lists (importer + cross-check) by line, keeping the cap and the totals. */
export function mergeDiagnostics(a: readonly TraceDiagnostic[], b: readonly TraceDiagnostic[]): { list: TraceDiagnostic[]; totals: DiagnosticTotals } {
  const ta = totalsOf(a);
  const tb = totalsOf(b);
  const totals: DiagnosticTotals = {
    error: ta.error + tb.error,
    warning: ta.warning + tb.warning,
    note: ta.note + tb.note,
    omitted: 0,
    byCode: { ...ta.byCode },
  };
  for (const [k, v] of Object.entries(tb.byCode)) totals.byCode[k] = (totals.byCode[k] ?? 0) + v;
  const all = [...a, ...b].sort((x, y) => x.line - y.line);
  const list = all.slice(0, DIAGNOSTIC_LIMIT);
  totals.omitted = ta.omitted + tb.omitted + (all.length - list.length);
  TOTALS.set(list, totals);
  return { list, totals };
}

/** C0 (but tab), DEL, C1 and the bidi overrides: never printed raw. */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * Text from the input made safe to print: control characters become `\xNN` / `\u{NNNN}`, and
 * long text is cut (`...`), so a log never drives the terminal.
 */
export function printable(s: string, max = 120): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  const safe = cut.replace(CONTROL, (c) => {
    const v = c.charCodeAt(0);
    return v < 0x100 ? `\\x${v.toString(16).padStart(2, '0')}` : `\\u{${v.toString(16)}}`;
  });
  return s.length > max ? `${safe}...` : safe;
}

/** Terminal-bound text (listings, stderr): every control character but newline and tab escaped. */
export function printableText(text: string): string {
  return text
    .split('\n')
    .map((l) => printable(l, Number.MAX_SAFE_INTEGER))
    .join('\n');
}

/** How many records the import found (kept in `records`, or streamed). */
export function recordTotal(t: Trace): number {
  return t.recordCount ?? t.records.length;
}

/** Sorted unique instance names of the records. */
export function instancesOf(records: readonly TraceRecord[]): string[] {
  const seen = new Set<string>();
  for (const r of records) seen.add(r.instance);
  return [...seen].sort();
}
