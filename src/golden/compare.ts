/**
 * Compare canonical text with a golden: a unified diff (jsdiff createTwoFilesPatch) plus a
 * one-line semantic summary naming the first divergent record and field, so a failure says
 * *where* behaviour diverged, not only *that* it did.
 */
import { createTwoFilesPatch } from 'diff';
import { parse } from 'yaml';

export type GoldenStatus = 'match' | 'mismatch' | 'missing';

export interface GoldenComparison {
  readonly status: GoldenStatus;
  /** Unified diff (golden -> actual) for a mismatch. */
  readonly diff?: string;
  /** First divergence, one line. */
  readonly summary?: string;
}

/** Edits beyond this make jsdiff give up (it returns undefined); we then show the summary only. */
const MAX_EDIT_LENGTH = 2000;

export function compareGolden(actual: string, expected: string | undefined, goldenName: string): GoldenComparison {
  if (expected === undefined) return { status: 'missing' };
  const exp = expected.replace(/\r\n/g, '\n');
  if (exp === actual) return { status: 'match' };
  const summary = firstDivergence(exp, actual);
  const patch = createTwoFilesPatch(goldenName, `${goldenName} (actual)`, exp, actual, undefined, undefined, {
    context: 3,
    maxEditLength: MAX_EDIT_LENGTH,
  });
  const diff = patch === undefined ? `(outputs too different for a line diff; ${summary})\n` : patch;
  return { status: 'mismatch', diff, summary };
}

/** One line naming the first section, record and field where `actual` departs from `expected`. */
export function firstDivergence(expected: string, actual: string): string {
  let e: unknown;
  let a: unknown;
  try {
    e = parse(expected);
    a = parse(actual);
  } catch {
    return `golden is not valid YAML; first differing line ${firstLine(expected, actual)}`;
  }
  if (!isObj(e) || !isObj(a)) return `golden is not a map; first differing line ${firstLine(expected, actual)}`;
  const keys = [...Object.keys(e), ...Object.keys(a).filter((k) => !(k in e))];
  for (const k of keys) {
    const d = diverge(k, e[k], a[k]);
    if (d !== undefined) return d;
  }
  return `texts differ in formatting only (first differing line ${firstLine(expected, actual)})`;
}

function diverge(path: string, e: unknown, a: unknown): string | undefined {
  if (Array.isArray(e) && Array.isArray(a)) {
    const n = Math.min(e.length, a.length);
    for (let i = 0; i < n; i++) {
      const d = diverge(`${path}[${i}]${label(e[i])}`, e[i], a[i]);
      if (d !== undefined) return d;
    }
    if (e.length !== a.length) {
      const extra = e.length > a.length ? `first missing: ${show(e[n])}` : `first extra: ${show(a[n])}`;
      return `${path}: expected ${e.length} records, got ${a.length} (${extra})`;
    }
    return undefined;
  }
  if (isObj(e) && isObj(a)) {
    for (const k of [...Object.keys(e), ...Object.keys(a).filter((x) => !(x in e))]) {
      if (!(k in a)) return `${path}: field ${k} missing (expected ${show(e[k])})`;
      if (!(k in e)) return `${path}: unexpected field ${k} = ${show(a[k])}`;
      if (JSON.stringify(e[k]) !== JSON.stringify(a[k])) return `${path}: field ${k}: expected ${show(e[k])}, got ${show(a[k])}`;
    }
    return undefined;
  }
  return JSON.stringify(e) === JSON.stringify(a) ? undefined : `${path}: expected ${show(e)}, got ${show(a)}`;
}

function label(r: unknown): string {
  if (!isObj(r)) return '';
  const bits = [
    r['step'] !== undefined ? `step ${String(r['step'])}` : '',
    typeof r['type'] === 'string' ? r['type'] : typeof r['op'] === 'string' ? r['op'] : '',
  ];
  const s = bits.filter((b) => b !== '').join(' ');
  return s === '' ? '' : ` (${s})`;
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** 1-based number of the first line where the two texts differ. */
export function firstLine(a: string, b: string): number {
  const x = a.split('\n');
  const y = b.split('\n');
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i + 1;
}
