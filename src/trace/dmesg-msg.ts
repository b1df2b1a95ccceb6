/**
 * Small helpers of the kernel-log importer (dmesg.ts): message-start tests, character classes,
 * line-number normalisation and the "does this line look like SMMU output" test behind the
 * never-silent rule (issue 15 item 2).
 */
import { GERROR_CAUSE_BY_TEXT } from '../linux/messages.ts';
import { isFlagsLine } from '../linux/decoded-lines.ts';

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

/** A line that is a message of its own, never the tail of a wrapped one. */
export function startsKnownMessage(msg: string): boolean {
  return looksLikeRecordStart(msg) || isFlagsLine(msg) || msg.startsWith('unexpected ') || msg.startsWith('retrying ') || GERROR_CAUSE_BY_TEXT.has(msg);
}

/** Starts that only SMMU record messages have; anything else unknown is not our business. */
export function looksLikeRecordStart(msg: string): boolean {
  return msg.startsWith('event ') || msg.startsWith('CMDQ ') || msg.startsWith('CMD_SYNC') || msg.startsWith('EVTQ ') || msg.startsWith('skipping command');
}

/** Pieces of SMMU record output: a line holding one and not used is an error, never silent. */
const RECORD_WORDS =
  /event 0x[0-9a-f]+ received|event: [A-Z_]+ client:|CMDQ error|CMD_SYNC timeout|CMDQ timeout|GERROR|global error reported|EVTQ overflow|skipping command in error state|retrying command fetch|(?:^|[\s:>|\]])0x[0-9a-fA-F]{16}\s*$/;
/** Mentions of an SMMU: a line holding one and not used is reported as a note. */
const SMMU_WORDS = /smmu/i;

/** 'record': looks like part of an SMMU record; 'smmu': mentions an SMMU; undefined: neither. */
export function smmuLooking(line: string): 'record' | 'smmu' | undefined {
  if (RECORD_WORDS.test(line)) return 'record';
  return SMMU_WORDS.test(line) ? 'smmu' : undefined;
}
