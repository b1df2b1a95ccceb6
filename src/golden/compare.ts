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

/**
 * Where two canonical texts first part, as data (the differential fuzzer classifies by it):
 * `section` (steps, events, cmdq, ...), the record index and that record in both texts (when the
 * section is a list), and either the differing `field` with both values or a record count
 * difference (`count`). Undefined when the texts are equal as YAML.
 */
export interface Divergence {
  readonly section: string;
  /** `section[i] (step n type)` plus, for a record, its label: how the summary names the place. */
  readonly path: string;
  readonly index?: number;
  readonly expectedRecord?: unknown;
  readonly actualRecord?: unknown;
  readonly field?: string;
  readonly kind: 'value' | 'missing-field' | 'extra-field' | 'count';
  readonly expected?: unknown;
  readonly actual?: unknown;
  readonly expectedCount?: number;
  readonly actualCount?: number;
}

/** The first divergence as data, or a string saying why the texts cannot be compared as maps. */
export function divergencePoint(expected: string, actual: string): Divergence | string | undefined {
  const ds = sectionDivergences(expected, actual);
  return typeof ds === 'string' ? ds : ds[0];
}

/**
 * The first divergence of each top-level section (steps, events, cmdq, ...), in section order, or
 * a string saying why the texts cannot be compared as maps. The differential fuzzer places each by
 * its step to find the earliest in the scenario's own order (differential/pair.ts).
 */
export function sectionDivergences(expected: string, actual: string): Divergence[] | string {
  let e: unknown;
  let a: unknown;
  try {
    e = parse(expected);
    a = parse(actual);
  } catch {
    return `golden is not valid YAML; first differing line ${firstLine(expected, actual)}`;
  }
  if (!isObj(e) || !isObj(a)) return `golden is not a map; first differing line ${firstLine(expected, actual)}`;
  const out: Divergence[] = [];
  for (const k of [...Object.keys(e), ...Object.keys(a).filter((x) => !(x in e))]) {
    const d = diverge(k, k, e[k], a[k]);
    if (d !== undefined) out.push(d);
  }
  return out;
}

/** One line naming the first section, record and field where `actual` departs from `expected`. */
export function firstDivergence(expected: string, actual: string): string {
  const d = divergencePoint(expected, actual);
  if (typeof d === 'string') return d;
  if (d === undefined) return `texts differ in formatting only (first differing line ${firstLine(expected, actual)})`;
  return divergenceText(d);
}

/** The one-line text of a divergence (the golden mismatch summary). */
export function divergenceText(d: Divergence): string {
  switch (d.kind) {
    case 'count': {
      const extra = (d.expectedCount ?? 0) > (d.actualCount ?? 0) ? `first missing: ${show(d.expectedRecord)}` : `first extra: ${show(d.actualRecord)}`;
      return `${d.path}: expected ${d.expectedCount} records, got ${d.actualCount} (${extra})`;
    }
    case 'missing-field':
      return `${d.path}: field ${d.field} missing (expected ${show(d.expected)})`;
    case 'extra-field':
      return `${d.path}: unexpected field ${d.field} = ${show(d.actual)}`;
    default:
      return d.field !== undefined
        ? `${d.path}: field ${d.field}: expected ${show(d.expected)}, got ${show(d.actual)}`
        : `${d.path}: expected ${show(d.expected)}, got ${show(d.actual)}`;
  }
}

interface Place {
  readonly index?: number;
  readonly expectedRecord?: unknown;
  readonly actualRecord?: unknown;
}

function diverge(section: string, path: string, e: unknown, a: unknown, at: Place = {}): Divergence | undefined {
  if (Array.isArray(e) && Array.isArray(a)) {
    const n = Math.min(e.length, a.length);
    for (let i = 0; i < n; i++) {
      const d = diverge(section, `${path}[${i}]${label(e[i])}`, e[i], a[i], { index: i, expectedRecord: e[i], actualRecord: a[i] });
      if (d !== undefined) return d;
    }
    if (e.length !== a.length) {
      return {
        section,
        path,
        kind: 'count',
        index: n,
        expectedCount: e.length,
        actualCount: a.length,
        ...(n < e.length ? { expectedRecord: e[n] } : {}),
        ...(n < a.length ? { actualRecord: a[n] } : {}),
      };
    }
    return undefined;
  }
  if (isObj(e) && isObj(a)) {
    for (const k of [...Object.keys(e), ...Object.keys(a).filter((x) => !(x in e))]) {
      if (!(k in a)) return { section, path, ...at, kind: 'missing-field', field: k, expected: e[k] };
      if (!(k in e)) return { section, path, ...at, kind: 'extra-field', field: k, actual: a[k] };
      if (JSON.stringify(e[k]) !== JSON.stringify(a[k])) return { section, path, ...at, kind: 'value', field: k, expected: e[k], actual: a[k] };
    }
    return undefined;
  }
  return JSON.stringify(e) === JSON.stringify(a) ? undefined : { section, path, ...at, kind: 'value', expected: e, actual: a };
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
