/**
 * Small helpers of the kernel-log importer (dmesg.ts): message-start tests, the CMD_SYNC
 * timeout parser, character classes and line-number normalisation.
 */
import { GERROR_CAUSES } from '../linux/messages.ts';
import { isFlagsLine } from '../linux/decoded-lines.ts';

/** GERROR cause line text → cause name (SFM_ERR, EVTQ_ABT_ERR, ...). */
export const CAUSE_BY_TEXT: ReadonlyMap<string, string> = new Map(GERROR_CAUSES.map((c) => [c.text, c.name]));

export function ascending(a: readonly number[]): boolean {
  for (let i = 1; i < a.length; i++) if ((a[i] ?? 0) <= (a[i - 1] ?? 0)) return false;
  return true;
}

/** Sort and de-duplicate in place (a glued or re-fed line contributes its number once). */
export function normaliseLines(a: number[]): void {
  const u = [...new Set(a)].sort((x, y) => x - y);
  a.length = 0;
  a.push(...u);
}

export function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10 || c === 11 || c === 12;
}

export function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** A line that is a message of its own, never the tail of a wrapped one. */
export function startsKnownMessage(msg: string): boolean {
  return looksLikeRecordStart(msg) || isFlagsLine(msg) || msg.startsWith('unexpected ') || msg.startsWith('retrying ') || CAUSE_BY_TEXT.has(msg);
}

/** Starts that only SMMU record messages have; anything else unknown is not our business. */
export function looksLikeRecordStart(msg: string): boolean {
  return msg.startsWith('event ') || msg.startsWith('CMDQ ') || msg.startsWith('CMD_SYNC') || msg.startsWith('EVTQ ') || msg.startsWith('skipping command');
}

/** `CMD_SYNC timeout at 0x%08x [hwprod 0x%08x, hwcons 0x%08x]`. */
export function parseSyncTimeout(msg: string): { prod: number; hwprod: number; hwcons: number } | 'partial' | undefined {
  const parts = ['CMD_SYNC timeout at 0x', ' [hwprod 0x', ', hwcons 0x', ']'];
  const vals: number[] = [];
  let pos = 0;
  for (let p = 0; p < parts.length; p++) {
    const lit = parts[p] ?? '';
    const avail = msg.slice(pos, pos + lit.length);
    if (avail.length < lit.length) return lit.startsWith(avail) ? 'partial' : undefined;
    if (avail !== lit) return undefined;
    pos += lit.length;
    if (p === parts.length - 1) break;
    const start = pos;
    while (pos < msg.length && isHexCode(msg.charCodeAt(pos))) pos++;
    if (pos === start) return pos === msg.length ? 'partial' : undefined;
    vals.push(parseInt(msg.slice(start, pos), 16) >>> 0);
  }
  const [prod, hwprod, hwcons] = vals as [number, number, number];
  return { prod, hwprod, hwcons };
}
