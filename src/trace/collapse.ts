/**
 * Fold QEMU's per-4-byte duplicate event records (emulator-models.md §0 item 4, §7 item 19):
 * QEMU splits a failing DMA into ≤4-byte accesses and records one event per chunk, so an
 * 8-byte access gives two records that differ only in InputAddr (+4). The architecture wants
 * one record per transaction (§7.3.1), so before comparing, consecutive event records of one
 * instance that are equal except InputAddr[11:0] (and whose InputAddr grows) are folded into the
 * first one, which counts them in `collapsed`. Only event records count as "consecutive": the
 * walk/translate lines QEMU prints between the duplicates do not break a burst.
 *
 * Streaming (`createCollapser`): a burst's first record is held until the burst ends, and the
 * records after it wait behind it (output order is input order), so memory is bounded by the
 * open bursts, not by the log (issue 15 item 4).
 */
import { type EventRecord, type Trace, type TraceRecord } from './types.ts';

const LOW12 = 0xfffn;

function sameBurst(a: EventRecord, b: EventRecord): boolean {
  if (a.instance !== b.instance || a.truncated || b.truncated) return false;
  if ((a.known ?? []).join() !== (b.known ?? []).join()) return false;
  if (a.raw.length !== b.raw.length) return false;
  for (let i = 0; i < a.raw.length; i++) {
    const x = a.raw[i] ?? 0n;
    const y = b.raw[i] ?? 0n;
    if (i === 2 ? (x & ~LOW12) !== (y & ~LOW12) || y < x : x !== y) return false;
  }
  // Input address equal only if QEMU gave none (known lacks InputAddr): then type+SID decide.
  if ((a.raw[2] ?? 0n) === (b.raw[2] ?? 0n) && (a.known === undefined || a.known.includes('InputAddr'))) return false;
  return true;
}

export interface Collapser {
  record(r: TraceRecord): void;
  /** Ends every open burst and hands over what is still held. */
  finish(): void;
}

/** Fold duplicate bursts of the records fed in order, handing the result to `sink` in order. */
export function createCollapser(sink: (r: TraceRecord) => void): Collapser {
  /** Head of the open burst and the last event in it, per instance. */
  const head = new Map<string, { first: EventRecord; last: EventRecord }>();
  /** Records not handed over yet: the oldest open burst head and everything after it. */
  const held: TraceRecord[] = [];
  let start = 0;
  const open = new Set<TraceRecord>();
  const flush = (): void => {
    while (start < held.length && !open.has(held[start] as TraceRecord)) sink(held[start++] as TraceRecord);
    if (start === held.length || start > 1024) {
      held.splice(0, start);
      start = 0;
    }
  };
  const close = (instance: string): void => {
    const h = head.get(instance);
    if (h === undefined) return;
    head.delete(instance);
    h.first.lines.sort((x, y) => x - y);
    open.delete(h.first);
  };
  return {
    record(r) {
      if (r.kind !== 'event') {
        if (r.kind !== 'qemu') close(r.instance); // a command or error ends a burst
        held.push(r);
      } else {
        const h = head.get(r.instance);
        if (h !== undefined && sameBurst(h.last, r)) {
          h.first.collapsed = (h.first.collapsed ?? 0) + 1;
          h.first.lines.push(...r.lines);
          h.last = r;
          return;
        }
        close(r.instance);
        const copy: EventRecord = { ...r, lines: [...r.lines], raw: [...r.raw] };
        head.set(r.instance, { first: copy, last: r });
        open.add(copy);
        held.push(copy);
      }
      flush();
    },
    finish() {
      for (const k of [...head.keys()]) close(k);
      flush();
    },
  };
}

export function collapseDuplicates(trace: Trace): Trace {
  const out: TraceRecord[] = [];
  const c = createCollapser((r) => out.push(r));
  for (const r of trace.records) c.record(r);
  c.finish();
  return { ...trace, records: out };
}
