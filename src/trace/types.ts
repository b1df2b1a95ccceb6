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

export type { LoggedEvent, LoggedFlags } from '../linux/decoded-lines.ts';

export interface EventRecord extends RecordBase {
  readonly kind: 'event';
  /** dw0..dw3 as far as they are known (fewer than 4 when `truncated`). */
  raw: bigint[];
  /** Fewer than four dwords were found. */
  truncated?: boolean | undefined;
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
  /** Name of the failing command (QEMU traces). */
  commandName?: string;
  /** `retrying command fetch` followed (CERROR_ABT). */
  retrying?: boolean;
}

export interface SyncTimeoutRecord extends RecordBase {
  readonly kind: 'sync_timeout';
  prod: number;
  hwprod: number;
  hwcons: number;
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
  | QemuRecord;

export type Severity = 'error' | 'warning' | 'note';

export interface TraceDiagnostic {
  readonly code: string;
  readonly severity: Severity;
  /** 1-based source line. */
  readonly line: number;
  readonly message: string;
}

export interface Trace {
  format: TraceFormat;
  /** Instances seen, sorted. */
  instances: string[];
  records: TraceRecord[];
  diagnostics: TraceDiagnostic[];
}

export function diag(out: TraceDiagnostic[], severity: Severity, code: string, line: number, message: string): void {
  out.push({ code, severity, line, message });
}

/** Sorted unique instance names of the records. */
export function instancesOf(records: readonly TraceRecord[]): string[] {
  const seen = new Set<string>();
  for (const r of records) seen.add(r.instance);
  return [...seen].sort();
}
