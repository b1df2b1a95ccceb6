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
import { cerrorReason } from '../linux/messages.ts';
import { CAUSE_BY_TEXT, ascending, isHexCode, isWs, looksLikeRecordStart, normaliseLines, parseSyncTimeout, startsKnownMessage } from './dmesg-msg.ts';
import { isFlagsLine, parseDecodedHead, parseFlags } from '../linux/decoded-lines.ts';
import { rawFromLogged } from './logged.ts';
import { type LogLine, newLogLine, parseDwordLine, scanLogLine, splitLogLine, tsOf } from '../linux/log-line.ts';
import {
  type CmdqErrorRecord, type EventRecord, type GerrorRecord, type LoggedEvent, type Trace, type TraceDiagnostic, type TraceRecord,
  diag, instancesOf,
} from './types.ts';

interface InstState {
  /** Record collecting dwords. */
  pending: { rec: EventRecord; kind: 'event' } | { rec: CmdqErrorRecord; kind: 'cmd' } | undefined;
  /** Most recent record of this instance. */
  last: TraceRecord | undefined;
}

const MAX_JOINS = 3;

type Outcome = 'done' | 'partial';

export function importDmesg(text: string): Trace {
  const records: TraceRecord[] = [];
  const diagnostics: TraceDiagnostic[] = [];
  const states = new Map<string, InstState>();
  let carry: { text: string; lineNos: number[]; joins: number } | undefined;

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
    const p = st.pending;
    if (p === undefined) return;
    st.pending = undefined;
    if (p.kind === 'event' && p.rec.raw.length < 4) {
      p.rec.truncated = true;
      diag(diagnostics, 'warning', 'TRUNCATED_RECORD', p.rec.lines[0] ?? 0, `event record has ${p.rec.raw.length} of 4 dwords; kept as truncated`);
    } else if (p.kind === 'cmd' && (p.rec.command?.length ?? 0) < 2) {
      p.rec.commandTruncated = true;
      diag(diagnostics, 'warning', 'TRUNCATED_RECORD', p.rec.lines[0] ?? 0, `skipped command has ${p.rec.command?.length ?? 0} of 2 dwords; kept as truncated`);
    }
  };

  const push = (st: InstState, rec: TraceRecord): void => {
    records.push(rec);
    st.last = rec;
  };

  const base = (ll: LogLine, instance: string, lineNos: number[]): { instance: string; lines: number[]; timestamp?: string } => {
    const ts = tsOf(ll);
    return ts !== undefined ? { instance, lines: [...lineNos], timestamp: ts } : { instance, lines: [...lineNos] };
  };

  const hasPending = (s: InstState): boolean => s.pending !== undefined;
  const wantsText = (s: InstState): boolean => s.last?.kind === 'event' && s.last.logged === undefined;
  const wantsFlags = (s: InstState): boolean => s.last?.kind === 'event' && s.last.logged !== undefined && s.last.logged.flags === undefined;
  const bad = (msg: string, ln: number, what: string): Outcome => {
    diag(diagnostics, 'error', 'UNPARSEABLE', ln, `cannot parse ${what}: "${msg}"`);
    return 'done';
  };
  const scratch = newLogLine();

  /** One line (or several joined): `at` is its line number, or the numbers of joined lines. */
  const process = (src: string, from: number, to: number, at: number | number[], joins: number): void => {
    // The scratch object is reused: every use of `ll` happens before any recursive call.
    const ll = scanLogLine(src, scratch, from, to);
    if (ll.driver !== undefined && !ll.smmu) return; // another device's message
    const ln = typeof at === 'number' ? at : (at[0] ?? 0);
    const dw = parseDwordLine(src, ll.start, to);
    if (dw !== undefined) {
      const inst = ll.device ?? resolve(ll, hasPending);
      const st = states.get(inst) ?? state(inst);
      const p = st.pending;
      if (p === undefined) {
        if (ll.smmu) diag(diagnostics, 'warning', 'ORPHAN_DWORD', ln, 'dword line with no open `event 0x.. received:` or `skipping command` header');
        return;
      }
      if (typeof at === 'number') p.rec.lines.push(at);
      else p.rec.lines.push(...at);
      if (p.kind === 'event') {
        p.rec.raw.push(dw);
        if (p.rec.raw.length === 4) st.pending = undefined;
      } else {
        (p.rec.command ??= []).push(dw);
        if (p.rec.command.length === 2) st.pending = undefined;
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
      if (joins < MAX_JOINS) carry = { text: src.slice(from, to).replace(/\s+$/, ''), lineNos, joins };
      else diag(diagnostics, 'error', 'UNPARSEABLE', ln, `SMMU message ends early even after joining wrapped lines: "${msg}"`);
    }
  };

  /** Handle one message; re-feeds text glued after a complete message. */
  const dispatch = (ll: LogLine, msg: string, lineNos: number[]): Outcome => {
    const ln = lineNos[0] ?? 0;
    const c0 = msg.charCodeAt(0);
    if (msg.startsWith('event 0x')) {
      const st = state(ll.device ?? '');
      close(st);
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
        kind: 'event', instance: ll.device ?? '', lines: [...lineNos], timestamp: tsOf(ll), raw: [],
        // Exact below 2^53 (13 digits); parseInt's rounding beyond that.
        truncated: undefined, headerType: k - 8 <= 13 ? type : parseInt(msg.slice(8, k), 16), logged: undefined, known: undefined, collapsed: undefined,
      };
      push(st, rec);
      st.pending = { rec, kind: 'event' };
      if (k + 10 < msg.length) {
        const rest = msg.slice(k + 10).trim();
        if (rest !== '') process(rest, 0, rest.length, lineNos, MAX_JOINS);
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
      const logged: LoggedEvent = { name: v.name, client: v.client, sid: v.sid, ssid: v.ssid, iova: v.iova, ipa: v.ipa, fetchAddr: v.fetchAddr, flags: undefined, textLines: [...lineNos] };
      if (last !== undefined && last.kind === 'event' && last.logged === undefined && last.known === undefined) {
        last.logged = logged;
        last.lines.push(...lineNos);
      } else {
        const { raw, known } = rawFromLogged(logged);
        push(st, { kind: 'event', ...base(ll, inst, lineNos), raw, known, logged });
        diag(diagnostics, 'note', 'DECODED_WITHOUT_RAW', ln, 'decoded event line without its raw dump; record built from the text');
      }
      if (r.rest !== '') process(r.rest, 0, r.rest.length, lineNos, MAX_JOINS);
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
        last.lines.push(...lineNos);
        if (last.known !== undefined) {
          const { raw, known } = rawFromLogged(last.logged);
          last.raw = raw;
          last.known = known;
        }
      } else diag(diagnostics, 'warning', 'ORPHAN_FLAGS', ln, 'event flags line with no decoded `event:` line before it');
      if (r.rest !== '') process(r.rest, 0, r.rest.length, lineNos, MAX_JOINS);
      return 'done';
    }
    if (c0 === 67 /* C */) {
      if (msg.startsWith('CMDQ error')) {
        const pre = 'CMDQ error (cons 0x';
        if (pre.startsWith(msg)) return 'partial';
        if (!msg.startsWith(pre)) return bad(msg, ln, 'CMDQ error line');
        let k = pre.length;
        while (k < msg.length && isHexCode(msg.charCodeAt(k))) k++;
        if (k === msg.length) return 'partial';
        const sep = msg.slice(k, k + 3);
        if (sep.length < 3 && '): '.startsWith(sep)) return 'partial';
        if (k === pre.length || sep !== '): ') return bad(msg, ln, 'CMDQ error line');
        const cons = parseInt(msg.slice(pre.length, k), 16) >>> 0;
        const reason = msg.slice(k + 3);
        const cerror = (cons >>> 24) & 0x7f;
        const st = state(ll.device ?? '');
        close(st);
        push(st, { kind: 'cmdq_error', ...base(ll, ll.device ?? '', lineNos), cons, cerror, reason });
        if (reason !== cerrorReason(cerror)) {
          diag(diagnostics, 'warning', 'REASON_MISMATCH', ln, `CONS.ERR = ${cerror} means "${cerrorReason(cerror)}" but the line says "${reason}"`);
        }
        return 'done';
      }
      if (msg.startsWith('CMD_SYNC timeout')) {
        const v = parseSyncTimeout(msg);
        if (v === 'partial') return 'partial';
        if (v === undefined) return bad(msg, ln, 'CMD_SYNC timeout line');
        const st = state(ll.device ?? '');
        close(st);
        push(st, { kind: 'sync_timeout', ...base(ll, ll.device ?? '', lineNos), ...v });
        return 'done';
      }
      if (msg === 'CMDQ timeout') {
        const st = state(ll.device ?? '');
        close(st);
        push(st, { kind: 'cmdq_timeout', ...base(ll, ll.device ?? '', lineNos) });
        return 'done';
      }
    }
    if (msg === 'skipping command in error state:' || msg === 'retrying command fetch' || msg === 'failed to convert to CMD_SYNC') {
      const st = state(ll.device ?? '');
      close(st);
      const last = st.last;
      let rec: CmdqErrorRecord;
      if (last?.kind === 'cmdq_error' && last.command === undefined && last.retrying === undefined) {
        rec = last;
        rec.lines.push(...lineNos);
      } else {
        diag(diagnostics, 'warning', 'ORPHAN_CMDQ_LINE', ln, `"${msg}" with no \`CMDQ error (cons ...)\` line before it`);
        rec = { kind: 'cmdq_error', ...base(ll, ll.device ?? '', lineNos), cerror: msg.startsWith('retrying') ? 2 : 1, reason: '' };
        push(st, rec);
      }
      if (msg.startsWith('skipping')) {
        rec.command = [];
        st.pending = { rec, kind: 'cmd' };
      } else if (msg.startsWith('retrying')) rec.retrying = true;
      return 'done';
    }
    if (msg.startsWith('EVTQ overflow detected') || msg.startsWith('PRIQ overflow detected')) {
      const st = state(ll.device ?? '');
      close(st);
      push(st, { kind: 'overflow', ...base(ll, ll.device ?? '', lineNos), queue: msg.startsWith('EVTQ') ? 'evtq' : 'priq' });
      return 'done';
    }
    if (msg.startsWith('unexpected global error')) {
      const pre = 'unexpected global error reported (0x';
      if (pre.startsWith(msg)) return 'partial';
      if (!msg.startsWith(pre)) return bad(msg, ln, 'GERROR line');
      let k = pre.length;
      while (k < msg.length && isHexCode(msg.charCodeAt(k))) k++;
      const tail = msg.slice(k);
      const want = '), this could be serious';
      if (k === pre.length) return k === msg.length ? 'partial' : bad(msg, ln, 'GERROR line');
      if (!tail.startsWith(want)) return want.startsWith(tail) ? 'partial' : bad(msg, ln, 'GERROR line');
      const st = state(ll.device ?? '');
      close(st);
      push(st, { kind: 'gerror', ...base(ll, ll.device ?? '', lineNos), active: parseInt(msg.slice(pre.length, k), 16) >>> 0, causes: [] });
      return 'done';
    }
    const cause = CAUSE_BY_TEXT.get(msg);
    if (cause !== undefined) {
      const st = state(ll.device ?? '');
      close(st);
      const last = st.last;
      let rec: GerrorRecord;
      if (last?.kind === 'gerror') {
        rec = last;
        rec.lines.push(...lineNos);
      } else {
        rec = { kind: 'gerror', ...base(ll, ll.device ?? '', lineNos), causes: [] };
        push(st, rec);
        diag(diagnostics, 'note', 'GERROR_CAUSE_WITHOUT_HEADER', ln, `"${msg}" with no \`unexpected global error\` line before it`);
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
      records.push({ kind: 'suppressed', ...base(ll, inst, lineNos), count, func });
      return 'done';
    }
    if (ll.smmu) {
      if (looksLikeRecordStart(msg)) return bad(msg, ln, 'SMMU message');
      diag(diagnostics, 'note', 'UNRECOGNISED_SMMU_LINE', ln, `SMMU line is not a trace record: "${msg.length > 80 ? `${msg.slice(0, 80)}...` : msg}"`);
    } else if (looksLikeRecordStart(msg)) return bad(msg, ln, 'SMMU message');
    return 'done';
  };

  let pos = 0;
  let ln = 0;
  const total = text.length;
  while (pos <= total) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = total;
    let end = nl;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--;
    const from = pos;
    pos = nl + 1;
    ln++;
    if (nl === total && from === total) break; // no line after a final newline
    if (carry !== undefined) {
      const c = carry;
      carry = undefined;
      const ll = splitLogLine(text.slice(from, end));
      const cont = ll.payload.trim();
      // A value wrapped onto its own line looks like a dword: join it only after a `name:`.
      const valueWanted = c.text.endsWith(':');
      if (!ll.startsMessage && cont !== '' && (valueWanted || parseDwordLine(ll.payload) === undefined) && !startsKnownMessage(cont)) {
        const joined = `${c.text} ${cont}`;
        process(joined, 0, joined.length, [...c.lineNos, ln], c.joins + 1);
        continue;
      }
      diag(diagnostics, 'error', 'UNPARSEABLE', c.lineNos[0] ?? 0, `SMMU message ends early: "${splitLogLine(c.text).payload.trim()}"`);
    }
    process(text, from, end, ln, 0);
  }
  if (carry !== undefined) diag(diagnostics, 'error', 'UNPARSEABLE', carry.lineNos[0] ?? 0, `SMMU message ends early at end of input: "${splitLogLine(carry.text).payload.trim()}"`);
  for (const st of states.values()) close(st);
  for (const r of records) {
    if (!ascending(r.lines)) normaliseLines(r.lines);
    if (r.kind === 'event' && r.logged && !ascending(r.logged.textLines)) normaliseLines(r.logged.textLines);
  }
  diagnostics.sort((a, b) => a.line - b.line);
  return { format: 'dmesg', instances: instancesOf(records), records, diagnostics };
}
