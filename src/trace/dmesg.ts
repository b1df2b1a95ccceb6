/**
 * Linux kernel log importer (both eras, reference linux-smmuv3-iommufd.md §7): a line-by-line
 * state machine, linear in the input. Per SMMU instance it tracks the record that is collecting
 * dwords (`event 0x.. received:` + 4, `skipping command in error state:` + 2) and the last record,
 * to which v6.14+ decoded lines, `retrying command fetch` and GERROR cause lines attach.
 *
 * Messy-log handling: any `[timestamp]`/syslog/device prefix (logline.ts); other kernel lines
 * between a header and its dwords; several instances interleaved; mail quoting; lines wrapped
 * by mail clients (a message that ends early is joined with the following unprefixed lines);
 * a decoded line glued to the next message; rate-limit `callbacks suppressed` lines; truncated
 * records (kept, marked). A line that looks like an SMMU message but cannot be parsed becomes a
 * diagnostic with its line number.
 */
import { GERROR_CAUSE_BY_TEXT, cerrorReason, parseCmdqErrorLine, parseGerrorLine, parseSyncTimeout } from '../linux/messages.ts';
import { ascending, isWs, looksLikeRecordStart, normaliseLines, smmuLooking, startsKnownMessage } from './dmesg-msg.ts';
import { isFlagsLine, parseDecodedHead, parseFlags } from '../linux/decoded-lines.ts';
import { rawFromLogged } from './logged.ts';
import { PRI_HEADER, looksLikePriRequest, parsePriRequest } from './pri-msg.ts';
import { XEN_CONVERT_FAILED, XEN_SYNC_TIMEOUT, isXenPrefix } from './xen-msg.ts';
import {
  type LogLine,
  hexTail,
  isHexCode,
  lastDwordDigits,
  newLogLine,
  parseDwordLine,
  parseDwordLoose,
  scanLogLine,
  splitLogLine,
  stripAnsi,
  tsOf,
} from '../linux/log-line.ts';
import {
  type CmdqErrorRecord,
  type EventRecord,
  type GerrorRecord,
  type LineImporter,
  type LoggedEvent,
  type Trace,
  type TraceDiagnostic,
  type TraceRecord,
  diag,
  instancesOf,
  printable,
  totalsOf,
} from './types.ts';

interface InstState {
  /** Record collecting dwords. */
  pending: { rec: EventRecord; kind: 'event' } | { rec: CmdqErrorRecord; kind: 'cmd' } | undefined;
  /** Most recent record of this instance. */
  last: TraceRecord | undefined;
  /** Lines of an `unexpected PRI request received:` header still waiting for its `sid ...` line. */
  priHeader?: { lines: number[]; timestamp?: string } | undefined;
}

const MAX_JOINS = 3;

type Outcome = 'done' | 'partial';

/** Incremental kernel-log import: feed physical lines in order, then `finish`. */
export interface DmesgImporterOptions {
  /**
   * Streaming: each record, once no later line can change it, is handed here in input order and
   * not kept (the Trace from `finish` has no records, only `recordCount`): memory stays bounded
   * by the records still open, not by the log (issue 15 item 4).
   */
  readonly onRecord?: (rec: TraceRecord) => void;
  /** Open records kept at most while streaming (default STREAM_WINDOW). */
  readonly window?: number;
}

/**
 * Records still open when streaming: past this many, the oldest is sealed (written as it is; a
 * decoded or flags line for it that comes later still is reported as an orphan instead).
 */
export const STREAM_WINDOW = 4096;

export type DmesgImporter = LineImporter;

/** Import a whole kernel log held in memory (the CLI streams files through `createDmesgImporter`). */
export function importDmesg(text: string): Trace {
  return importText(createDmesgImporter(), text);
}

/** Every line of a text held in memory through an importer (each format's whole-text import). */
export function importText(imp: LineImporter, text: string): Trace {
  forEachLine(text, (s, from, to) => imp.line(s, from, to));
  return imp.finish();
}

/** Call `fn` for each line of `text` (a final newline ends the last line; CR before LF dropped). */
export function forEachLine(text: string, fn: (s: string, from: number, to: number) => void): void {
  let pos = 0;
  const total = text.length;
  while (pos < total) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = total;
    const end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    fn(text, pos, end);
    pos = nl + 1;
  }
}

/** The line's timestamp as its own string (a slice would keep the whole read chunk alive). */
function ownTs(ll: LogLine): string | undefined {
  const ts = tsOf(ll);
  return ts === undefined || ts.length < 13 ? ts : ` ${ts}`.slice(1);
}

/** Line lists in ascending order (joined and glued lines can add them out of order). */
function tidy(r: TraceRecord): void {
  if (!ascending(r.lines)) normaliseLines(r.lines);
  if (r.kind === 'event' && r.logged && !ascending(r.logged.textLines)) normaliseLines(r.logged.textLines);
}

/** Mark dword `index` of a record damaged (sorted, once). */
function markDamaged(rec: EventRecord | CmdqErrorRecord, index: number): void {
  const list = rec.kind === 'event' ? (rec.damaged ??= []) : (rec.commandDamaged ??= []);
  if (!list.includes(index)) list.push(index);
  list.sort((a, b) => a - b);
}

/** The hex digits of a dword line (`\t0x<digits>`) when fewer than 16 (a wrapped dword?); else undefined. */
function shortDigits(s: string, from: number, to: number): string | undefined {
  let a = from;
  while (a < to && isWs(s.charCodeAt(a))) a++;
  let b = a + 2;
  while (b < to && isHexCode(s.charCodeAt(b))) b++;
  return b > a + 2 && b - a - 2 < 16 ? s.slice(a + 2, b) : undefined;
}

export function createDmesgImporter(opts: DmesgImporterOptions = {}): DmesgImporter {
  const sink = opts.onRecord;
  const window = opts.window ?? STREAM_WINDOW;
  /** All records (retained), or those not yet handed to `sink` from index `head` (streaming). */
  let records: TraceRecord[] = [];
  let head = 0;
  /** Records created (the change detector: `records` shrinks while streaming). */
  let created = 0;
  let emitted = 0;
  const emittedInstances = new Set<string>();
  const diagnostics: TraceDiagnostic[] = [];
  const states = new Map<string, InstState>();
  let carry: { text: string; lineNos: number[]; joins: number } | undefined;
  /** Record changes other than new records (lines added to an existing record). */
  let touches = 0;
  /** Diagnostics raised (counted here: the kept list is capped). */
  let reports = 0;
  let ln = 0;
  let used = 0;
  let reportedLines = 0;
  /** Text glued after a complete message, to be handled next (no recursion: a line of glued messages can be megabytes). */
  let glued: string | undefined;
  /** The dword just read had fewer than 16 digits: the next line may hold the rest (mail wrap). */
  let short: { rec: EventRecord | CmdqErrorRecord; index: number; digits: string; ln: number } | undefined;
  let lastSrc: string | undefined;
  let lastSrcHasEscape = false;

  /** One byte per line: was it named by a diagnostic (kept or only counted). */
  let reportedMap = new Uint8Array(1024);
  const report = (severity: 'error' | 'warning' | 'note', code: string, line: number, message: string): void => {
    reports++;
    if (line >= reportedMap.length) {
      const grown = new Uint8Array(Math.max(line + 1, reportedMap.length * 2));
      grown.set(reportedMap);
      reportedMap = grown;
    }
    if (reportedMap[line] === 0) {
      reportedMap[line] = 1;
      reportedLines++;
    }
    diag(diagnostics, severity, code, line, message);
  };

  const state = (name: string): InstState => {
    let st = states.get(name);
    if (st === undefined) {
      st = { pending: undefined, last: undefined };
      states.set(name, st);
    }
    return st;
  };

  /** Instance for a line: its device, else '' — or the one instance waiting for such a line. */
  const resolve = (ll: LogLine, want: (st: InstState) => boolean): string => {
    if (ll.device !== undefined) return ll.device;
    const bare = states.get('');
    if (bare !== undefined && want(bare)) return '';
    let found: string | undefined;
    for (const [name, st] of states) {
      if (!want(st)) continue;
      if (found !== undefined) return '';
      found = name;
    }
    return found ?? '';
  };

  const close = (st: InstState): void => {
    if (st.priHeader !== undefined) {
      report('warning', 'TRUNCATED_RECORD', st.priHeader.lines[0] ?? 0, 'PRI request header with no `sid 0x...: [...] ... access at iova 0x...` line after it');
      st.priHeader = undefined;
    }
    const p = st.pending;
    if (p === undefined) return;
    st.pending = undefined;
    if (p.kind === 'event' && p.rec.raw.length < 4) {
      p.rec.truncated = true;
      report('warning', 'TRUNCATED_RECORD', p.rec.lines[0] ?? 0, `event record has ${p.rec.raw.length} of 4 dwords; kept as truncated`);
    } else if (p.kind === 'cmd' && (p.rec.command?.length ?? 0) < 2) {
      p.rec.commandTruncated = true;
      report('warning', 'TRUNCATED_RECORD', p.rec.lines[0] ?? 0, `skipped command has ${p.rec.command?.length ?? 0} of 2 dwords; kept as truncated`);
    }
  };

  /** A later line can still change the record: it is collecting dwords, or the last of its instance. */
  const isOpen = (rec: TraceRecord): boolean => {
    if (short?.rec === rec) return true;
    for (const st of states.values()) if (st.last === rec || st.pending?.rec === rec) return true;
    return false;
  };

  const emit = (rec: TraceRecord): void => {
    tidy(rec);
    emitted++;
    emittedInstances.add(rec.instance);
    (sink as (r: TraceRecord) => void)(rec);
  };

  /** Streaming: hand over the finished records at the head of the queue (input order kept). */
  const flush = (): void => {
    while (head < records.length) {
      const rec = records[head] as TraceRecord;
      if (isOpen(rec)) {
        if (records.length - head <= window) break;
        // Seal the oldest open record so memory stays bounded whatever the log does.
        for (const st of states.values()) {
          if (st.pending?.rec === rec) close(st);
          if (st.last === rec) st.last = undefined;
        }
        if (short?.rec === rec) short = undefined;
      }
      records[head++] = undefined as unknown as TraceRecord;
      emit(rec);
    }
    if (head > 1024 && head * 2 > records.length) {
      records = records.slice(head);
      head = 0;
    }
  };

  const add = (rec: TraceRecord): void => {
    records.push(rec);
    created++;
    if (sink !== undefined) flush();
  };

  const push = (st: InstState, rec: TraceRecord): void => {
    st.last = rec;
    add(rec);
  };

  const extend = (rec: TraceRecord, lineNos: number | readonly number[]): void => {
    if (typeof lineNos === 'number') rec.lines.push(lineNos);
    else rec.lines.push(...lineNos);
    touches++;
  };

  const base = (ll: LogLine, instance: string, lineNos: number[]): { instance: string; lines: number[]; timestamp?: string } => {
    const ts = ownTs(ll);
    return ts !== undefined ? { instance, lines: [...lineNos], timestamp: ts } : { instance, lines: [...lineNos] };
  };

  /** A message of the line's own SMMU (its dev_printk device) that starts or ends a record there: the open one is closed. */
  const own = (ll: LogLine): InstState => {
    const st = state(ll.device ?? '');
    close(st);
    return st;
  };
  const ownBase = (ll: LogLine, lineNos: number[]): { instance: string; lines: number[]; timestamp?: string } => base(ll, ll.device ?? '', lineNos);

  const hasPending = (s: InstState): boolean => s.pending !== undefined;
  const wantsPri = (s: InstState): boolean => s.priHeader !== undefined;
  const wantsText = (s: InstState): boolean => s.last?.kind === 'event' && s.last.logged === undefined;
  const wantsFlags = (s: InstState): boolean => s.last?.kind === 'event' && s.last.logged !== undefined && s.last.logged.flags === undefined;
  const bad = (msg: string, ln: number, what: string): Outcome => {
    report('error', 'UNPARSEABLE', ln, `cannot parse ${what}: "${printable(msg)}"`);
    return 'done';
  };
  const scratch = newLogLine();

  /** One line (or several joined), then whatever was glued after a complete message. */
  const process = (src: string, from: number, to: number, at: number | number[], joins: number): void => {
    processOne(src, from, to, at, joins);
    while (glued !== undefined) {
      const g: string = glued;
      glued = undefined;
      processOne(g, 0, g.length, at, MAX_JOINS);
    }
  };

  /** The record waiting for a dword from this line's instance, if any. */
  const pendingFor = (ll: LogLine): InstState['pending'] => {
    const inst = ll.device ?? resolve(ll, hasPending);
    const p = states.get(inst)?.pending;
    return p !== undefined && (ll.device !== undefined || p.rec.instance === '') ? p : undefined;
  };

  const processOne = (src: string, from: number, to: number, at: number | number[], joins: number): void => {
    // The scratch object is reused: every use of `ll` happens before the next scan.
    const ll = scanLogLine(src, scratch, from, to);
    if (ll.driver !== undefined && !ll.smmu) return; // another device's message
    const ln = typeof at === 'number' ? at : (at[0] ?? 0);
    let dw = parseDwordLine(src, ll.start, to);
    /** The dword came from parseDwordLine (its digit count is known). */
    const plain = dw !== undefined;
    let damage: string | undefined;
    if (dw === undefined) {
      const loose = parseDwordLoose(src, ll.start, to);
      if (loose?.kind === 'split') {
        dw = loose.value;
        report('note', 'DWORD_JOINED', ln, 'dword split across two tokens; joined');
      } else if (loose?.kind === 'damaged' && pendingFor(ll) !== undefined) {
        dw = 0n;
        damage = loose.reason;
      }
    }
    if (dw !== undefined) {
      const inst = ll.device ?? resolve(ll, hasPending);
      const st = states.get(inst) ?? state(inst);
      const p = st.pending;
      if (p === undefined) {
        report('warning', 'ORPHAN_DWORD', ln, 'dword line with no open `event 0x.. received:` or `skipping command` header');
        return;
      }
      // A bare dword never fills a slot of a record whose lines carry a device prefix: it could
      // belong to anything, and a wrong dword would shift the rest into the wrong slots.
      if (ll.device === undefined && p.rec.instance !== '') {
        report('warning', 'ORPHAN_DWORD', ln, `dword line without the device prefix of the open ${p.rec.instance} record; not used`);
        return;
      }
      extend(p.rec, at);
      const slots = p.kind === 'event' ? p.rec.raw : (p.rec.command ??= []);
      const index = slots.length;
      slots.push(dw);
      if (slots.length === (p.kind === 'event' ? 4 : 2)) st.pending = undefined;
      if (damage !== undefined) {
        markDamaged(p.rec, index);
        report(
          'warning',
          'DAMAGED_DWORD',
          ln,
          `dword ${index} of the ${p.kind === 'event' ? 'event record' : 'skipped command'} is damaged (${printable(damage, 60)}); slot kept, value not trusted`,
        );
      } else if (plain && lastDwordDigits() < 16) {
        const digits = shortDigits(src, ll.start, to);
        if (digits !== undefined) short = { rec: p.rec, index, digits, ln };
      }
      return;
    }
    // Trim without an intermediate slice.
    let a = ll.start;
    let b = to;
    while (a < b && isWs(src.charCodeAt(a))) a++;
    while (b > a && isWs(src.charCodeAt(b - 1))) b--;
    if (a === b) return;
    const msg = src.slice(a, b);
    const lineNos = typeof at === 'number' ? [at] : at;
    const r = dispatch(ll, msg, lineNos);
    if (r === 'partial') {
      glued = undefined;
      if (joins < MAX_JOINS) carry = { text: src.slice(from, to).trimEnd(), lineNos, joins };
      else report('error', 'UNPARSEABLE', ln, `SMMU message ends early even after joining wrapped lines: "${printable(msg)}"`);
    }
  };

  /** Handle one message; text glued after a complete message is left in `glued`. */
  const dispatch = (ll: LogLine, msg: string, lineNos: number[]): Outcome => {
    const ln = lineNos[0] ?? 0;
    const c0 = msg.charCodeAt(0);
    if (msg.startsWith('event 0x')) {
      const st = own(ll);
      let k = 8;
      let type = 0;
      while (k < msg.length && isHexCode(msg.charCodeAt(k))) {
        const c = msg.charCodeAt(k);
        type = type * 16 + (c <= 57 ? c - 48 : (c | 32) - 87);
        k++;
      }
      if (k === 8) return msg.length === 8 ? 'partial' : bad(msg, ln, 'event header');
      if (!msg.startsWith(' received:', k)) return ' received:'.startsWith(msg.slice(k)) ? 'partial' : bad(msg, ln, 'event header');
      const rec: EventRecord = {
        kind: 'event',
        instance: ll.device ?? '',
        lines: [...lineNos],
        timestamp: ownTs(ll),
        raw: [],
        // Exact below 2^53 (13 digits); parseInt's rounding beyond that.
        truncated: undefined,
        headerType: k - 8 <= 13 ? type : parseInt(msg.slice(8, k), 16),
        logged: undefined,
        known: undefined,
        collapsed: undefined,
      };
      push(st, rec);
      st.pending = { rec, kind: 'event' };
      if (k + 10 < msg.length) {
        const rest = msg.slice(k + 10).trim();
        if (rest !== '') glued = rest;
      }
      return 'done';
    }
    if (msg.startsWith('event: ')) {
      const r = parseDecodedHead(msg);
      if (r.status === 'partial') return 'partial';
      if (r.status === 'bad') return bad(msg, ln, `decoded event line (${r.message})`);
      const inst = resolve(ll, wantsText);
      const st = state(inst);
      close(st);
      const last = st.last;
      const v = r.value;
      const logged: LoggedEvent = {
        name: v.name,
        client: v.client,
        sid: v.sid,
        ssid: v.ssid,
        iova: v.iova,
        ipa: v.ipa,
        fetchAddr: v.fetchAddr,
        flags: undefined,
        textLines: [...lineNos],
      };
      if (last !== undefined && last.kind === 'event' && last.logged === undefined && last.known === undefined) {
        last.logged = logged;
        extend(last, lineNos);
      } else {
        const { raw, known } = rawFromLogged(logged);
        push(st, { kind: 'event', ...base(ll, inst, lineNos), raw, known, logged });
        report('note', 'DECODED_WITHOUT_RAW', ln, 'decoded event line without its raw dump; record built from the text');
      }
      if (r.rest !== '') glued = r.rest;
      return 'done';
    }
    if (isFlagsLine(msg)) {
      const r = parseFlags(msg);
      if (r.status === 'partial') return 'partial';
      if (r.status === 'bad') return bad(msg, ln, `event flags line (${r.message})`);
      const inst = resolve(ll, wantsFlags);
      const last = state(inst).last;
      if (last?.kind === 'event' && last.logged !== undefined && last.logged.flags === undefined) {
        last.logged.flags = r.value;
        last.logged.textLines.push(...lineNos);
        extend(last, lineNos);
        if (last.known !== undefined) {
          const { raw, known } = rawFromLogged(last.logged);
          last.raw = raw;
          last.known = known;
        }
      } else report('warning', 'ORPHAN_FLAGS', ln, 'event flags line with no decoded `event:` line before it');
      if (r.rest !== '') glued = r.rest;
      return 'done';
    }
    if (c0 === 67 /* C */) {
      if (msg.startsWith('CMDQ error')) {
        const v = parseCmdqErrorLine(msg);
        if (v === 'partial') return 'partial';
        if (v === undefined) return bad(msg, ln, 'CMDQ error line');
        const st = own(ll);
        push(st, { kind: 'cmdq_error', ...ownBase(ll, lineNos), ...v });
        if (v.reason !== cerrorReason(v.cerror)) {
          report('warning', 'REASON_MISMATCH', ln, `CONS.ERR = ${v.cerror} means "${cerrorReason(v.cerror)}" but the line says "${printable(v.reason)}"`);
        }
        return 'done';
      }
      if (msg.startsWith('CMD_SYNC timeout')) {
        const v = msg === XEN_SYNC_TIMEOUT && isXenPrefix(ll.driver, ll.device) ? {} : parseSyncTimeout(msg);
        if (v === 'partial') return 'partial';
        if (v === undefined) return bad(msg, ln, 'CMD_SYNC timeout line');
        const st = own(ll);
        push(st, { kind: 'sync_timeout', ...ownBase(ll, lineNos), ...v });
        return 'done';
      }
      if (msg === 'CMDQ timeout') {
        const st = own(ll);
        push(st, { kind: 'cmdq_timeout', ...ownBase(ll, lineNos) });
        return 'done';
      }
    }
    if (msg === XEN_CONVERT_FAILED) {
      // Xen: the skipped command could not be turned into a CMD_SYNC; ends its CMDQ error.
      const st = own(ll);
      const last = st.last;
      if (last?.kind === 'cmdq_error' && last.command !== undefined && !last.unconverted) {
        extend(last, lineNos);
        last.unconverted = true;
      } else report('warning', 'ORPHAN_CMDQ_LINE', ln, `"${msg}" with no skipped command (\`skipping command in error state:\` and its dwords) before it`);
      return 'done';
    }
    if (msg === 'skipping command in error state:' || msg === 'retrying command fetch') {
      const st = own(ll);
      const last = st.last;
      let rec: CmdqErrorRecord;
      if (last?.kind === 'cmdq_error' && last.command === undefined && last.retrying === undefined) {
        rec = last;
        extend(rec, lineNos);
      } else {
        report('warning', 'ORPHAN_CMDQ_LINE', ln, `"${msg}" with no \`CMDQ error (cons ...)\` line before it`);
        rec = { kind: 'cmdq_error', ...ownBase(ll, lineNos), cerror: msg.startsWith('retrying') ? 2 : 1, reason: '' };
        push(st, rec);
      }
      if (msg.startsWith('skipping')) {
        rec.command = [];
        st.pending = { rec, kind: 'cmd' };
      } else if (msg.startsWith('retrying')) rec.retrying = true;
      return 'done';
    }
    if (msg === PRI_HEADER) {
      const st = own(ll);
      const ts = ownTs(ll);
      st.priHeader = ts !== undefined ? { lines: [...lineNos], timestamp: ts } : { lines: [...lineNos] };
      touches++; // the header line is used (by the record its request line completes)
      return 'done';
    }
    if (looksLikePriRequest(msg)) {
      const v = parsePriRequest(msg);
      if (v === undefined) return bad(msg, ln, 'PRI request line (`sid 0x%08x.0x%05x: [%u%s] %sprivileged %s%s%s access at iova 0x%016llx`)');
      const inst = ll.device ?? resolve(ll, wantsPri);
      const st = state(inst);
      const h = st.priHeader;
      st.priHeader = undefined;
      close(st);
      if (h === undefined) report('warning', 'ORPHAN_PRI_LINE', ln, 'PRI request line with no `unexpected PRI request received:` line before it');
      const b = base(ll, inst, h !== undefined ? [...h.lines, ...lineNos] : lineNos);
      if (h?.timestamp !== undefined) b.timestamp = h.timestamp;
      push(st, { kind: 'pri', ...b, ...v });
      return 'done';
    }
    if (msg.startsWith('EVTQ overflow detected') || msg.startsWith('PRIQ overflow detected')) {
      const st = own(ll);
      push(st, { kind: 'overflow', ...ownBase(ll, lineNos), queue: msg.startsWith('EVTQ') ? 'evtq' : 'priq' });
      return 'done';
    }
    if (msg.startsWith('unexpected global error')) {
      const v = parseGerrorLine(msg);
      if (v === 'partial') return 'partial';
      if (v === undefined) return bad(msg, ln, 'GERROR line');
      const st = own(ll);
      push(st, { kind: 'gerror', ...ownBase(ll, lineNos), active: v.active, causes: [] });
      return 'done';
    }
    const cause = GERROR_CAUSE_BY_TEXT.get(msg);
    if (cause !== undefined) {
      const st = own(ll);
      const last = st.last;
      let rec: GerrorRecord;
      if (last?.kind === 'gerror') {
        rec = last;
        extend(rec, lineNos);
      } else {
        rec = { kind: 'gerror', ...ownBase(ll, lineNos), causes: [] };
        push(st, rec);
        report('note', 'GERROR_CAUSE_WITHOUT_HEADER', ln, `"${msg}" with no \`unexpected global error\` line before it`);
      }
      rec.causes.push(cause);
      return 'done';
    }
    if (msg.endsWith('callbacks suppressed')) {
      const colon = msg.indexOf(': ');
      const func = colon > 0 ? msg.slice(0, colon) : '';
      const count = colon > 0 ? parseInt(msg.slice(colon + 2), 10) : NaN;
      if (!(ll.smmu || func.includes('smmu'))) return 'done';
      if (!Number.isFinite(count)) return bad(msg, ln, 'rate-limit line');
      const inst = ll.device ?? '';
      add({ kind: 'suppressed', ...base(ll, inst, lineNos), count, func });
      return 'done';
    }
    if (ll.smmu) {
      if (looksLikeRecordStart(msg)) return bad(msg, ln, 'SMMU message');
      if (smmuLooking(msg) === 'record') {
        report('error', 'DROPPED_SMMU_LINE', ln, `SMMU line looks like record output in a form this importer does not know: "${printable(msg, 100)}"`);
        return 'done';
      }
      report('note', 'UNRECOGNISED_SMMU_LINE', ln, `SMMU line is not a trace record: "${printable(msg, 80)}"`);
    } else if (looksLikeRecordStart(msg)) return bad(msg, ln, 'SMMU message');
    return 'done';
  };

  /** Lines that were neither used nor reported but look like SMMU output: never silent. */
  const account = (s: string, from: number, to: number, n: number, changed: boolean, reported: boolean): void => {
    if (changed) used++;
    if (changed || reported || carry?.lineNos.includes(n)) return;
    const text = s.slice(from, to);
    const looks = smmuLooking(text);
    if (looks === undefined) return;
    if (looks === 'record')
      report('error', 'DROPPED_SMMU_LINE', n, `line looks like SMMU record output but no record could use it: "${printable(text.trim(), 100)}"`);
    else report('note', 'SMMU_LINE_NOT_A_RECORD', n, `line mentions an SMMU but carries no record: "${printable(text.trim(), 100)}"`);
  };

  const line = (s0: string, from0: number, to0: number): void => {
    ln++;
    let s = s0;
    let from = from0;
    let to = to0;
    if (s0 !== lastSrc) {
      lastSrc = s0;
      lastSrcHasEscape = s0.indexOf('\x1b') >= 0 || s0.indexOf('\x9b') >= 0;
    }
    if (lastSrcHasEscape) {
      s = stripAnsi(s0.slice(from0, to0));
      from = 0;
      to = s.length;
    }
    const r0 = created + touches;
    const d0 = reports;
    if (short !== undefined) {
      const sh = short;
      short = undefined;
      const ll = splitLogLine(s.slice(from, to));
      const tail = !ll.startsMessage && ll.device === undefined ? hexTail(ll.payload, 0, ll.payload.length) : undefined;
      if (tail !== undefined) {
        // A dword a mail client wrapped: join when the halves make exactly 16 digits, else damaged.
        extend(sh.rec, [ln]);
        const slots = sh.rec.kind === 'event' ? sh.rec.raw : (sh.rec.command ?? []);
        if (sh.digits.length + tail.length === 16) {
          slots[sh.index] = BigInt(`0x${sh.digits}${tail}`);
          report('note', 'DWORD_JOINED', ln, `dword ${sh.index} wrapped after ${sh.digits.length} digits; joined with this line`);
        } else {
          slots[sh.index] = 0n;
          markDamaged(sh.rec, sh.index);
          report(
            'warning',
            'DAMAGED_DWORD',
            sh.ln,
            `dword ${sh.index} wrapped into ${sh.digits.length} + ${tail.length} hex digits, not 16; slot kept, value not trusted`,
          );
        }
        used++;
        return;
      }
    }
    if (carry !== undefined) {
      const c = carry;
      carry = undefined;
      const ll = splitLogLine(s.slice(from, to));
      const cont = ll.payload.trim();
      // A value wrapped onto its own line looks like a dword: join it only after a `name:`.
      const valueWanted = c.text.endsWith(':');
      if (!ll.startsMessage && cont !== '' && (valueWanted || parseDwordLine(ll.payload) === undefined) && !startsKnownMessage(cont)) {
        const joined = `${c.text} ${cont}`;
        process(joined, 0, joined.length, [...c.lineNos, ln], c.joins + 1);
        const ok = created + touches !== r0 || reports !== d0;
        if (ok && carry === undefined) used += c.lineNos.length;
        account(s, from, to, ln, created + touches !== r0, reports !== d0);
        return;
      }
      report('error', 'UNPARSEABLE', c.lineNos[0] ?? 0, `SMMU message ends early: "${printable(splitLogLine(c.text).payload.trim())}"`);
    }
    const d1 = reports;
    process(s, from, to, ln, 0);
    account(s, from, to, ln, created + touches !== r0, reports !== d1);
  };

  const finish = (): Trace => {
    if (carry !== undefined)
      report('error', 'UNPARSEABLE', carry.lineNos[0] ?? 0, `SMMU message ends early at end of input: "${printable(splitLogLine(carry.text).payload.trim())}"`);
    carry = undefined;
    for (const st of states.values()) {
      close(st);
      st.last = undefined;
    }
    short = undefined;
    diagnostics.sort((a, b) => a.line - b.line);
    const stats = { lines: ln, used, reported: reportedLines };
    if (sink !== undefined) {
      flush();
      return {
        format: 'dmesg',
        instances: [...emittedInstances].sort(),
        records: [],
        recordCount: emitted,
        diagnostics,
        totals: totalsOf(diagnostics),
        stats,
      };
    }
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as TraceRecord;
      tidy(r);
      // Arrays grown by push keep spare capacity: exact-size copies take about half the memory.
      if (r.kind === 'event') {
        records[i] = {
          ...r,
          lines: r.lines.slice(),
          raw: r.raw.slice(),
          ...(r.logged !== undefined ? { logged: { ...r.logged, textLines: r.logged.textLines.slice() } } : {}),
        };
      }
    }
    return { format: 'dmesg', instances: instancesOf(records), records, diagnostics, totals: totalsOf(diagnostics), stats };
  };

  return { line, finish };
}
