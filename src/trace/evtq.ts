/**
 * Raw event-queue dump importer: 32-byte records written as
 * - 4 dwords per line (`0x0000000800000010 0x... 0x... 0x...`, with or without 0x, commas ok),
 * - 8 little-endian 32-bit words per line (or any run of zero-padded 8-digit words),
 * - memory dumps: `00000000: 10 00 00 00 ...` (kernel print_hex_dump / generic), xxd
 *   (`00000000: 1000 0000 ...`, byte order), hexdump -C (`00000000  10 00 ...  |....|`, with `*`
 *   repeat lines) and plain hexdump (`0000000 0010 0000 ...`, 16-bit little-endian words).
 * A line may start with a label (`[3]`, `evt3:`). Memory is little-endian (SMMU queues are LE).
 */
import { dwordsFromBytes } from '../arch/dwords.ts';
import { importText } from './dmesg.ts';
import { createLineCounter } from './line-count.ts';
import { type EventRecord, type LineImporter, type Trace, type TraceDiagnostic, type TraceRecord, diag, instancesOf, totalsOf } from './types.ts';

export interface EvtqImportOptions {
  /** Word size of plain word lines; 'auto' guesses from token widths. */
  readonly wordSize?: 32 | 64 | 'auto';
  readonly instance?: string;
  /**
   * Streaming: each record is handed here as soon as its fourth dword is read and not kept (the
   * Trace from `finish` has only `recordCount`): memory does not grow with the dump.
   */
  readonly onRecord?: (rec: TraceRecord) => void;
}

interface Dword {
  value: bigint;
  line: number;
}

function isHexStr(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

/** `[3]`, `evtq:`, `record:` — a label, not data (hex-only tokens are offsets or data). */
function isLabel(tok: string): boolean {
  if (tok.startsWith('[') && tok.endsWith(']')) return true;
  return tok.endsWith(':') && !isHexStr(tok.slice(0, -1).replace(/^0x/i, ''));
}

/** Import a whole dump held in memory (the CLI streams files through `createEvtqImporter`). */
export function importEvtq(text: string, opts: EvtqImportOptions = {}): Trace {
  return importText(createEvtqImporter(opts), text);
}

export function createEvtqImporter(opts: EvtqImportOptions = {}): LineImporter {
  const diagnostics: TraceDiagnostic[] = [];
  const instance = opts.instance ?? '';
  const sink = opts.onRecord;
  const records: TraceRecord[] = [];
  const used = createLineCounter();
  let emitted = 0;
  /** Dwords of the record being read (up to 4). */
  let dwords: Dword[] = [];
  const wordSize = opts.wordSize ?? 'auto';
  // Byte-dump state: bytes not yet forming a full dword, the next expected offset, the last line.
  let bytes: number[] = [];
  let bytesLine = 0;
  let nextOffset: number | undefined;
  let lastLineBytes: number[] = [];
  let repeat = false;
  let low: Dword | undefined; // pending low 32-bit word

  const pushBytes = (b: readonly number[], line: number): void => {
    for (const x of b) {
      if (bytes.length === 0) bytesLine = line;
      bytes.push(x);
      if (bytes.length === 8) {
        dword({ value: dwordsFromBytes(bytes, 1)[0] ?? 0n, line: bytesLine });
        bytes = [];
      }
    }
  };

  const emit = (part: Dword[]): void => {
    const rec: EventRecord = { kind: 'event', instance, lines: [...new Set(part.map((d) => d.line))], raw: part.map((d) => d.value) };
    if (part.length < 4) {
      rec.truncated = true;
      diag(diagnostics, 'warning', 'TRUNCATED_RECORD', part[0]?.line ?? 0, `last record has ${part.length} of 4 dwords; kept as truncated`);
    }
    for (const l of rec.lines) used.mark(l);
    emitted++;
    if (sink !== undefined) sink(rec);
    else records.push(rec);
  };
  /** 32-byte records, one every four dwords. */
  const dword = (d: Dword): void => {
    dwords.push(d);
    if (dwords.length === 4) {
      emit(dwords);
      dwords = [];
    }
  };

  let ln = 0;
  const line = (s: string, from: number, to: number): void => {
    ln++;
    let t = s.slice(from, to).trim();
    if (t === '' || t.startsWith('#') || t.startsWith('//')) return;
    if (t === '*') {
      repeat = true;
      return;
    }
    const bar = t.indexOf('|');
    if (bar > 0) t = t.slice(0, bar).trim();
    let tokens = t.split(/[\s,]+/).filter((x) => x !== '');
    // A leading non-hex label ("evtq:", "[3]") before an offset or the words.
    while (tokens.length > 1 && isLabel(tokens[0] ?? '')) {
      const lab = tokens.shift() ?? '';
      t = t.slice(t.indexOf(lab) + lab.length).trimStart();
    }
    const first = tokens[0] ?? '';
    // Memory dump with an offset?
    const colon = first.endsWith(':');
    const off = colon ? first.slice(0, -1) : first;
    const rest = tokens.slice(1);
    const isOffset = isHexStr(off) && off.length >= 4 && !off.startsWith('0x');
    // The bare final offset hexdump prints after the last line.
    if (isOffset && rest.length === 0 && nextOffset !== undefined && parseInt(off, 16) === nextOffset) return;
    let data = rest;
    if (isOffset && colon) {
      // xxd and "off:" dumps stop at the two-space gap before the ASCII column.
      const afterOff = t.indexOf(':') + 1;
      const gap = t.indexOf('  ', afterOff + 1);
      const area = gap > 0 ? t.slice(afterOff, gap) : t.slice(afterOff);
      data = area.split(/\s+/).filter((x) => x !== '');
    }
    if (isOffset && data.length > 0 && data.every((x) => isHexStr(x) && (x.length === 2 || x.length === 4))) {
      const offset = parseInt(off, 16);
      const b: number[] = [];
      const wordLE = !colon && off.length === 7 && data.every((x) => x.length === 4);
      for (const tok of data) {
        if (!isHexStr(tok) || tok.length % 2 !== 0) break;
        if (wordLE) b.push(parseInt(tok.slice(2, 4), 16), parseInt(tok.slice(0, 2), 16));
        else for (let k = 0; k < tok.length; k += 2) b.push(parseInt(tok.slice(k, k + 2), 16));
      }
      if (nextOffset !== undefined && offset > nextOffset) {
        if (repeat && lastLineBytes.length > 0) {
          while (nextOffset < offset) {
            pushBytes(lastLineBytes, ln - 1);
            nextOffset += lastLineBytes.length;
          }
        } else
          diag(diagnostics, 'warning', 'GAP', ln, `dump jumps from offset 0x${nextOffset.toString(16)} to 0x${offset.toString(16)}; records may be misaligned`);
      } else if (nextOffset !== undefined && offset < nextOffset) {
        diag(diagnostics, 'warning', 'OFFSET_BACKWARDS', ln, `dump offset 0x${offset.toString(16)} goes backwards`);
      }
      repeat = false;
      pushBytes(b, ln);
      lastLineBytes = b;
      nextOffset = offset + b.length;
      return;
    }
    // Word line, optionally labelled with an index ("3:").
    if (first.endsWith(':')) tokens = rest;
    const words = tokens.map((x) => (x.startsWith('0x') || x.startsWith('0X') ? x.slice(2) : x));
    if (words.length === 0 || !words.every((w) => isHexStr(w) && w.length <= 16)) {
      diag(diagnostics, 'warning', 'UNPARSEABLE', ln, `not a hex dump line: "${t.length > 80 ? `${t.slice(0, 80)}...` : t}"`);
      return;
    }
    let size: 32 | 64;
    if (wordSize !== 'auto') size = wordSize;
    else if (words.every((w) => w.length === 8)) size = 32;
    else if (words.some((w) => w.length > 8)) size = 64;
    else size = words.length === 8 ? 32 : 64;
    if (size === 32 && words.some((w) => w.length > 8)) {
      diag(diagnostics, 'warning', 'UNPARSEABLE', ln, 'word wider than 32 bits in a 32-bit dump');
      return;
    }
    for (const w of words) {
      const v = BigInt(`0x${w}`);
      if (size === 64) dword({ value: v, line: ln });
      else if (low === undefined) low = { value: v, line: ln };
      else {
        dword({ value: (v << 32n) | low.value, line: low.line });
        low = undefined;
      }
    }
  };

  const finish = (): Trace => {
    if (low !== undefined) dword({ value: low.value, line: low.line });
    low = undefined;
    if (bytes.length > 0) diag(diagnostics, 'warning', 'TRUNCATED_RECORD', bytesLine, `${bytes.length} trailing bytes do not form a dword; dropped`);
    bytes = [];
    if (dwords.length > 0) emit(dwords);
    dwords = [];
    diagnostics.sort((a, b) => a.line - b.line);
    const stats = { lines: ln, used: used.count(), reported: new Set(diagnostics.map((d) => d.line)).size };
    const base = { format: 'evtq' as const, diagnostics, totals: totalsOf(diagnostics), stats };
    return sink !== undefined
      ? { ...base, instances: emitted > 0 ? [instance] : [], records: [], recordCount: emitted }
      : { ...base, instances: instancesOf(records), records };
  };
  return { line, finish };
}
