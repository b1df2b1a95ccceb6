/**
 * Split one physical kernel-log line into its parts: mail quote markers (`> `, `| `, nested),
 * syslog/journal prefix (`Nov 22 02:26:20 host kernel: `), printk level (`<3>`), `[timestamp]`
 * (plus an optional `[T123]` caller id), the dev_printk prefix `<driver> <device>: ` and the
 * message. Linear: only indexOf/charCodeAt, no regexes.
 */

export interface LogLine {
  /** The whole physical line. */
  line: string;
  /** Timestamp text inside `[...]`, trimmed (set by `splitLogLine`; see `tsOf` on hot paths). */
  ts: string | undefined;
  tsStart: number;
  tsEnd: number;
  /** Driver and device of a dev_printk prefix. */
  driver: string | undefined;
  device: string | undefined;
  /** The driver names an SMMU (arm-smmu-v3, ...). */
  smmu: boolean;
  /** Index where the message starts, and where the line ends (exclusive), in `line`. */
  start: number;
  end: number;
  /** The message after all prefixes (leading whitespace kept: dword lines start with a tab). */
  payload: string;
  /** A timestamp, level or device prefix was present: this line starts a new log message. */
  startsMessage: boolean;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

export function newLogLine(): LogLine {
  return { line: '', ts: undefined, tsStart: -1, tsEnd: -1, driver: undefined, device: undefined, smmu: false, start: 0, end: 0, payload: '', startsMessage: false };
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

/** s[at..] holds exactly `codes` (checked from the end: devices differ there first). */
function matchCodes(s: string, at: number, codes: Uint16Array): boolean {
  for (let k = codes.length - 1; k >= 0; k--) if (s.charCodeAt(at + k) !== codes[k]) return false;
  return true;
}

/**
 * Hot path: fill `out` with indices and prefix parts but no payload/ts strings for the line
 * s[from, to) (`out.payload` and `out.ts` are left stale; use `s.slice(out.start, out.end)`
 * and `tsOf`). Working on ranges of the whole text avoids one string per line.
 */
export function scanLogLine(s: string, out: LogLine, from = 0, to = s.length): LogLine {
  let i = from;
  const n = to;
  // Mail quoting: any mix of '>' and '|' markers, each optionally followed by one space.
  for (;;) {
    let j = i;
    while (j < n && isSpace(s.charCodeAt(j))) j++;
    const c = s.charCodeAt(j);
    if (c === 62 /* > */ || c === 124 /* | */) {
      i = j + 1;
      if (i < n && s.charCodeAt(i) === 32) i++;
      continue;
    }
    break;
  }
  let startsMessage = false;
  // syslog / journalctl: "Mon DD HH:MM:SS host kernel: ".
  const c0 = s.charCodeAt(i);
  if (i < n && c0 !== 91 /* [ */ && !isSpace(c0) && !(c0 >= 48 && c0 <= 57)) {
    // Only the first 64 + 8 characters can hold it: a bounded search keeps import linear.
    const k = findIn(s, 'kernel: ', i, Math.min(n, i + 72));
    if (k > i && k - i < 64) {
      i = k + 8;
      startsMessage = true;
    }
  }
  // printk level "<3>".
  if (i + 2 < n && s.charCodeAt(i) === 60 && s.charCodeAt(i + 2) === 62 && s.charCodeAt(i + 1) >= 48 && s.charCodeAt(i + 1) <= 57) {
    i += 3;
    startsMessage = true;
  }
  out.tsStart = -1;
  out.tsEnd = -1;
  let j = i;
  while (j < n && s.charCodeAt(j) === 32) j++;
  if (s.charCodeAt(j) === 91 /* [ */) {
    const close = findIn(s, ']', j, n);
    if (close > j && isTimestampAt(s, j + 1, close)) {
      let a = j + 1;
      while (s.charCodeAt(a) === 32) a++;
      out.tsStart = a;
      out.tsEnd = close;
      i = close + 1;
      startsMessage = true;
      // Optional caller id: "[    T1]" / "[  C3]".
      let k = i;
      while (k < n && s.charCodeAt(k) === 32) k++;
      if (s.charCodeAt(k) === 91) {
        const c2 = findIn(s, ']', k, n);
        const id = c2 > k ? s.slice(k + 1, c2).trim() : '';
        if (id.length > 1 && (id[0] === 'T' || id[0] === 'C') && isDigits(id.slice(1))) i = c2 + 1;
      }
      if (s.charCodeAt(i) === 32) i++;
    }
  }
  // dev_printk prefix "<driver> <device>: ".
  out.driver = undefined;
  out.device = undefined;
  out.smmu = false;
  const c1 = s.charCodeAt(i);
  if (i < n && !isSpace(c1)) {
    // Fast path: a prefix seen on a recent line.
    for (let c = 0; c < cacheDriver.length; c++) {
      const drv = cacheDriver[c] ?? '';
      const dev = cacheDevice[c] ?? '';
      const dl = drv.length;
      const vl = dev.length;
      // Same test as matching drv at i, ' ', dev, ':' and a space after, with one loop.
      if (i + dl + vl + 2 < n && s.charCodeAt(i + dl) === 32 && s.charCodeAt(i + dl + 1 + vl) === 58 && isSpace(s.charCodeAt(i + dl + vl + 2)) && matchCodes(s, i, cacheCodes[c] as Uint16Array)) {
        out.driver = drv;
        out.device = dev;
        out.smmu = cacheSmmu[c] ?? false;
        out.start = i + dl + vl + 3;
        out.end = n;
        out.startsMessage = true;
        out.line = s;
        return out;
      }
    }
    const s1 = findIn(s, ' ', i, n);
    if (s1 > i) {
      let s2 = s1 + 1;
      while (s2 < n && !isSpace(s.charCodeAt(s2))) s2++;
      if (s2 === n) s2 = -1;
      const end = s2 < 0 ? n : s2;
      if (end > s1 + 2 && s.charCodeAt(end - 1) === 58 /* : */ && s.charCodeAt(s1 - 1) !== 58) {
        const drv = s.slice(i, s1);
        if (looksLikeDriver(drv)) {
          out.driver = drv;
          out.device = s.slice(s1 + 1, end - 1);
          out.smmu = drv.toLowerCase().includes('smmu');
          remember(drv, out.device, out.smmu);
          i = s2 < 0 ? n : s2 + 1;
          startsMessage = true;
        }
      }
    }
  }
  out.start = i;
  out.end = n;
  out.startsMessage = startsMessage;
  out.line = s;
  return out;
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

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** `[  12.345678]` contents (kernel): optional spaces, digits, one dot, digits. No slicing. */
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

/** Driver names: a letter, then letters, digits, '-', '_' (arm-smmu-v3, nvme, pcieport). */
function looksLikeDriver(s: string): boolean {
  const c0 = s.charCodeAt(0) | 32;
  if (c0 < 97 || c0 > 122) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95 || (c >= 65 && c <= 90);
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
  DWORD_HALVES[0] = lo;
  DWORD_HALVES[1] = hi;
  return DWORD_U64[0] as bigint;
}

// Little-endian view of one u64 as two u32 halves (hi < 2^32: at most 16 digits).
const DWORD_U64 = new BigUint64Array(1);
const DWORD_HALVES = new Uint32Array(DWORD_U64.buffer);
