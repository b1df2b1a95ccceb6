/**
 * QEMU trace-events importer for the SMMU (emulator-models.md §4.1): the `log` backend prints
 * one line per event, `name args`, optionally prefixed with `pid@sec.usec:`.
 *
 * - smmuv3_record_event (≤ 9.x) / smmuv3_propagate_event: an event, known fields Type and
 *   StreamID; the `smmuv3_translate_abort` line that follows for the same SID adds InputAddr.
 * - smmuv3_cmdq_opcode `<--- SMMU_CMD_X`: a command record.
 * - smmuv3_cmdq_consume_error `Error on SMMU_CMD_X command execution: N`: a CMDQ error.
 * - smmuv3_write_gerror `toggled=0x.., new GERROR=0x..`: a GERROR record.
 * - any other smmu* line (smmu_ptw_*, smmuv3_translate_*, caches, ...): kept with its arguments.
 */
import { regName } from '../arch/registers.ts';
import { eventType } from '../arch/event.ts';
import { setFieldValue } from '../arch/fields.ts';
import { eventField } from '../linux/event-view.ts';
import { eventTypeByName } from './codec.ts';
import { STREAM_WINDOW, importText } from './dmesg.ts';
import { createLineCounter } from './line-count.ts';
import { type EventRecord, type LineImporter, type Trace, type TraceDiagnostic, type TraceRecord, diag, instancesOf, totalsOf } from './types.ts';

export interface QemuImportOptions {
  readonly instance?: string;
  /**
   * Streaming: each record is handed here, in input order, once no later line can add to it (an
   * event waits for its `smmuv3_translate_abort` / StreamID line, at most STREAM_WINDOW records),
   * and not kept: memory does not grow with the trace.
   */
  readonly onRecord?: (rec: TraceRecord) => void;
}

/** QEMU spellings that differ from the architecture names. */
const QEMU_EVENT_ALIASES: Readonly<Record<string, string>> = {
  F_TRANS_FORBIDDEN: 'F_TRANSL_FORBIDDEN',
  E_PAGE_REQ: 'E_PAGE_REQUEST',
  F_STE_FETCH: 'F_STE_FETCH',
};

/** QEMU `SMMU_CMD_X` → architecture name (QEMU says SYNC for CMD_SYNC). */
function qemuCommandName(q: string): string {
  const n = q.replace(/^SMMU_CMD_/, '');
  return n === 'SYNC' ? 'CMD_SYNC' : n;
}

/** `0x1f` or decimal `31` (QEMU formats SIDs both ways across versions). */
function parseNum(s: string): bigint | undefined {
  if (s.startsWith('0x') || s.startsWith('0X')) return /^0[xX][0-9a-fA-F]+$/.test(s) ? BigInt(s) : undefined;
  return /^[0-9]+$/.test(s) ? BigInt(s) : undefined;
}

const KEY = /^[A-Za-z_][\w.@]*$/;
const VALUE = /^(?:0[xX][0-9a-fA-F]+|-?\d+)(?:\(\d+\))?$/;

/**
 * The arguments of a QEMU trace line in every spelling its formats use (emulator-models.md
 * §4.1): `key=value`, `key =value`, `key= value`, `key:value`, `key: value`, `key value` for a
 * numeric value (`sid 8`), and a two-word key (`STE addr: 0x..` gives `addr` and `STE addr`).
 * A value ends at a blank or comma; `0x4(4)` (size with its decimal) keeps the hex part.
 */
export function parseArgs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const toks = text.split(/[\s,]+/).filter((x) => x !== '');
  const put = (k: string, v: string, prev: string | undefined): void => {
    const val = v.replace(/\(\d+\)$/, '');
    if (out[k] === undefined) out[k] = val;
    if (prev !== undefined && KEY.test(prev) && !(prev in out)) out[`${prev} ${k}`] = val;
  };
  for (let i = 0; i < toks.length; i++) {
    const tok = toks[i] ?? '';
    const prev = i > 0 ? toks[i - 1] : undefined;
    const eq = tok.indexOf('=');
    const co = tok.indexOf(':');
    const k = eq > 0 && (co < 0 || eq < co) ? eq : co > 0 ? co : -1;
    if (k > 0 && k < tok.length - 1) {
      put(tok.slice(0, k), tok.slice(k + 1), undefined);
      continue;
    }
    const next = toks[i + 1];
    if (k > 0 && k === tok.length - 1 && next !== undefined && !next.endsWith(':')) {
      // `key: value` / `key= value`
      put(tok.slice(0, k), next, prev);
      i++;
      continue;
    }
    if (KEY.test(tok) && next !== undefined) {
      if (next.startsWith('=') && next.length > 1) {
        put(tok, next.slice(1), undefined); // `key =value`
        i++;
      } else if ((next === '=' || next === ':') && toks[i + 2] !== undefined) {
        put(tok, toks[i + 2] ?? '', undefined); // `key = value`
        i += 2;
      } else if (VALUE.test(next)) {
        put(tok, next, undefined); // `sid 8`
        i++;
      }
    }
  }
  return out;
}

/** Name of the SMMU register at an MMIO offset, the Secure bank (0x8000 + offset) as S_<name>. */
export function mmioRegister(offset: number): string | undefined {
  const ns = regName(offset);
  if (ns !== undefined) return ns;
  if (offset >= 0x8000 && offset < 0x10000) {
    const s = regName(offset - 0x8000);
    if (s !== undefined) return `S_${s}`;
  }
  return undefined;
}

/** `-d guest_errors`: `<region> translation failed for iova=0x.. (SMMU_EVT_X)` (older QEMU: no space before `(`). */
const GUEST_EVENT = /translation failed for iova=(0x[0-9a-fA-F]+)\s*\((?:SMMU_EVT_)?([A-Z_0-9]+)\)/;
/** The same line cut before its `(SMMU_EVT_X)`, and that tail alone on the next line. */
const GUEST_EVENT_CUT = /translation failed for iova=(0x[0-9a-fA-F]+)\s*$/;
const GUEST_EVENT_TAIL = /^\((?:SMMU_EVT_)?([A-Z_0-9]+)\)$/;
/** `-d guest_errors`: `Illegal command type: N` (the command at CONS is rejected: CERROR_ILL). */
const GUEST_ILLEGAL_CMD = /Illegal command type: (\d+)/;

/** Import a whole trace held in memory (the CLI streams files through `createQemuImporter`). */
export function importQemu(text: string, opts: QemuImportOptions = {}): Trace {
  return importText(createQemuImporter(opts), text);
}

export function createQemuImporter(opts: QemuImportOptions = {}): LineImporter {
  const diagnostics: TraceDiagnostic[] = [];
  const sink = opts.onRecord;
  /** Records kept (no sink), or not handed over yet (sink): from `start` on. */
  const records: TraceRecord[] = [];
  let start = 0;
  let emitted = 0;
  const seen = new Set<string>();
  const used = createLineCounter();
  const instance = opts.instance ?? '';
  /** Events still waiting for their translate_abort line, by SID. */
  const waiting = new Map<bigint, EventRecord>();
  /** A `-d guest_errors` event line; the trace line QEMU prints right after it for the same event adds the StreamID. */
  let guestEvent: EventRecord | undefined;
  /** A guest_errors line cut before its event name, waiting for the next line (its tail, or not). */
  let cutLine: { iova: string; ln: number } | undefined;
  const open = (r: TraceRecord): boolean => r === guestEvent || (r.kind === 'event' && [...waiting.values()].includes(r));
  /** Hand over the records no later line can change; past the window, the oldest is sealed as it is. */
  const flush = (all: boolean): void => {
    if (sink === undefined) return;
    while (start < records.length) {
      const r = records[start] as TraceRecord;
      if (!all && records.length - start <= STREAM_WINDOW && open(r)) break;
      if (r === guestEvent) guestEvent = undefined;
      for (const [k, v] of waiting) if (v === r) waiting.delete(k);
      start++;
      for (const l of r.lines) used.mark(l);
      seen.add(r.instance);
      emitted++;
      sink(r);
    }
    if (start > 1024 || start === records.length) {
      records.splice(0, start);
      start = 0;
    }
  };
  let ln = 0;
  const line = (s: string, from: number, to: number): void => {
    ln++;
    const text = s.slice(from, to);
    if (cutLine !== undefined) {
      const c = cutLine;
      cutLine = undefined;
      const next = GUEST_EVENT_TAIL.exec(text.trim());
      if (next !== null) {
        diag(diagnostics, 'note', 'LINE_JOINED', c.ln, `guest_errors line wrapped before its event name; joined with line ${c.ln + 1}`);
        guestEventRecord(c.iova, next[1] ?? '', [c.ln, ln]);
        flush(false);
        return;
      }
      unnamed(c);
    }
    body(text);
    flush(false);
  };
  /** A cut guest_errors line whose event name never came: only InputAddr is known. */
  const unnamed = (c: { iova: string; ln: number }): void => {
    const raw = [0n, 0n, 0n, 0n];
    setFieldValue(raw, eventField('InputAddr'), BigInt(c.iova));
    records.push({ kind: 'event', instance, lines: [c.ln], raw, known: ['InputAddr'] });
    diag(diagnostics, 'warning', 'PARTIAL_RECORD', c.ln, 'guest_errors translation failure without its event name: only InputAddr is known');
  };
  /** A `-d guest_errors` event: InputAddr and type now, the StreamID from the trace line after it. */
  const guestEventRecord = (iova: string, evt: string, lines: number[]): void => {
    const arch = QEMU_EVENT_ALIASES[evt] ?? evt;
    const type = eventTypeByName(arch);
    const raw = [0n, 0n, 0n, 0n];
    const known = ['InputAddr'];
    setFieldValue(raw, eventField('InputAddr'), BigInt(iova));
    if (type !== undefined) {
      setFieldValue(raw, eventField('Type'), BigInt(type));
      known.unshift('Type');
    } else diag(diagnostics, 'warning', 'UNKNOWN_EVENT', lines[0] ?? 0, `unknown QEMU event type "${evt}"`);
    const rec: EventRecord = { kind: 'event', instance, lines, raw, known };
    records.push(rec);
    guestEvent = rec;
  };
  const body = (line: string): void => {
    let t = line.trim();
    if (t === '') return;
    let timestamp: string | undefined;
    // "1234@1700000000.123456:name args"
    const at = t.indexOf('@');
    const sp = t.indexOf(' ');
    if (at > 0 && (sp < 0 || at < sp)) {
      const colon = t.indexOf(':', at);
      if (colon > at) {
        timestamp = t.slice(0, colon);
        t = t.slice(colon + 1).trimStart();
      }
    }
    const ge = GUEST_EVENT.exec(t);
    if (ge !== null) {
      guestEventRecord(ge[1] ?? '0', ge[2] ?? '', [ln]);
      return;
    }
    // The event name wrapped onto the next line (a terminal or mail client), or not printed.
    const cut = GUEST_EVENT_CUT.exec(t);
    if (cut !== null) {
      cutLine = { iova: cut[1] ?? '0', ln };
      return;
    }
    const gi = GUEST_ILLEGAL_CMD.exec(t);
    if (gi !== null) {
      records.push({ kind: 'cmdq_error', instance, lines: [ln], cerror: 1, reason: `Illegal command type: ${gi[1]}` });
      return;
    }
    if (!t.startsWith('smmu')) return;
    const nameEnd = t.indexOf(' ');
    const name = nameEnd < 0 ? t : t.slice(0, nameEnd);
    const argText = nameEnd < 0 ? '' : t.slice(nameEnd + 1).trim();
    const base = timestamp !== undefined ? { instance, lines: [ln], timestamp } : { instance, lines: [ln] };
    if (name === 'smmuv3_record_event' || name === 'smmuv3_propagate_event') {
      const [typeTok = '', sidTok = ''] = argText.split(/\s+/);
      const typeName = typeTok.replace(/^SMMU_EVT_/, '');
      const arch = QEMU_EVENT_ALIASES[typeName] ?? typeName;
      const type = eventTypeByName(arch);
      const sid = sidTok.startsWith('sid=') ? parseNum(sidTok.slice(4)) : undefined;
      if (sid === undefined) {
        diag(diagnostics, 'error', 'UNPARSEABLE', ln, `cannot parse ${name} arguments: "${argText}"`);
        return;
      }
      const g = guestEvent;
      guestEvent = undefined;
      if (
        g !== undefined &&
        g.known !== undefined &&
        !g.known.includes('StreamID') &&
        (type === undefined || g.known.includes('Type') === true) &&
        (type === undefined || eventType(g.raw) === type)
      ) {
        setFieldValue(g.raw, eventField('StreamID'), sid);
        g.known.splice(g.known.includes('Type') ? 1 : 0, 0, 'StreamID');
        g.lines.push(ln);
        waiting.set(sid, g);
        return;
      }
      const raw = [0n, 0n, 0n, 0n];
      const known = ['StreamID'];
      setFieldValue(raw, eventField('StreamID'), sid);
      if (type !== undefined) {
        setFieldValue(raw, eventField('Type'), BigInt(type));
        known.unshift('Type');
      } else diag(diagnostics, 'warning', 'UNKNOWN_EVENT', ln, `unknown QEMU event type "${typeTok}"`);
      const rec: EventRecord = { kind: 'event', ...base, raw, known };
      records.push(rec);
      waiting.set(sid, rec);
      return;
    }
    if (name === 'smmuv3_translate_abort') {
      const a = parseArgs(argText);
      const sid = a['sid'] !== undefined ? parseNum(a['sid']) : undefined;
      const iovaText = a['iova'] ?? argText.match(/abort on iova:(0x[0-9a-fA-F]+)/)?.[1];
      const iova = iovaText !== undefined ? parseNum(iovaText) : undefined;
      const ev = sid !== undefined ? waiting.get(sid) : undefined;
      if (ev !== undefined && iova !== undefined && ev.known !== undefined) {
        setFieldValue(ev.raw, eventField('InputAddr'), iova);
        ev.known.push('InputAddr');
        ev.lines.push(ln);
        if (sid !== undefined) waiting.delete(sid);
      }
    }
    if (name === 'smmuv3_cmdq_opcode') {
      const cmd = qemuCommandName(argText.replace(/^<-+\s*/, ''));
      records.push({ kind: 'command', ...base, name: cmd });
      return;
    }
    if (name === 'smmuv3_cmdq_consume_error') {
      const m = /^Error on (\S+) command execution: (\d+)/.exec(argText);
      if (m === null) {
        diag(diagnostics, 'error', 'UNPARSEABLE', ln, `cannot parse ${name} arguments: "${argText}"`);
        return;
      }
      const cmd = qemuCommandName(m[1] ?? '');
      records.push({ kind: 'cmdq_error', ...base, cerror: Number(m[2]), reason: '', commandName: cmd });
      return;
    }
    if (name === 'smmuv3_write_gerror') {
      const a = parseArgs(argText);
      const toggled = a['toggled'] !== undefined ? parseNum(a['toggled']) : undefined;
      if (toggled === undefined) diag(diagnostics, 'warning', 'UNPARSEABLE', ln, `cannot parse ${name} arguments: "${argText}"`);
      else records.push({ kind: 'gerror', ...base, active: Number(toggled), causes: [] });
      return;
    }
    const args = parseArgs(argText);
    // MMIO accesses: name the register (Secure bank included) so the line says what was touched.
    if ((name === 'smmuv3_read_mmio' || name === 'smmuv3_write_mmio') && args['addr'] !== undefined) {
      const off = parseNum(args['addr']);
      const reg = off !== undefined ? mmioRegister(Number(off)) : undefined;
      if (reg !== undefined) args['register'] = reg;
    }
    records.push({ kind: 'qemu', ...base, name, args, text: argText });
  };

  const finish = (): Trace => {
    if (cutLine !== undefined) unnamed(cutLine);
    cutLine = undefined;
    flush(true);
    diagnostics.sort((a, b) => a.line - b.line);
    if (sink === undefined) for (const r of records) for (const l of r.lines) used.mark(l);
    const stats = { lines: ln, used: used.count(), reported: new Set(diagnostics.map((d) => d.line)).size };
    const base = { format: 'qemu' as const, diagnostics, totals: totalsOf(diagnostics), stats };
    return sink !== undefined
      ? { ...base, instances: [...seen].sort(), records: [], recordCount: emitted }
      : { ...base, instances: instancesOf(records), records };
  };
  return { line, finish };
}
