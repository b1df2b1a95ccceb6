/**
 * Find where an arm-smmu-v3 kernel message starts in one physical log line, whatever is in
 * front of it, and what that prefix says (timestamp, device). Prefix elements, alone or combined,
 * in any order (issue 15 item 1):
 *
 * - indentation (spaces, tabs), mail quote markers `>` / `|` (nested), footnote tags `[2]`;
 * - kernel `[   12.345678]` (also `[[`), `dmesg -T` `[Mon Jan 13 10:23:45 2025]`, caller ids
 *   `[T123]` / `[C3]`, vendor caller tags `[pid:123,cpu4,kworker]`, `(123,456)`, `(XEN)`;
 * - printk level `<3>`, `dmesg -x` `kern  :err   : `;
 * - journalctl short / short-precise / short-iso / short-monotonic and rsyslog RFC 3339 / BSD
 *   syslog headers ending in `host kernel: `;
 * - the dev_printk prefix `<driver> <device>: `, the bus name instead of the driver
 *   (`platform arm-smmu-v3.0.auto: `), a device trimmed to `arm-smmu-v3: `, Xen's
 *   `SMMUv3: /smmuv3@...: `.
 *
 * Anything else in front (a stray console character from another CPU, a shell prompt) is found
 * by searching the line for an SMMU device prefix, then for a known message start. Linear in the
 * line: charCodeAt loops bounded by the line end, no backtracking regexes. ANSI colour escapes are
 * removed before scanning (`stripAnsi`).
 */

export type TimestampKind = 'kernel' | 'dmesg-T' | 'iso' | 'syslog';

export interface LogLine {
  /** The whole physical line. */
  line: string;
  /** Timestamp text, trimmed (set by `splitLogLine`; see `tsOf` on hot paths). */
  ts: string | undefined;
  tsStart: number;
  tsEnd: number;
  tsKind: TimestampKind | undefined;
  /** Driver (or bus) and device of a dev_printk prefix. */
  driver: string | undefined;
  device: string | undefined;
  /** The prefix names an SMMU (arm-smmu-v3, SMMUv3, a device called *smmu*). */
  smmu: boolean;
  /** Index where the message starts, and where the line ends (exclusive), in `line`. */
  start: number;
  end: number;
  /** The message after all prefixes (leading whitespace kept: dword lines start with a tab). */
  payload: string;
  /** A timestamp, level or device prefix was present: this line starts a new log message. */
  startsMessage: boolean;
  /** The message was found by searching past text that is no known prefix. */
  searched: boolean;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function newLogLine(): LogLine {
  return {
    line: '',
    ts: undefined,
    tsStart: -1,
    tsEnd: -1,
    tsKind: undefined,
    driver: undefined,
    device: undefined,
    smmu: false,
    start: 0,
    end: 0,
    payload: '',
    startsMessage: false,
    searched: false,
  };
}

/** Timestamp of a scanned line (sliced on demand). */
export function tsOf(ll: LogLine): string | undefined {
  return ll.tsStart < 0 ? undefined : ll.line.slice(ll.tsStart, ll.tsEnd);
}

/** Split `s` into parts, payload and timestamp strings included. */
export function splitLogLine(s: string, out: LogLine = newLogLine()): LogLine {
  scanLogLine(s, out);
  out.payload = s.slice(out.start, out.end);
  out.ts = tsOf(out);
  return out;
}

/** Remove ANSI escape sequences (coloured `dmesg --color=always`): CSI `ESC [ ... letter`, OSC, lone ESC. */
export function stripAnsi(s: string): string {
  if (s.indexOf('\x1b') < 0 && s.indexOf('\x9b') < 0) return s;
  let out = '';
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 0x1b || c === 0x9b) {
      let j = c === 0x9b ? i + 1 : i + 2;
      const kind = c === 0x9b ? 0x5b : s.charCodeAt(i + 1);
      if (kind === 0x5b /* [ */) {
        while (j < n && !(s.charCodeAt(j) >= 0x40 && s.charCodeAt(j) <= 0x7e)) j++;
        j++;
      } else if (kind === 0x5d /* ] OSC */) {
        while (j < n && s.charCodeAt(j) !== 7 && !(s.charCodeAt(j) === 0x1b && s.charCodeAt(j + 1) === 0x5c)) j++;
        j += s.charCodeAt(j) === 7 ? 1 : 2;
      }
      i = Math.min(j, n);
      continue;
    }
    let j = i + 1;
    while (j < n && s.charCodeAt(j) !== 0x1b && s.charCodeAt(j) !== 0x9b) j++;
    out += s.slice(i, j);
    i = j;
  }
  return out;
}

/**
 * Keep a short string from a log as its own copy, shared between records: a slice of a line keeps
 * the whole read chunk alive (V8 sliced strings), and clients and names repeat on every record.
 */
const INTERNED = new Map<string, string>();
export function intern(s: string): string {
  const hit = INTERNED.get(s);
  if (hit !== undefined) return hit;
  const own = ` ${s}`.slice(1);
  if (INTERNED.size < 4096) INTERNED.set(own, own);
  return own;
}

// Recent device prefixes: logs repeat a few of them on every line, so they are compared, not
// sliced. Small fixed cache (most recent first).
const PREFIX_CACHE = 4;
const cacheDriver: string[] = [];
const cacheDevice: string[] = [];
const cacheSmmu: boolean[] = [];
/** `driver device:` as character codes: comparing against a typed array beats charCodeAt on a slice. */
const cacheCodes: Uint16Array[] = [];

function remember(driver: string, device: string, smmu: boolean): void {
  const key = `${driver} ${device}:`;
  const codes = new Uint16Array(key.length);
  for (let k = 0; k < key.length; k++) codes[k] = key.charCodeAt(k);
  cacheDriver.unshift(driver);
  cacheDevice.unshift(device);
  cacheSmmu.unshift(smmu);
  cacheCodes.unshift(codes);
  if (cacheDriver.length > PREFIX_CACHE) {
    cacheDriver.pop();
    cacheDevice.pop();
    cacheSmmu.pop();
    cacheCodes.pop();
  }
}

/** Cache index skipPrefixes found at the index it returned (-1: none found, look again). */
let prefixHit = -1;

/** Index in the prefix cache of the `driver device: ` at s[i..], or -1. */
function cachedPrefixAt(s: string, i: number, n: number): number {
  for (let c = 0; c < cacheDriver.length; c++) {
    const dl = (cacheDriver[c] ?? '').length;
    const vl = (cacheDevice[c] ?? '').length;
    if (
      i + dl + vl + 2 < n &&
      s.charCodeAt(i + dl) === 32 &&
      s.charCodeAt(i + dl + 1 + vl) === 58 &&
      isSpace(s.charCodeAt(i + dl + vl + 2)) &&
      matchCodes(s, i, cacheCodes[c] as Uint16Array)
    )
      return c;
  }
  return -1;
}

/** s[at..] holds exactly `codes` (checked from the end: devices differ there first). */
function matchCodes(s: string, at: number, codes: Uint16Array): boolean {
  for (let k = codes.length - 1; k >= 0; k--) if (s.charCodeAt(at + k) !== codes[k]) return false;
  return true;
}

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
const DAYS = 'MonTueWedThuFriSatSun';
const FACILITIES = new Set([
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
]);
const LEVELS = new Set(['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug']);
/** How far into a line prefixes are looked for (a prefix is never longer). */
const PREFIX_WINDOW = 256;

/** Three letters at `at` are one of `table`'s (month or weekday abbreviations). No slicing: hot. */
function abbrevAt(s: string, at: number, table: string): boolean {
  const a = s.charCodeAt(at);
  const b = s.charCodeAt(at + 1);
  const c = s.charCodeAt(at + 2);
  for (let k = 0; k < table.length; k += 3) if (table.charCodeAt(k) === a && table.charCodeAt(k + 1) === b && table.charCodeAt(k + 2) === c) return true;
  return false;
}

/** `hh:mm:ss` at `at`; returns the index after it (and after `.frac`), or -1. */
function clockAt(s: string, at: number, end: number): number {
  if (at + 8 > end) return -1;
  for (const k of [0, 1, 3, 4, 6, 7]) if (!isDigit(s.charCodeAt(at + k))) return -1;
  if (s.charCodeAt(at + 2) !== 58 || s.charCodeAt(at + 5) !== 58) return -1;
  let j = at + 8;
  if (s.charCodeAt(j) === 46 || s.charCodeAt(j) === 44) {
    const f = j + 1;
    j = f;
    while (j < end && isDigit(s.charCodeAt(j))) j++;
    if (j === f) return -1;
  }
  return j;
}

/** BSD syslog / journalctl short(-precise): `Jan 13 10:23:45[.123456]`; index after it or -1. */
function syslogTimeAt(s: string, at: number, end: number): number {
  if (!abbrevAt(s, at, MONTHS) || s.charCodeAt(at + 3) !== 32) return -1;
  let j = at + 4;
  if (s.charCodeAt(j) === 32) j++;
  const d = j;
  while (j < end && isDigit(s.charCodeAt(j))) j++;
  if (j === d || j - d > 2 || s.charCodeAt(j) !== 32) return -1;
  return clockAt(s, j + 1, end);
}

/** RFC 3339 / journalctl short-iso: `2025-01-13T10:23:45[.frac][Z|+01:00|+0100]`; index after it or -1. */
function isoTimeAt(s: string, at: number, end: number): number {
  if (at + 19 > end) return -1;
  for (const k of [0, 1, 2, 3, 5, 6, 8, 9]) if (!isDigit(s.charCodeAt(at + k))) return -1;
  if (s.charCodeAt(at + 4) !== 45 || s.charCodeAt(at + 7) !== 45) return -1;
  const t = s.charCodeAt(at + 10);
  if (t !== 84 && t !== 32) return -1;
  let j = clockAt(s, at + 11, end);
  if (j < 0) return -1;
  const z = s.charCodeAt(j);
  if (z === 90 /* Z */) j++;
  else if (z === 43 || z === 45) {
    let k = j + 1;
    while (k < end && (isDigit(s.charCodeAt(k)) || s.charCodeAt(k) === 58) && k - j <= 6) k++;
    if (k - j >= 3) j = k;
  }
  return j;
}

/** `Www Mmm [ d]d hh:mm:ss yyyy` (dmesg -T) filling exactly s[a, b). */
function isCtimeAt(s: string, a: number, b: number): boolean {
  if (!abbrevAt(s, a, DAYS) || s.charCodeAt(a + 3) !== 32 || !abbrevAt(s, a + 4, MONTHS) || s.charCodeAt(a + 7) !== 32) return false;
  let j = a + 8;
  if (s.charCodeAt(j) === 32) j++;
  const d = j;
  while (j < b && isDigit(s.charCodeAt(j))) j++;
  if (j === d || s.charCodeAt(j) !== 32) return false;
  j = clockAt(s, j + 1, b);
  if (j < 0 || s.charCodeAt(j) !== 32) return false;
  let k = j + 1;
  while (k < b && isDigit(s.charCodeAt(k))) k++;
  return k === b && k - j === 5;
}

/** `[  12.345678]` contents (kernel): optional spaces, digits, one dot, digits. */
function isTimestampAt(s: string, a: number, b: number): boolean {
  while (a < b && s.charCodeAt(a) === 32) a++;
  let dot = -1;
  for (let k = a; k < b; k++) {
    const c = s.charCodeAt(k);
    if (c === 46 && dot < 0) dot = k;
    else if (c < 48 || c > 57) return false;
  }
  return dot > a && dot < b - 1;
}

/** A bracket tag that is no timestamp but a known prefix: caller id, footnote, vendor tag. */
function isTagAt(s: string, a: number, b: number): boolean {
  while (a < b && s.charCodeAt(a) === 32) a++;
  if (a === b) return false;
  const c0 = s.charCodeAt(a);
  if ((c0 === 84 || c0 === 67) && b - a > 1) {
    let k = a + 1;
    while (k < b && isDigit(s.charCodeAt(k))) k++;
    if (k === b) return true; // [T123] / [C3]
  }
  let allDigits = true;
  let sep = false;
  for (let k = a; k < b; k++) {
    const c = s.charCodeAt(k);
    if (!isDigit(c)) allDigits = false;
    if (c === 58 || c === 44) sep = true; // ':' or ','
    if (c === 32 || c === 34) return false;
  }
  return allDigits || sep; // [2] footnote, [pid:123,cpu4,kworker]
}

/** `(XEN)`, `(123,456)`, `(pid,tid)` tags: short, no spaces. */
function parenTagEnd(s: string, at: number, end: number): number {
  const close = findIn(s, ')', at, Math.min(end, at + 40));
  if (close <= at + 1) return -1;
  for (let k = at + 1; k < close; k++) if (isSpace(s.charCodeAt(k)) || s.charCodeAt(k) === 40) return -1;
  return close + 1;
}

/** End of a run of non-blank characters from `at`. */
function wordEnd(s: string, at: number, end: number): number {
  let j = at;
  while (j < end && !isSpace(s.charCodeAt(j))) j++;
  return j;
}

function skipSpaces(s: string, at: number, end: number): number {
  while (at < end && isSpace(s.charCodeAt(at))) at++;
  return at;
}

/** `host kernel: ` or `kernel: ` (syslog program tag) at `at`: index after it, or -1. */
function kernelTagAt(s: string, at: number, end: number): number {
  for (let words = 0; words < 2; words++) {
    const w = wordEnd(s, at, end);
    if (w > at && matchAt(s, at, 'kernel') && s.charCodeAt(w - 1) === 58 && (w - at === 7 || s.charCodeAt(at + 6) === 91)) return skipSpaces(s, w, end);
    if (w === at || w >= end) return -1;
    at = skipSpaces(s, w, end);
  }
  return -1;
}

/** `kern  :err   : ` (dmesg -x): index after it, or -1. */
function facilityAt(s: string, at: number, end: number): number {
  let j = at;
  while (j < end && s.charCodeAt(j) >= 97 && s.charCodeAt(j) <= 122) j++;
  while (j < end && isDigit(s.charCodeAt(j))) j++;
  const w = j;
  j = skipSpaces(s, j, end);
  if (s.charCodeAt(j) !== 58 || !FACILITIES.has(s.slice(at, w))) return -1;
  const l = j + 1;
  j = l;
  while (j < end && s.charCodeAt(j) >= 97 && s.charCodeAt(j) <= 122) j++;
  if (!LEVELS.has(s.slice(l, j))) return -1;
  j = skipSpaces(s, j, end);
  if (s.charCodeAt(j) !== 58) return -1;
  return skipSpaces(s, j + 1, end);
}

function setTs(out: LogLine, a: number, b: number, kind: TimestampKind): void {
  out.tsStart = a;
  out.tsEnd = b;
  out.tsKind = kind;
}

/**
 * Skip every known prefix element from `i`; fills the timestamp in `out` and sets
 * `out.startsMessage` when an element marks the start of a new log message. Returns the index of
 * what follows.
 */
function skipPrefixes(s: string, i: number, n: number, out: LogLine): number {
  let starts = false;
  prefixHit = -1;
  const limit = Math.min(n, i + PREFIX_WINDOW);
  for (let guard = 0; guard < 24 && i < limit; guard++) {
    i = skipSpaces(s, i, n);
    const c = s.charCodeAt(i);
    if (c === 62 /* > */ || c === 124 /* | */) {
      i++;
      continue;
    }
    if (c === 91 /* [ */) {
      let a = i + 1;
      if (s.charCodeAt(a) === 91) a++; // a doubled bracket from copy and paste
      const close = findIn(s, ']', a, Math.min(n, a + 64));
      if (close < 0) break;
      if (isTimestampAt(s, a, close)) {
        setTs(out, skipSpaces(s, a, close), close, 'kernel');
        starts = true;
      } else if (isCtimeAt(s, a, close)) {
        setTs(out, a, close, 'dmesg-T');
        starts = true;
      } else if (isoTimeAt(s, a, close) === close) {
        setTs(out, a, close, 'iso');
        starts = true;
      } else if (!isTagAt(s, a, close)) break;
      i = close + 1;
      if (s.charCodeAt(i) === 93) i++; // `]]`
      continue;
    }
    if (c === 40 /* ( */) {
      const e = parenTagEnd(s, i, n);
      if (e < 0) break;
      i = e;
      continue;
    }
    if (c === 60 /* < */ && isDigit(s.charCodeAt(i + 1))) {
      let k = i + 1;
      while (k < n && isDigit(s.charCodeAt(k))) k++;
      if (s.charCodeAt(k) !== 62) break;
      i = k + 1;
      starts = true;
      continue;
    }
    if (isDigit(c)) {
      const e = isoTimeAt(s, i, n);
      if (e < 0) break;
      setTs(out, i, e, 'iso');
      starts = true;
      i = pastHeaderTime(s, e, n);
      continue;
    }
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
      prefixHit = cachedPrefixAt(s, i, n);
      if (prefixHit >= 0) break; // the usual `arm-smmu-v3 <dev>: `: no more prefixes
      const e = syslogTimeAt(s, i, n);
      if (e >= 0) {
        setTs(out, i, e, 'syslog');
        starts = true;
        i = pastHeaderTime(s, e, n);
        continue;
      }
      const f = facilityAt(s, i, n);
      if (f >= 0) {
        i = f;
        starts = true;
        continue;
      }
      // `host kernel: ` after a timestamp (journalctl short-monotonic), or alone.
      const k = kernelTagAt(s, i, n);
      if (k >= 0) {
        i = k;
        starts = true;
        continue;
      }
    }
    break;
  }
  out.startsMessage = starts;
  return i;
}

/** Past a syslog or ISO time ending at `e`: its spaces and the `host kernel: ` header that may follow. */
function pastHeaderTime(s: string, e: number, n: number): number {
  const i = skipSpaces(s, e, n);
  const k = kernelTagAt(s, i, n);
  return k >= 0 ? k : i;
}

function hasSmmu(s: string, a: number, b: number): boolean {
  for (let k = a; k + 4 <= b; k++) {
    if ((s.charCodeAt(k) | 32) === 115 && (s.charCodeAt(k + 1) | 32) === 109 && (s.charCodeAt(k + 2) | 32) === 109 && (s.charCodeAt(k + 3) | 32) === 117)
      return true;
  }
  return false;
}

/**
 * The dev_printk-like prefix at `i`: `<driver> <device>: `, `<bus> <device>: `, `<device>: `
 * (trimmed) or Xen `SMMUv3: <path>: `. Sets driver/device/smmu; returns the message start or -1.
 */
function devicePrefixAt(s: string, i: number, n: number, out: LogLine): number {
  const w1 = wordEnd(s, i, n);
  if (w1 - i < 2) return -1;
  if (s.charCodeAt(w1 - 1) === 58 /* : */) {
    // One word ending in ':': a trimmed SMMU device (`arm-smmu-v3:`), or Xen's `SMMUv3: /path: `.
    if (!hasSmmu(s, i, w1)) return -1;
    const drv = s.slice(i, w1 - 1);
    // Function names (`arm_smmu_evtq_thread: 7 callbacks suppressed`) are no device names.
    if (!looksLikeDriver(drv) || drv.includes('_')) return -1;
    const a2 = skipSpaces(s, w1, n);
    const w2 = wordEnd(s, a2, n);
    if (s.charCodeAt(a2) === 47 /* / */ && w2 > a2 + 1 && s.charCodeAt(w2 - 1) === 58) {
      out.driver = intern(drv);
      out.device = intern(s.slice(a2, w2 - 1));
      out.smmu = true;
      return w2 < n ? w2 + 1 : n;
    }
    out.driver = intern(drv);
    out.device = out.driver;
    out.smmu = true;
    return w1 < n ? w1 + 1 : n;
  }
  if (w1 >= n) return -1;
  const a2 = w1 + 1;
  const w2 = wordEnd(s, a2, n);
  if (w2 <= a2 + 1 || s.charCodeAt(w2 - 1) !== 58 || s.charCodeAt(w1 - 1) === 58) return -1;
  const drv = s.slice(i, w1);
  if (!looksLikeDriver(drv)) return -1;
  out.driver = intern(drv);
  out.device = intern(s.slice(a2, w2 - 1));
  out.smmu = hasSmmu(s, i, w1) || hasSmmu(s, a2, w2);
  if (w2 - a2 < 96) remember(drv, out.device, out.smmu);
  return w2 < n ? w2 + 1 : n;
}

/** Starts of SMMU messages that may stand after an unknown prefix with no device in front. */
const MESSAGE_ANCHORS = [
  'event 0x',
  'event: ',
  'CMDQ error',
  'CMD_SYNC timeout',
  'CMDQ timeout',
  'unexpected global error',
  'EVTQ overflow',
  'PRIQ overflow',
  'skipping command in error state',
  'retrying command fetch',
];

/**
 * Search s[i, n) for an SMMU device prefix (a word naming an SMMU followed by `<device>:`, or
 * ending in ':'), then for a message start. Returns the message start or -1.
 */
function searchMessage(s: string, i: number, n: number, out: LogLine): number {
  const scanEnd = Math.min(n, i + 4 * PREFIX_WINDOW);
  for (let k = i; k + 4 <= scanEnd; k++) {
    if ((s.charCodeAt(k) | 32) !== 115 || !hasSmmu(s, k, k + 4)) continue;
    // Back to the start of the word (a word may follow `]`, `)`, `>`, `#`, `$` with no space).
    let w = k;
    while (w > i) {
      const c = s.charCodeAt(w - 1);
      if (isSpace(c) || c === 93 || c === 41 || c === 62 || c === 35 || c === 36) break;
      w--;
    }
    const at = devicePrefixAt(s, w, n, out);
    if (at >= 0) {
      findTsBefore(s, i, w, out);
      return at;
    }
    out.driver = undefined;
    out.device = undefined;
    out.smmu = false;
    k = wordEnd(s, k, n);
  }
  let best = -1;
  // Bounded like the device search: glued text starts with its message, far text is no prefix.
  const line = s.slice(i, scanEnd);
  for (const m of MESSAGE_ANCHORS) {
    // At a word start only (`arm_smmu_dump_event: 3 callbacks suppressed` holds no message).
    let k = line.indexOf(m);
    while (k > 0 && isWordChar(line.charCodeAt(k - 1))) k = line.indexOf(m, k + 1);
    if (k >= 0 && (best < 0 || k < best)) best = k;
  }
  return best < 0 ? -1 : i + best;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122) || c === 95 || c === 45;
}

/** A kernel timestamp `[ ... ]` ending just before `w` (message found by searching). */
function findTsBefore(s: string, from: number, w: number, out: LogLine): void {
  let e = w;
  while (e > from && isSpace(s.charCodeAt(e - 1))) e--;
  if (s.charCodeAt(e - 1) !== 93) return;
  const open = s.lastIndexOf('[', e - 1);
  if (open < from) return;
  if (isTimestampAt(s, open + 1, e - 1)) setTs(out, skipSpaces(s, open + 1, e - 1), e - 1, 'kernel');
  else if (isCtimeAt(s, open + 1, e - 1)) setTs(out, open + 1, e - 1, 'dmesg-T');
}

/**
 * Hot path: fill `out` with indices and prefix parts but no payload/ts strings for the line
 * s[from, to) (`out.payload` and `out.ts` are left stale; use `s.slice(out.start, out.end)`
 * and `tsOf`). Working on ranges of the whole text avoids one string per line.
 */
export function scanLogLine(s: string, out: LogLine, from = 0, to = s.length): LogLine {
  const n = to;
  out.tsStart = -1;
  out.tsEnd = -1;
  out.tsKind = undefined;
  out.driver = undefined;
  out.device = undefined;
  out.smmu = false;
  out.searched = false;
  out.line = s;
  out.end = n;
  const i = skipPrefixes(s, from, n, out);
  const startsAfterPrefixes = out.startsMessage;
  // Fast path: a device prefix seen on a recent line (skipPrefixes may have matched it already).
  const c = prefixHit >= 0 ? prefixHit : cachedPrefixAt(s, i, n);
  if (c >= 0) {
    const drv = cacheDriver[c] ?? '';
    const dev = cacheDevice[c] ?? '';
    out.driver = drv;
    out.device = dev;
    out.smmu = cacheSmmu[c] ?? false;
    out.start = i + drv.length + dev.length + 3;
    out.startsMessage = true;
    return out;
  }
  const c1 = s.charCodeAt(i);
  if (i < n && !isSpace(c1)) {
    const at = devicePrefixAt(s, i, n, out);
    if (at >= 0) {
      out.start = at;
      out.startsMessage = true;
      return out;
    }
    // Not a prefix we know: look further into the line for an SMMU message.
    if (!startsMessageText(s, i, n)) {
      const at2 = searchMessage(s, i, n, out);
      if (at2 >= 0) {
        out.start = at2;
        out.startsMessage = true;
        out.searched = true;
        return out;
      }
    }
  }
  out.start = i;
  out.startsMessage = startsAfterPrefixes;
  return out;
}

/** s[i..] starts with one of the message anchors (no search needed). */
function startsMessageText(s: string, i: number, n: number): boolean {
  for (const m of MESSAGE_ANCHORS) if (i + m.length <= n && matchAt(s, i, m)) return true;
  return false;
}

/** s[at..] starts with `str` (a plain loop: cheaper than startsWith on a long text). */
function matchAt(s: string, at: number, str: string): boolean {
  for (let k = str.length - 1; k >= 0; k--) if (s.charCodeAt(at + k) !== str.charCodeAt(k)) return false;
  return true;
}

/**
 * indexOf limited to s[at, end): a hit that does not end by `end` is no hit. Never looks past
 * `end` (an unbounded indexOf on the whole log made a line without the text cost O(rest of log)).
 */
function findIn(s: string, what: string, at: number, end: number): number {
  if (what.length === 1) {
    const c = what.charCodeAt(0);
    for (let k = at; k < end; k++) if (s.charCodeAt(k) === c) return k;
    return -1;
  }
  const last = end - what.length;
  const c0 = what.charCodeAt(0);
  for (let k = at; k <= last; k++) if (s.charCodeAt(k) === c0 && matchAt(s, k, what)) return k;
  return -1;
}

/** Driver names: a letter, then letters, digits, '-', '_', '.' (arm-smmu-v3, nvme, pcieport, SMMUv3). */
function looksLikeDriver(s: string): boolean {
  const c0 = s.charCodeAt(0) | 32;
  if (c0 < 97 || c0 > 122) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95 || c === 46 || (c >= 65 && c <= 90);
    if (!ok) return false;
  }
  return s.length > 0;
}

/** A dword line: `0x` + 1..16 hex digits, surrounded by whitespace only. Returns the value. */
export function parseDwordLine(payload: string, from = 0, to = payload.length): bigint | undefined {
  let a = from;
  let b = to;
  while (a < b && isSpace(payload.charCodeAt(a))) a++;
  while (b > a && (isSpace(payload.charCodeAt(b - 1)) || payload.charCodeAt(b - 1) === 13)) b--;
  if (b - a < 3 || b - a > 18 || payload.charCodeAt(a) !== 48 || (payload.charCodeAt(a + 1) | 32) !== 120) return undefined;
  // One pass: validate and accumulate the two 32-bit halves (no substring, no string parse).
  let hi = 0;
  let lo = 0;
  for (let k = a + 2; k < b; k++) {
    const c = payload.charCodeAt(k);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return undefined;
    hi = hi * 16 + (lo >>> 28);
    lo = ((lo & 0x0fff_ffff) * 16 + d) >>> 0;
  }
  dwordDigits = b - a - 2;
  DWORD_HALVES[0] = lo;
  DWORD_HALVES[1] = hi;
  return DWORD_U64[0] as bigint;
}

let dwordDigits = 0;
/** Hex digits of the dword `parseDwordLine` last returned (fewer than 16: maybe wrapped by a mail client). */
export function lastDwordDigits(): number {
  return dwordDigits;
}

// Little-endian view of one u64 as two u32 halves (hi < 2^32: at most 16 digits).
const DWORD_U64 = new BigUint64Array(1);
const DWORD_HALVES = new Uint32Array(DWORD_U64.buffer);

/** A hex digit's char code (either case). */
export function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** A damaged-looking dword line: what can be recovered from it. */
export type LooseDword = { kind: 'split'; value: bigint } | { kind: 'damaged'; reason: string };

/**
 * A dword line that `parseDwordLine` refused but that starts like one (`0x` + hex digits):
 * - split across two tokens (`0x00000180 00000010`, 16 digits in all): joined;
 * - anything else (more than 16 digits, junk after the digits, halves that do not make 16
 *   digits): damaged, with the reason. Undefined when the text is no dword at all.
 */
export function parseDwordLoose(s: string, from: number, to: number): LooseDword | undefined {
  let a = from;
  let b = to;
  while (a < b && isSpace(s.charCodeAt(a))) a++;
  while (b > a && (isSpace(s.charCodeAt(b - 1)) || s.charCodeAt(b - 1) === 13)) b--;
  if (b - a < 3 || s.charCodeAt(a) !== 48 || (s.charCodeAt(a + 1) | 32) !== 120 || !isHexCode(s.charCodeAt(a + 2))) return undefined;
  let k = a + 2;
  while (k < b && isHexCode(s.charCodeAt(k))) k++;
  const first = s.slice(a + 2, k);
  if (k < b && isSpace(s.charCodeAt(k))) {
    let m = k;
    while (m < b && isSpace(s.charCodeAt(m))) m++;
    let e = m;
    while (e < b && isHexCode(s.charCodeAt(e))) e++;
    if (e === b && e > m) {
      const second = s.slice(m, e);
      if (first.length + second.length === 16) return { kind: 'split', value: BigInt(`0x${first}${second}`) };
      return { kind: 'damaged', reason: `dword split into ${first.length} + ${second.length} hex digits, not 16` };
    }
  }
  if (k - a - 2 > 16) return { kind: 'damaged', reason: `${k - a - 2} hex digits, more than a dword holds` };
  return { kind: 'damaged', reason: `unexpected text after the hex digits: "${s.slice(k, Math.min(b, k + 20))}"` };
}

/** A bare run of 1..15 hex digits (the tail of a dword a mail client wrapped); its text or undefined. */
export function hexTail(s: string, from: number, to: number): string | undefined {
  let a = from;
  let b = to;
  while (a < b && isSpace(s.charCodeAt(a))) a++;
  while (b > a && (isSpace(s.charCodeAt(b - 1)) || s.charCodeAt(b - 1) === 13)) b--;
  if (b === a || b - a > 15) return undefined;
  for (let k = a; k < b; k++) if (!isHexCode(s.charCodeAt(k))) return undefined;
  return s.slice(a, b);
}
