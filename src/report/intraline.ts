/**
 * Within-line highlight for unified diffs: a block of `-` lines followed by a block of `+` lines
 * is paired line by line, and each pair is split into equal and changed segments (jsdiff
 * diffWordsWithSpace), so a reader sees which field of a golden record changed. Renderers (ANSI,
 * HTML) only paint the segments.
 */
import { diffWordsWithSpace } from 'diff';

export interface Segment {
  readonly text: string;
  readonly changed: boolean;
}

export interface DiffLine {
  /** ' ' context, '-' removed (golden), '+' added (actual), '@' hunk header, 'h' file header, '\\' marker. */
  readonly kind: ' ' | '-' | '+' | '@' | 'h' | '\\';
  /** The line without its one-character prefix, split for highlighting (one unchanged segment when unpaired). */
  readonly segments: readonly Segment[];
}

/** Parse a unified diff into lines with within-line segments. */
export function diffLines(diff: string): DiffLine[] {
  const raw = diff.replace(/\n$/, '').split('\n');
  const out: DiffLine[] = [];
  let i = 0;
  while (i < raw.length) {
    const l = raw[i] ?? '';
    if (l.startsWith('-') && !l.startsWith('---')) {
      const minus: string[] = [];
      while (i < raw.length && (raw[i] ?? '').startsWith('-') && !(raw[i] ?? '').startsWith('---')) minus.push((raw[i++] ?? '').slice(1));
      const plus: string[] = [];
      while (i < raw.length && (raw[i] ?? '').startsWith('+') && !(raw[i] ?? '').startsWith('+++')) plus.push((raw[i++] ?? '').slice(1));
      const pairs = Math.min(minus.length, plus.length);
      const split = minus.slice(0, pairs).map((m, k) => pairSegments(m, plus[k] ?? ''));
      minus.forEach((m, k) => out.push({ kind: '-', segments: k < pairs ? (split[k]?.old ?? []) : [{ text: m, changed: false }] }));
      plus.forEach((p, k) => out.push({ kind: '+', segments: k < pairs ? (split[k]?.new ?? []) : [{ text: p, changed: false }] }));
      continue;
    }
    i++;
    if (l.startsWith('---') || l.startsWith('+++') || l.startsWith('====') || l.startsWith('Index:'))
      out.push({ kind: 'h', segments: [{ text: l, changed: false }] });
    else if (l.startsWith('@@')) out.push({ kind: '@', segments: [{ text: l, changed: false }] });
    else if (l.startsWith('+')) out.push({ kind: '+', segments: [{ text: l.slice(1), changed: false }] });
    else if (l.startsWith('\\')) out.push({ kind: '\\', segments: [{ text: l, changed: false }] });
    else out.push({ kind: ' ', segments: [{ text: l.slice(1), changed: false }] });
  }
  return out;
}

function pairSegments(a: string, b: string): { old: Segment[]; new: Segment[] } {
  const parts = diffWordsWithSpace(a, b);
  const old: Segment[] = [];
  const neu: Segment[] = [];
  for (const p of parts) {
    if (!p.added) old.push({ text: p.value, changed: p.removed === true });
    if (!p.removed) neu.push({ text: p.value, changed: p.added === true });
  }
  return { old: merge(old), new: merge(neu) };
}

function merge(s: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const x of s) {
    const last = out[out.length - 1];
    if (last !== undefined && last.changed === x.changed) out[out.length - 1] = { text: last.text + x.text, changed: x.changed };
    else out.push(x);
  }
  return out;
}
