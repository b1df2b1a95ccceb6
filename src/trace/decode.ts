/**
 * Decode imported records with the event codec and cross-check v6.14+ decoded text against the
 * raw dwords printed just before it: the text Linux would print for those dwords is parsed the
 * same way as the imported text and the two field sets are compared, so every disagreement
 * (a wrong SID, a glued line cut in the wrong place, a log edited by hand) names its field.
 */
import { priAccess } from './pri-msg.ts';
import { formatEventLog, hexAlt } from '../linux/messages.ts';
import { CERROR_NAME, commandCodec, commandOpcode } from '../arch/command.ts';
import { formatField } from '../arch/fields.ts';
import { CLASS_NAME, eventCodec, eventType } from '../arch/event.ts';
import { EVENT_FIELDS, decodeEventGeneric, isTranslationFault } from '../linux/event-view.ts';
import { parseDecodedHead, parseFlags } from '../linux/decoded-lines.ts';
import { fieldsFromLogged } from './logged.ts';
import { type EventRecord, type LoggedEvent, type Trace, type TraceDiagnostic, type TraceRecord } from './types.ts';
import { hex } from '../arch/hex.ts';

/** Fields the record actually carries: `known`, else those in the dwords present. */
export function knownFields(rec: EventRecord): string[] {
  if (rec.known !== undefined) return rec.known;
  const type = rec.raw.length > 0 ? eventType(rec.raw) : -1;
  const fields = [...EVENT_FIELDS, ...eventCodec(type).fields];
  // Damaged dwords carry no trusted field (the slot only keeps the others in place).
  const damaged = rec.damaged ?? [];
  return [...new Set(fields.filter((f) => f.dword < rec.raw.length && !damaged.includes(f.dword)).map((f) => f.name))];
}

/** What the v6.14+ text would say for these raw dwords (client copied from the text). */
function loggedFromRaw(raw: readonly bigint[], client: string): Omit<LoggedEvent, 'textLines'> | undefined {
  const lines = formatEventLog(raw, { era: '6.14+', client });
  const head = parseDecodedHead(lines[5] ?? '');
  if (head.status !== 'ok') return undefined;
  const out: Omit<LoggedEvent, 'textLines'> = { ...head.value };
  if (lines[6] !== undefined) {
    const fl = parseFlags(lines[6]);
    if (fl.status === 'ok') out.flags = fl.value;
  }
  return out;
}

/** Disagreements between decoded text and raw dwords, and between header type and dw0. */
export function crossCheck(trace: Trace): TraceDiagnostic[] {
  const out: TraceDiagnostic[] = [];
  for (const rec of trace.records) crossCheckRecord(rec, out);
  return out;
}

/** `crossCheck` of one record (a streamed import checks each record as it is read). */
export function crossCheckRecord(rec: TraceRecord, out: TraceDiagnostic[]): void {
  if (rec.kind !== 'event' || rec.known !== undefined) return;
  const line = rec.lines[0] ?? 0;
  const type = rec.raw.length > 0 ? eventType(rec.raw) : undefined;
  if (rec.headerType !== undefined && type !== undefined && rec.headerType !== type) {
    out.push({
      code: 'HEADER_RAW_MISMATCH',
      severity: 'error',
      line,
      message: `header says event 0x${rec.headerType.toString(16)} but dw0 Type = 0x${type.toString(16)}`,
    });
  }
  if (rec.logged === undefined || rec.truncated) return;
  const expect = loggedFromRaw(rec.raw, rec.logged.client);
  if (expect === undefined) return;
  const textLine = rec.logged.textLines[0] ?? line;
  if (expect.name !== rec.logged.name) {
    out.push({
      code: 'TEXT_RAW_MISMATCH',
      severity: 'error',
      line: textLine,
      message: `decoded text names ${rec.logged.name} but the raw dwords are ${expect.name}`,
    });
    return;
  }
  const a = fieldsFromLogged({ ...rec.logged });
  const b = fieldsFromLogged({ ...expect, textLines: [] });
  if (rec.logged.flags === undefined) for (const k of ['PnU', 'InD', 'RnW', 'S2', 'CLASS', 'TTRnW', 'Stall', 'STAG']) delete b[k];
  if (isTranslationFault(Number(b['Type'] ?? 0n)) && rec.logged.flags === undefined) {
    out.push({ code: 'MISSING_FLAGS_LINE', severity: 'warning', line: textLine, message: `${expect.name} is printed with a flags line, none followed` });
  }
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    out.push({
      code: 'TEXT_RAW_MISMATCH',
      severity: 'error',
      line: textLine,
      message: `decoded text gives ${k} = ${x === undefined ? '(absent)' : hexAlt(x)} but the raw dwords give ${y === undefined ? '(absent)' : hexAlt(y)}`,
    });
  }
}

function lineSpan(r: TraceRecord): string {
  const a = r.lines[0];
  const b = r.lines[r.lines.length - 1];
  return a === undefined ? '-' : a === b ? `${a}` : `${a}-${b}`;
}

/** One readable line for an event, using only the fields the record carries. */
export function describeEvent(rec: EventRecord): string {
  const d = decodeEventGeneric(rec.raw);
  const k = new Set(knownFields(rec));
  const f = d.fields;
  const parts: string[] = [];
  const v = (name: string): bigint => f[name] ?? 0n;
  parts.push(k.has('Type') ? `${d.name} (0x${d.type.toString(16).padStart(2, '0')})` : 'event (type unknown)');
  if (k.has('StreamID')) parts.push(`sid=${hex(v('StreamID'))}`);
  // C_BAD_SUBSTREAMID always carries the SubstreamID that failed, whatever SSV says (§7.3.9).
  if (d.type === 0x08 && k.has('SubstreamID')) parts.push(`ssid=${hex(v('SubstreamID'))}${v('SSV') === 1n ? '' : ' (SSV=0)'}`);
  else if (k.has('SSV')) parts.push(v('SSV') === 1n ? `ssid=${hex(v('SubstreamID'))}` : 'ssid=-');
  const relevantIn = k.has('InputAddr') && (isTranslationFault(d.type) || d.type === 0x0b || d.type === 0x01 || d.type === 0x07 || !k.has('Type'));
  if (k.has('S2') && (isTranslationFault(d.type) || d.type === 0x0b)) {
    parts.push(`stage=${v('S2') === 1n ? 2 : 1}`, `CLASS=${CLASS_NAME[Number(v('CLASS'))] ?? '?'}`);
    parts.push(`RnW=${v('RnW')}`, `PnU=${v('PnU')}`, `InD=${v('InD')}`);
    if (d.type === 0x13 && v('CLASS') === 1n) parts.push(`TTRnW=${v('TTRnW')}`);
    if (isTranslationFault(d.type)) parts.push(`Stall=${v('Stall')}`, `STAG=${hex(v('STAG'))}`);
  }
  // F_UUT and F_TRANSL_FORBIDDEN record the access direction too (§7.3.2, §7.3.8).
  if ((d.type === 0x07 || d.type === 0x01) && k.has('RnW')) parts.push(`RnW=${v('RnW')}`);
  if (d.type === 0x01 && k.has('PnU')) parts.push(`PnU=${v('PnU')}`, `InD=${v('InD')}`);
  if (relevantIn) parts.push(`InputAddr=${hex(v('InputAddr'))}`);
  if (k.has('IPA') && isTranslationFault(d.type)) parts.push(`IPA=${hex(v('IPA'))}${v('S2') === 1n ? '' : ' (UNKNOWN for S1)'}`);
  if (k.has('FetchAddr') && (d.type === 0x03 || d.type === 0x09 || d.type === 0x0b || d.type === 0x25)) parts.push(`FetchAddr=${hex(v('FetchAddr'))}`);
  if (rec.truncated) parts.push(`[truncated: ${rec.raw.length}/4 dwords]`);
  if (rec.damaged !== undefined) parts.push(`[damaged dwords: ${rec.damaged.join(',')}]`);
  if (rec.known !== undefined) parts.push(`[fields known: ${rec.known.join(',')}]`);
  if (rec.collapsed) parts.push(`[+${rec.collapsed} duplicates folded]`);
  return parts.join(' ');
}

/** Readable one-line description of any record. */
export function describeRecord(r: TraceRecord): string {
  switch (r.kind) {
    case 'event':
      return describeEvent(r);
    case 'cmdq_error': {
      const code = r.cerror;
      const cmd =
        r.command !== undefined && r.command.length > 0
          ? ` command=[${r.command.map((x) => `0x${x.toString(16).padStart(16, '0')}`).join(', ')}] (opcode 0x${commandOpcode(r.command)
              .toString(16)
              .padStart(2, '0')})`
          : '';
      return `CMDQ error ${CERROR_NAME[code] ?? `CERROR ${code}`}${r.cons !== undefined ? ` cons=0x${r.cons.toString(16).padStart(8, '0')}` : ''}${r.commandName !== undefined ? ` on ${r.commandName}` : ''}${cmd}${r.retrying ? ' (retrying fetch)' : ''}${r.commandTruncated ? ' [command truncated]' : ''}`;
    }
    case 'sync_timeout':
      return r.prod === undefined || r.hwprod === undefined || r.hwcons === undefined
        ? 'CMD_SYNC timeout (no queue indices logged)'
        : `CMD_SYNC timeout prod=0x${r.prod.toString(16)} hwprod=0x${r.hwprod.toString(16)} hwcons=0x${r.hwcons.toString(16)}`;
    case 'cmdq_timeout':
      return 'CMDQ timeout (queue full)';
    case 'overflow':
      return `${r.queue.toUpperCase()} overflow`;
    case 'gerror':
      return `GERROR${r.active !== undefined ? ` active=0x${r.active.toString(16)}` : ''}${r.causes.length ? ` causes=${r.causes.join(',')}` : ''}`;
    case 'suppressed':
      return `${r.count} messages suppressed by rate limit (${r.func})`;
    case 'command':
      return `command ${r.name}`;
    case 'qemu':
      return `${r.name} ${r.text}`;
    case 'pri':
      return `PRI page request sid=0x${r.sid.toString(16)} ssid=0x${r.ssid.toString(16)} group=${r.group}${r.last ? ' last' : ''} ${r.privileged ? 'privileged' : 'unprivileged'} access=${priAccess(r) || '-'} iova=0x${r.iova.toString(16).padStart(16, '0')}`;
  }
}

/** The `trace decode` listing: one line per record, `#n [instance] lines a-b: ...`. */
export function formatTraceListing(trace: Trace): string[] {
  return trace.records.map(formatRecordLine);
}

/**
 * Every field of a record by its architecture name, one per line (`trace decode --fields`,
 * issue 15 item 6): events from the per-type layout of src/arch/event.ts, the skipped command of
 * a CMDQ error from src/arch/command.ts; bit positions, enum names and notes as `decode` prints
 * them. A field the log does not carry (truncated or damaged dword, decoded text only, QEMU
 * trace) says so instead of showing a value.
 */
const NOT_IN_LOG = '(not in the log: dword missing or damaged, or not printed)';

export function formatRecordFields(r: TraceRecord): string[] {
  const out: string[] = [];
  if (r.kind === 'event') {
    const codec = eventCodec(eventType(r.raw));
    const known = new Set(knownFields(r));
    for (const d of codec.describe(r.raw)) out.push(`    ${formatField(d, known.has(d.spec.name) ? undefined : NOT_IN_LOG)}`);
  } else if (r.kind === 'cmdq_error' && r.command !== undefined && r.command.length > 0) {
    const codec = commandCodec(commandOpcode(r.command));
    const damaged = new Set(r.commandDamaged ?? []);
    out.push(`    command ${codec.name}:`);
    for (const d of codec.describe(r.command)) {
      const present = d.spec.dword < r.command.length && !damaged.has(d.spec.dword);
      out.push(`      ${formatField(d, present ? undefined : NOT_IN_LOG)}`);
    }
  }
  return out;
}

/** Listing line of the record at `index` (0-based). */
export function formatRecordLine(r: TraceRecord, index: number): string {
  return `#${index + 1} ${r.instance === '' ? '' : `[${r.instance}] `}line ${lineSpan(r)}: ${describeRecord(r)}`;
}
