/**
 * Linux arm-smmu-v3 kernel log formatter: the exact lines the driver prints for event records,
 * CMDQ errors, CMD_SYNC timeouts, EVTQ overflow and global errors (reference
 * linux-smmuv3-iommufd.md §7), in two eras:
 *
 * - 'pre-6.14': `event 0x10 received:` + four `\t0x%016llx` lines (dev_info, KERN_INFO);
 * - '6.14+'   : the same raw dump at KERN_ERR, then decoded lines (commits d814b70b9b90 and
 *   43ca55f5555b, "Log better event records").
 *
 * Lines are returned without the `[timestamp] arm-smmu-v3 <dev>: ` prefix; `withDmesgPrefix` adds it.
 * printf `%#x` / `%#llx` print `0` (no `0x`) for zero — `hexAlt` reproduces that.
 */
import { CERROR } from '../arch/command.ts';
import { cmdqConsErr } from '../arch/registers.ts';
import { EVENT_TYPE, type EventName } from '../arch/event.ts';
import { decodeEventGeneric, isTranslationFault } from './event-view.ts';

export type LogEra = 'pre-6.14' | '6.14+';
export type LogLevel = 'err' | 'warn' | 'info';

/** printk level of the event dump per era. */
export const EVENT_LOG_LEVEL = { 'pre-6.14': 'info', '6.14+': 'err' } as const satisfies Readonly<Record<LogEra, LogLevel>>;

/** Linux masks: EVTQ_3_IPA = GENMASK(51,12), EVTQ_3_FETCH_ADDR = GENMASK(51,3); values printed in place. */
export const LINUX_IPA_MASK = ((1n << 52n) - 1n) & ~((1n << 12n) - 1n);
export const LINUX_FETCH_MASK = ((1n << 52n) - 1n) & ~7n;

/** Event names Linux knows (event_str[]); any other type prints as UNKNOWN. Names and types: arch/event.ts. */
const LINUX_KNOWN_EVENTS: readonly EventName[] = [
  'C_BAD_STREAMID',
  'F_STE_FETCH',
  'C_BAD_STE',
  'F_STREAM_DISABLED',
  'C_BAD_SUBSTREAMID',
  'F_CD_FETCH',
  'C_BAD_CD',
  'F_TRANSLATION',
  'F_ADDR_SIZE',
  'F_ACCESS',
  'F_PERMISSION',
  'F_VMS_FETCH',
];
export const LINUX_EVENT_NAMES: Readonly<Record<number, string>> = Object.fromEntries(LINUX_KNOWN_EVENTS.map((n) => [EVENT_TYPE[n], n]));

/** Linux event_class_str[] by CLASS value. */
export const LINUX_CLASS_TEXT: readonly string[] = ['CD fetch', 'Stage 1 translation table fetch', 'Input address caused fault', 'Reserved'];

/** Types Linux prints with a fetch_addr (F_STE_FETCH, F_CD_FETCH, F_VMS_FETCH). */
export function linuxLogsFetchAddr(type: number): boolean {
  return type === EVENT_TYPE.F_STE_FETCH || type === EVENT_TYPE.F_CD_FETCH || type === EVENT_TYPE.F_VMS_FETCH;
}

export const UNASSIGNED_CLIENT = '(unassigned sid)';

/** printf `%#x` / `%#llx`: `0` for zero, else `0x` + lower-case hex. */
export function hexAlt(v: bigint | number): string {
  const b = typeof v === 'bigint' ? v : BigInt(v);
  return b === 0n ? '0' : `0x${b.toString(16)}`;
}

function hex16(v: bigint): string {
  return BigInt.asUintN(64, v).toString(16).padStart(16, '0');
}

function hex8(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}

export interface EventLogOptions {
  readonly era: LogEra;
  /** Device name of the master (PCI BDF such as `0000:01:00.0`); undefined → `(unassigned sid)`. */
  readonly client?: string | undefined;
}

/** The lines Linux prints for one event record (raw dump, plus decoded lines from v6.14). */
export function formatEventLog(raw: readonly bigint[], opts: EventLogOptions): string[] {
  const d = decodeEventGeneric(raw);
  const lines = [`event 0x${(d.type & 0xff).toString(16).padStart(2, '0')} received:`];
  for (let i = 0; i < 4; i++) lines.push(`\t0x${hex16(raw[i] ?? 0n)}`);
  if (opts.era === 'pre-6.14') return lines;
  const f = d.fields;
  const name = LINUX_EVENT_NAMES[d.type] ?? 'UNKNOWN';
  const client = opts.client ?? UNASSIGNED_CLIENT;
  const ssid = (f['SSV'] ?? 0n) === 1n ? (f['SubstreamID'] ?? 0n) : 0n;
  const head = `event: ${name} client: ${client} sid: ${hexAlt(f['StreamID'] ?? 0n)} ssid: ${hexAlt(ssid)}`;
  const dw3 = BigInt.asUintN(64, raw[3] ?? 0n);
  if (isTranslationFault(d.type)) {
    lines.push(`${head} iova: ${hexAlt(BigInt.asUintN(64, raw[2] ?? 0n))} ipa: ${hexAlt(dw3 & LINUX_IPA_MASK)}`);
    const cls = Number(f['CLASS'] ?? 0n);
    // The ttd_* word exists only for F_PERMISSION with CLASS=TT (Linux class_tt).
    const ttd = d.type === 0x13 && cls === 1 ? ((f['TTRnW'] ?? 0n) === 1n ? ' ttd_read' : ' ttd_write') : '';
    lines.push(
      `${f['PnU'] === 1n ? 'priv' : 'unpriv'} ${f['InD'] === 1n ? 'inst' : 'data'} ${f['RnW'] === 1n ? 'read' : 'write'} ` +
        `${f['S2'] === 1n ? 's2' : 's1'} "${LINUX_CLASS_TEXT[cls] ?? 'Reserved'}"${ttd}${f['Stall'] === 1n ? ' stall' : ''} stag: ${hexAlt(f['STAG'] ?? 0n)}`,
    );
  } else if (linuxLogsFetchAddr(d.type)) {
    lines.push(`${head} fetch_addr: ${hexAlt(dw3 & LINUX_FETCH_MASK)}`);
  } else {
    lines.push(head);
  }
  return lines;
}

/** CMDQ_CONS.ERR reason text (cmdq_err_map); codes beyond 3 print `Unknown`. */
/** Linux's log strings for each CERROR code (arm_smmu_cmdq_skip_err). */
export const CERROR_REASON: Readonly<Record<number, string>> = {
  [CERROR.NONE]: 'No error',
  [CERROR.ILL]: 'Illegal command',
  [CERROR.ABT]: 'Abort on command fetch',
  [CERROR.ATC_INV_SYNC]: 'ATC invalidate timeout',
};

export function cerrorReason(code: number): string {
  return CERROR_REASON[code] ?? 'Unknown';
}

/**
 * Lines of arm_smmu_cmdq_skip_err for a CONS value: the error line, then `retrying command fetch`
 * (ABT) or `skipping command in error state:` + the two dwords at CONS (ILL or unknown).
 * NONE and ATC_INV_SYNC print only the error line (§3.3).
 */
export function formatCmdqError(cons: number, command?: readonly bigint[]): string[] {
  const code = cmdqConsErr(cons);
  const lines = [`CMDQ error (cons 0x${hex8(cons)}): ${cerrorReason(code)}`];
  if (code === CERROR.ABT) lines.push('retrying command fetch');
  else if (code !== CERROR.NONE && code !== CERROR.ATC_INV_SYNC) {
    lines.push('skipping command in error state:');
    for (let i = 0; i < 2; i++) lines.push(`\t0x${hex16(command?.[i] ?? 0n)}`);
  }
  return lines;
}

/** `CMD_SYNC timeout at 0x<prod> [hwprod 0x<hwprod>, hwcons 0x<hwcons>]` (§3.4). */
export function formatSyncTimeout(prod: number, hwprod: number, hwcons: number): string[] {
  return [`CMD_SYNC timeout at 0x${hex8(prod)} [hwprod 0x${hex8(hwprod)}, hwcons 0x${hex8(hwcons)}]`];
}

export function formatEvtqOverflow(): string[] {
  return ['EVTQ overflow detected -- events lost'];
}

/** GERROR bits Linux handles (GERROR_ERR_MASK 0x1fd) and the line each prints, in handler order. */
export const GERROR_CAUSES: ReadonlyArray<{ bit: number; name: string; text: string }> = [
  { bit: 8, name: 'SFM_ERR', text: 'device has entered Service Failure Mode!' },
  { bit: 7, name: 'MSI_GERROR_ABT_ERR', text: 'GERROR MSI write aborted' },
  { bit: 6, name: 'MSI_PRIQ_ABT_ERR', text: 'PRIQ MSI write aborted' },
  { bit: 5, name: 'MSI_EVTQ_ABT_ERR', text: 'EVTQ MSI write aborted' },
  { bit: 4, name: 'MSI_CMDQ_ABT_ERR', text: 'CMDQ MSI write aborted' },
  { bit: 3, name: 'PRIQ_ABT_ERR', text: 'PRIQ write aborted -- events may have been lost' },
  { bit: 2, name: 'EVTQ_ABT_ERR', text: 'EVTQ write aborted -- events may have been lost' },
];

export const GERROR_ERR_MASK = 0x1fd;

/**
 * Lines of the GERROR handler for active = GERROR ^ GERRORN. CMDQ_ERR (bit 0) appends the
 * CMDQ error lines for `cmdq.cons` (and the command at CONS). Nothing is printed when no handled
 * bit is active.
 */
export function formatGerror(active: number, cmdq?: { cons: number; command?: readonly bigint[] }): string[] {
  const a = active & GERROR_ERR_MASK;
  if (a === 0) return [];
  const lines = [`unexpected global error reported (0x${hex8(a)}), this could be serious`];
  for (const c of GERROR_CAUSES) if ((a >>> c.bit) & 1) lines.push(c.text);
  if (a & 1) lines.push(...formatCmdqError(cmdq?.cons ?? 0, cmdq?.command));
  return lines;
}

export interface DmesgPrefixOptions {
  /** Device name, e.g. `arm-smmu-v3.0.auto` (ACPI) or `2b400000.iommu` (DT). */
  readonly device: string;
  /** Seconds since boot; printed as `[%5lu.%06lu] `. Omitted → no timestamp. */
  readonly timestamp?: number;
  /** Driver name, default `arm-smmu-v3`. */
  readonly driver?: string;
}

/** Prefix each line as dmesg shows it: `[    1.234567] arm-smmu-v3 arm-smmu-v3.0.auto: <line>`. */
export function withDmesgPrefix(lines: readonly string[], opts: DmesgPrefixOptions): string[] {
  let ts = '';
  if (opts.timestamp !== undefined) {
    const us = Math.round(opts.timestamp * 1e6);
    const sec = Math.floor(us / 1e6);
    ts = `[${String(sec).padStart(5, ' ')}.${String(us - sec * 1e6).padStart(6, '0')}] `;
  }
  const pre = `${ts}${opts.driver ?? 'arm-smmu-v3'} ${opts.device}: `;
  return lines.map((l) => pre + l);
}

// ---- Reading the same messages back (the trace importer) ----

/** GERROR cause line text → cause name (SFM_ERR, EVTQ_ABT_ERR, ...). */
export const GERROR_CAUSE_BY_TEXT: ReadonlyMap<string, string> = new Map(GERROR_CAUSES.map((c) => [c.text, c.name]));

function isHexChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/**
 * Match `msg` against a template of literals with hex values between them (`lits[0] V lits[1]
 * V ... lits[k]`). 'partial' when the text ends inside the template (a wrapped line), undefined
 * when it is some other text. The last literal may be followed by free text (returned as `tail`).
 */
function matchTemplate(msg: string, lits: readonly string[]): { values: number[]; tail: string } | 'partial' | undefined {
  const values: number[] = [];
  let pos = 0;
  for (let p = 0; p < lits.length; p++) {
    const lit = lits[p] ?? '';
    const avail = msg.slice(pos, pos + lit.length);
    if (avail.length < lit.length) return lit.startsWith(avail) ? 'partial' : undefined;
    if (avail !== lit) return undefined;
    pos += lit.length;
    if (p === lits.length - 1) break;
    const start = pos;
    while (pos < msg.length && isHexChar(msg.charCodeAt(pos))) pos++;
    if (pos === start) return pos === msg.length ? 'partial' : undefined;
    if (pos - start > 8) return undefined;
    values.push(parseInt(msg.slice(start, pos), 16) >>> 0);
  }
  return { values, tail: msg.slice(pos) };
}

/** `CMD_SYNC timeout at 0x%08x [hwprod 0x%08x, hwcons 0x%08x]` (formatSyncTimeout). */
export function parseSyncTimeout(msg: string): { prod: number; hwprod: number; hwcons: number } | 'partial' | undefined {
  const m = matchTemplate(msg, ['CMD_SYNC timeout at 0x', ' [hwprod 0x', ', hwcons 0x', ']']);
  if (m === undefined || m === 'partial') return m;
  const [prod = 0, hwprod = 0, hwcons = 0] = m.values;
  return { prod, hwprod, hwcons };
}

/** `CMDQ error (cons 0x%08x): REASON` (formatCmdqError); CERROR = CONS[30:24]. */
export function parseCmdqErrorLine(msg: string): { cons: number; cerror: number; reason: string } | 'partial' | undefined {
  const m = matchTemplate(msg, ['CMDQ error (cons 0x', '): ']);
  if (m === undefined || m === 'partial') return m;
  const cons = m.values[0] ?? 0;
  return { cons, cerror: cmdqConsErr(cons), reason: m.tail };
}

/** `unexpected global error reported (0x%08x), this could be serious` (formatGerror). */
export function parseGerrorLine(msg: string): { active: number } | 'partial' | undefined {
  const m = matchTemplate(msg, ['unexpected global error reported (0x', '), this could be serious']);
  if (m === undefined || m === 'partial') return m;
  return { active: m.values[0] ?? 0 };
}
