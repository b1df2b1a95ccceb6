/**
 * Parsers for the v6.14+ decoded event lines (reference linux-smmuv3-iommufd.md §7.1):
 *
 *   event: F_TRANSLATION client: 0000:01:00.0 sid: 0x8 ssid: 0 iova: 0x1000 ipa: 0
 *   unpriv data read s1 "Input address caused fault" stag: 0
 *
 * Cursor based (no backtracking regexes). Each parser answers 'ok' (with the text left over when
 * the next message was glued on — the format strings have no trailing newline), 'partial' (the
 * line ends early: a mail client may have wrapped it) or 'bad'.
 */
import { LINUX_CLASS_TEXT, LINUX_EVENT_NAMES, linuxLogsFetchAddr } from './messages.ts';
import { isTranslationFault } from './event-view.ts';
import { intern, isHexCode } from './log-line.ts';

/** The v6.14+ flags line: `unpriv data read s1 "Input address caused fault"[ ttd_read][ stall] stag: 0`. */
export interface LoggedFlags {
  priv: boolean;
  inst: boolean;
  read: boolean;
  s2: boolean;
  classText: string;
  ttd?: 'read' | 'write' | undefined;
  stall: boolean;
  stag: bigint;
}

/** What a v6.14+ kernel printed in its decoded lines for one event. */
export interface LoggedEvent {
  name: string;
  client: string;
  sid: bigint;
  ssid: bigint;
  iova?: bigint | undefined;
  ipa?: bigint | undefined;
  fetchAddr?: bigint | undefined;
  flags?: LoggedFlags | undefined;
  /** Lines of the decoded text (also in `lines`). */
  textLines: number[];
}

export type ParseResult<T> = { status: 'ok'; value: T; rest: string } | { status: 'partial' } | { status: 'bad'; message: string };

const LINUX_TYPE_BY_NAME = new Map(Object.entries(LINUX_EVENT_NAMES).map(([k, v]) => [v, Number(k)]));

export function linuxTypeByName(name: string): number | undefined {
  return LINUX_TYPE_BY_NAME.get(name);
}

/** Starts of messages that may be glued after a value with no separator. */
const GLUE_MARKERS = ['[', 'arm-smmu', 'event', 'unpriv', 'priv', 'CMDQ', 'CMD_SYNC', 'EVTQ', 'PRIQ', 'skipping', 'retrying', 'unexpected', 'device has', '<'];

class Cursor {
  pos = 0;
  constructor(readonly s: string) {}
  get done(): boolean {
    return this.pos >= this.s.length;
  }
  /** Expect `lit` here; 'partial' if the text ends inside it or before it. */
  lit(lit: string): 'ok' | 'partial' | 'bad' {
    const end = this.s.length;
    const avail = Math.min(lit.length, end - this.pos);
    for (let i = 0; i < avail; i++) if (this.s.charCodeAt(this.pos + i) !== lit.charCodeAt(i)) return 'bad';
    if (avail < lit.length) return 'partial';
    this.pos += lit.length;
    return 'ok';
  }
  /** A run of non-space characters. */
  word(): string {
    const start = this.pos;
    while (this.pos < this.s.length && this.s.charCodeAt(this.pos) !== 32) this.pos++;
    return this.s.slice(start, this.pos);
  }
  /**
   * A `%#x` value (`0` or `0x<hex>`) that may be the last thing on the line, with another message
   * glued directly after it. Returns undefined if no value starts here.
   */
  value(last: boolean): bigint | undefined {
    const s = this.s;
    let end = this.pos;
    if (s.startsWith('0x', end)) {
      end += 2;
      while (end < s.length && isHexCode(s.charCodeAt(end))) end++;
      if (end === this.pos + 2) return undefined;
    } else if (s.charCodeAt(end) === 48) end++;
    else return undefined;
    if (last && end < s.length && s.charCodeAt(end) !== 32) {
      // Glued text: cut at the earliest known message start (markers contain non-hex letters).
      let cut = -1;
      // Only the value's own text can hold a cut (bounded: a glued line can be megabytes long).
      const win = s.slice(0, end + 16);
      for (const m of GLUE_MARKERS) {
        const i = win.indexOf(m, this.pos + 1);
        if (i >= 0 && i <= end && (cut < 0 || i < cut)) cut = i;
      }
      if (cut > this.pos) end = cut;
    }
    const start = this.pos;
    if (end - start === 2 && s.charCodeAt(start + 1) === 120) return undefined; // bare '0x'
    this.pos = end;
    // `0` or `0x` + up to 13 hex digits: exact as a number, no substring (hot: every decoded line).
    if (end - start <= 15) {
      let v = 0;
      for (let k = start + 2; k < end; k++) {
        const c = s.charCodeAt(k);
        v = v * 16 + (c <= 57 ? c - 48 : (c | 32) - 87);
      }
      return BigInt(v);
    }
    return BigInt(s.slice(start, end));
  }
  rest(): string {
    let p = this.pos;
    while (p < this.s.length && this.s.charCodeAt(p) === 32) p++;
    return p >= this.s.length ? '' : this.s.slice(p);
  }
}

function step<T>(r: 'ok' | 'partial' | 'bad', what: string): ParseResult<T> | undefined {
  if (r === 'ok') return undefined;
  return r === 'partial' ? { status: 'partial' } : { status: 'bad', message: `expected "${what}"` };
}

/** `event: NAME client: C sid: X ssid: Y[ iova: A ipa: B | fetch_addr: F]`. */
export function parseDecodedHead(text: string): ParseResult<Omit<LoggedEvent, 'textLines'>> {
  const c = new Cursor(text);
  let e = step<never>(c.lit('event: '), 'event: ');
  if (e) return e;
  const name = intern(c.word());
  if (c.done) return { status: 'partial' };
  if ((e = step(c.lit(' client: '), ' client: '))) return e;
  let client: string;
  if (text.charCodeAt(c.pos) === 40 /* ( */) {
    const close = text.indexOf(')', c.pos);
    if (close < 0) return { status: 'partial' };
    client = intern(text.slice(c.pos, close + 1));
    c.pos = close + 1;
  } else client = intern(c.word());
  if ((e = step(c.lit(' sid: '), ' sid: '))) return e;
  const sid = c.value(false);
  if (sid === undefined) return c.done ? { status: 'partial' } : { status: 'bad', message: 'bad sid value' };
  if ((e = step(c.lit(' ssid: '), ' ssid: '))) return e;
  const type = linuxTypeByName(name);
  const more = type !== undefined && (isTranslationFault(type) || linuxLogsFetchAddr(type));
  const ssid = c.value(!more);
  if (ssid === undefined) return c.done ? { status: 'partial' } : { status: 'bad', message: 'bad ssid value' };
  // Fixed shape (all keys, same order) keeps records on one hidden class: faster imports.
  const out: Omit<LoggedEvent, 'textLines'> = { name, client, sid, ssid, iova: undefined, ipa: undefined, fetchAddr: undefined, flags: undefined };
  if (type !== undefined && isTranslationFault(type)) {
    if ((e = step(c.lit(' iova: '), ' iova: '))) return e;
    const iova = c.value(false);
    if (iova === undefined) return c.done ? { status: 'partial' } : { status: 'bad', message: 'bad iova value' };
    if ((e = step(c.lit(' ipa: '), ' ipa: '))) return e;
    const ipa = c.value(true);
    if (ipa === undefined) return c.done ? { status: 'partial' } : { status: 'bad', message: 'bad ipa value' };
    out.iova = iova;
    out.ipa = ipa;
  } else if (type !== undefined && linuxLogsFetchAddr(type)) {
    if ((e = step(c.lit(' fetch_addr: '), ' fetch_addr: '))) return e;
    const fa = c.value(true);
    if (fa === undefined) return c.done ? { status: 'partial' } : { status: 'bad', message: 'bad fetch_addr value' };
    out.fetchAddr = fa;
  }
  return { status: 'ok', value: out, rest: c.rest() };
}

export function isFlagsLine(text: string): boolean {
  return text.startsWith('priv ') || text.startsWith('unpriv ');
}

/** `priv|unpriv inst|data read|write s1|s2 "CLASS"[ ttd_read| ttd_write][ stall] stag: X`. */
export function parseFlags(text: string): ParseResult<LoggedFlags> {
  const c = new Cursor(text);
  const words: string[] = [];
  for (let i = 0; i < 4; i++) {
    const w = c.word();
    if (c.done) return { status: 'partial' };
    words.push(w);
    c.pos++; // the space
  }
  const [p, d, r, s] = words as [string, string, string, string];
  if ((p !== 'priv' && p !== 'unpriv') || (d !== 'inst' && d !== 'data') || (r !== 'read' && r !== 'write') || (s !== 's1' && s !== 's2')) {
    return { status: 'bad', message: `unexpected access flags "${words.join(' ')}"` };
  }
  if (text.charCodeAt(c.pos) !== 34) return c.done ? { status: 'partial' } : { status: 'bad', message: 'expected a quoted class' };
  const close = text.indexOf('"', c.pos + 1);
  if (close < 0) return { status: 'partial' };
  const classIndex = LINUX_CLASS_TEXT.indexOf(text.slice(c.pos + 1, close));
  if (classIndex < 0) return { status: 'bad', message: `unknown class text "${text.slice(c.pos + 1, close)}"` };
  const classText = LINUX_CLASS_TEXT[classIndex] as string;
  c.pos = close + 1;
  const flags: LoggedFlags = { priv: p === 'priv', inst: d === 'inst', read: r === 'read', s2: s === 's2', classText, ttd: undefined, stall: false, stag: 0n };
  for (;;) {
    if (c.lit(' ttd_read') === 'ok') flags.ttd = 'read';
    else if (c.lit(' ttd_write') === 'ok') flags.ttd = 'write';
    else if (c.lit(' stall') === 'ok') flags.stall = true;
    else break;
  }
  const e = step<never>(c.lit(' stag: '), ' stag: ');
  if (e) return e;
  const stag = c.value(true);
  if (stag === undefined) return c.done ? { status: 'partial' } : { status: 'bad', message: 'bad stag value' };
  flags.stag = stag;
  return { status: 'ok', value: flags, rest: c.rest() };
}
