/**
 * Read a trace file as a stream of lines (issue 15 item 4): fixed-size chunks, so memory does not
 * grow with a single huge line's neighbours, the size limit is checked while reading (a FIFO or
 * /dev/zero cannot hang or exhaust memory), and binary or random data is recognised as "not a
 * log" from the first chunk instead of being decoded into invented records.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** Default limit on the bytes read from one input (override with --max-size). */
export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024 * 1024;
const CHUNK = 1 << 15;
/** Bytes looked at to decide whether the input is text. */
const SNIFF = 64 * 1024;

export interface ReadResult {
  /** Set when reading stopped early; the message says why. */
  readonly error?: { code: 'READ_FAILED' | 'NOT_A_LOG' | 'TOO_LARGE'; message: string };
  readonly bytes: number;
}

/**
 * Why `bytes` (the start of an input) is not text, or undefined if it is: NUL bytes, or more
 * than 10% control characters / invalid UTF-8 sequences (random data, an image, a core file).
 */
export function notText(bytes: Uint8Array): string | undefined {
  const n = Math.min(bytes.length, SNIFF);
  if (n === 0) return undefined;
  let bad = 0;
  let nul = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i] ?? 0;
    if (b === 0) nul++;
    else if ((b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 0x1b && b !== 12) || b === 0x7f) bad++;
    else if (b >= 0x80) {
      // A valid UTF-8 sequence: lead byte then its continuation bytes.
      const len = b >= 0xf0 && b < 0xf5 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 0;
      let ok = len > 0 && i + len <= n;
      for (let k = 1; ok && k < len; k++) ok = ((bytes[i + k] ?? 0) & 0xc0) === 0x80;
      if (ok) i += len - 1;
      else if (i + len <= n || len === 0) bad++;
    }
  }
  if (nul > 0) return `binary data (${nul} NUL byte${nul === 1 ? '' : 's'} in the first ${n} bytes)`;
  if (bad * 10 > n) return `binary or random data (${bad} of the first ${n} bytes are control characters or invalid UTF-8)`;
  return undefined;
}

/**
 * Read `file` and call `onText` with each decoded chunk that ends on a line boundary (the last
 * call may end without a newline). Stops at `maxBytes` and on non-text input.
 */
export function readChunks(file: string, onText: (text: string) => void, maxBytes = DEFAULT_MAX_BYTES): ReadResult {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    return { bytes: 0, error: { code: 'READ_FAILED', message: `Cannot read "${file}": ${(e as Error).message}` } };
  }
  const decoder = new TextDecoder('utf-8');
  const buf = new Uint8Array(CHUNK);
  let bytes = 0;
  /** Decoded text since the last newline (pieces, joined once: a line of tens of MB stays linear). */
  let rest: string[] = [];
  let first = true;
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, CHUNK, null);
      } catch (e) {
        return { bytes, error: { code: 'READ_FAILED', message: `Cannot read "${file}": ${(e as Error).message}` } };
      }
      if (n === 0) break;
      if (first) {
        first = false;
        const why = notText(buf.subarray(0, n));
        if (why !== undefined) return { bytes: n, error: { code: 'NOT_A_LOG', message: `"${file}" is not a log: ${why}` } };
      }
      bytes += n;
      if (bytes > maxBytes) {
        return {
          bytes,
          error: {
            code: 'TOO_LARGE',
            message: `"${file}" is larger than the ${Math.round(maxBytes / (1024 * 1024))} MiB limit; stopped reading (raise it with --max-size MIB)`,
          },
        };
      }
      const text = decoder.decode(buf.subarray(0, n), { stream: true });
      const cut = text.lastIndexOf('\n');
      if (cut < 0) {
        rest.push(text);
        continue;
      }
      rest.push(text.slice(0, cut + 1));
      onText(rest.join(''));
      rest = [text.slice(cut + 1)];
    }
    const tail = rest.join('') + decoder.decode();
    if (tail !== '') onText(tail);
    return { bytes };
  } finally {
    closeSync(fd);
  }
}

/** The whole file as text, under the same limits. */
export function readAll(file: string, maxBytes = DEFAULT_MAX_BYTES): { text?: string; error?: ReadResult['error'] } {
  const parts: string[] = [];
  const r = readChunks(file, (t) => parts.push(t), maxBytes);
  if (r.error !== undefined) return { error: r.error };
  return { text: parts.join('') };
}
