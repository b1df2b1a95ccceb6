/**
 * Delta debugging (Zeller and Hildebrandt's ddmin) over a scenario's YAML document: the smallest
 * scenario that is still "interesting" (the caller's test: it loads and shows the same deviation
 * class). Works on the document, not the typed scenario, so that every candidate is ordinary
 * scenario text and the result keeps its notation (hex with `_`, flow maps).
 *
 * Dimensions, in this order, repeated until a pass removes nothing or the test budget is spent:
 * the steps; every other list (mappings of a table, streams, devices, CD entries, the commands of a
 * batch, raw memory writes, ...); then every key of every map (optional fields of steps, STEs, CDs,
 * mappings, the `smmu:` block...). A candidate the loader rejects is simply not interesting.
 * Inline `expect:` blocks are dropped first: they are reference-model checks, and a minimised
 * scenario's values belong in its golden.
 */
import { type Document, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';

export interface MinimiseResult {
  readonly text: string;
  /** Candidates tested (distinct texts). */
  readonly tests: number;
  /** False when the budget ran out before a pass removed nothing. */
  readonly complete: boolean;
}

type Path = ReadonlyArray<string | number>;

/** Keys a scenario must keep for the result to be a scenario at all. */
const KEEP_TOP = new Set(['description', 'steps', 'tags']);

export function minimise(text: string, interesting: (candidate: string) => boolean, budget = 400): MinimiseResult {
  const seen = new Map<string, boolean>();
  let tests = 0;
  let exhausted = false;
  const test = (doc: Document): boolean => {
    const t = doc.toString({ lineWidth: 0 });
    const known = seen.get(t);
    if (known !== undefined) return known;
    if (tests >= budget) {
      exhausted = true;
      return false;
    }
    tests++;
    const r = interesting(t);
    seen.set(t, r);
    return r;
  };

  let doc: Document = parseDocument(text);
  const stripped = doc.clone();
  for (const p of paths(stripped)
    .pairs.filter((x) => x[x.length - 1] === 'expect')
    .reverse())
    stripped.deleteIn(p);
  let reduced = false;
  if (test(stripped)) {
    doc = stripped;
    reduced = true;
  }

  for (let changed = true; changed && !exhausted; ) {
    changed = false;
    // lists: steps first (the largest win), then every other list in document order
    const seqs = paths(doc).seqs.sort((a, b) => Number(b.length === 1 && b[0] === 'steps') - Number(a.length === 1 && a[0] === 'steps'));
    for (const p of seqs) {
      const node = doc.getIn(p, true);
      if (!isSeq(node) || node.items.length === 0) continue;
      const all = node.items.map((_, i) => i);
      const keep = ddmin(all, (k) => test(withItems(doc, p, k)));
      if (keep.length < all.length) {
        doc = withItems(doc, p, keep);
        changed = reduced = true;
      }
    }
    // keys, deepest first so that a removed parent does not hide its children's paths
    const pairs = paths(doc)
      .pairs.filter((p) => !(p.length === 1 && KEEP_TOP.has(String(p[0]))))
      .sort((a, b) => b.length - a.length);
    for (const p of pairs) {
      if (!doc.hasIn(p)) continue;
      const c = doc.clone();
      c.deleteIn(p);
      if (test(c)) {
        doc = c;
        changed = reduced = true;
      }
    }
  }
  return { text: reduced ? doc.toString({ lineWidth: 0 }) : text, tests, complete: !exhausted };
}

/** Classic ddmin over item indices: the smallest subset (1-minimal within the budget) still passing `test`. */
export function ddmin(items: readonly number[], test: (keep: number[]) => boolean): number[] {
  let cur = [...items];
  let n = 2;
  while (cur.length > 0) {
    const chunk = Math.ceil(cur.length / n);
    let reduced = false;
    for (let i = 0; i < cur.length; i += chunk) {
      const keep = [...cur.slice(0, i), ...cur.slice(i + chunk)];
      if (test(keep)) {
        cur = keep;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (chunk <= 1) break;
      n = Math.min(cur.length, n * 2);
    }
  }
  return cur;
}

function withItems(doc: Document, p: Path, keep: readonly number[]): Document {
  const c = doc.clone();
  const node = c.getIn(p, true);
  if (isSeq(node)) {
    const set = new Set(keep);
    node.items = node.items.filter((_, i) => set.has(i));
  }
  return c;
}

/** Paths of every list and every map key below the root, in document order. */
function paths(doc: Document): { seqs: Path[]; pairs: Path[] } {
  const seqs: Path[] = [];
  const pairs: Path[] = [];
  const walk = (node: unknown, at: Path): void => {
    if (isSeq(node)) {
      // lists of values (raw dwords, tags, permissions) are fields: the key pass removes them whole
      if (at.length > 0 && node.items.some((x) => isMap(x) || isSeq(x))) seqs.push(at);
      node.items.forEach((x, i) => walk(x, [...at, i]));
    } else if (isMap(node)) {
      for (const it of node.items) {
        if (!isPair(it)) continue;
        const k = isScalar(it.key) ? it.key.value : it.key;
        if (typeof k !== 'string' && typeof k !== 'number') continue;
        pairs.push([...at, k]);
        walk(it.value, [...at, k]);
      }
    }
  };
  walk(doc.contents, []);
  return { seqs, pairs };
}
