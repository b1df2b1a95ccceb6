/**
 * Scenario hygiene rules checked by test/hygiene.test.ts: a description must cite where its rule
 * is stated, and no two scenarios may be the same test under different names. Pure functions, so
 * they can be tested on synthetic input.
 */
import { NOTES as REFERENCE_NOTES } from './citations.ts';
import { cmp } from './map.ts';

const CITATIONS: readonly RegExp[] = [
  /§ ?[0-9]/, // SMMUv3 §7.3.13, linux-smmuv3-iommufd.md §6.6
  /\b[Ss]ection [0-9]/,
  new RegExp(`\\b(?:${REFERENCE_NOTES.join('|')})\\.md\\b`),
  /\berrata [A-Z]\.[0-9]/, // errata.md entries: "errata B.4"
  /\bArm ARM [A-Z][0-9]/, // Arm ARM D8.2.7
];

/** True when the description cites a spec section or a reference note. */
export function citesRule(description: string): boolean {
  return CITATIONS.some((re) => re.test(description));
}

/** Keys that name or explain a scenario but do not change what it does. */
export const NON_BODY_KEYS: ReadonlySet<string> = new Set(['name', 'description', 'tags', 'covers']);

/**
 * Canonical JSON of a scenario without its name/description/tags/covers: object keys sorted at
 * every depth, bigints as 0x hex (so `0x1000`, `4096` and `4K` loaded through the loader agree).
 * Two scenarios with the same body run the same test.
 */
export function scenarioBody(data: unknown): string {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return canonicalJson(data);
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) if (!NON_BODY_KEYS.has(k)) rest[k] = v;
  return canonicalJson(rest);
}

export function canonicalJson(v: unknown): string {
  if (typeof v === 'bigint') return JSON.stringify(`0x${v.toString(16)}`);
  if (v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort(cmp);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Groups (each sorted, ≥ 2 ids) of scenarios whose bodies are identical, sorted by first id. */
export function findDuplicates(items: ReadonlyArray<{ readonly id: string; readonly body: string }>): string[][] {
  const groups = new Map<string, string[]>();
  for (const it of items) {
    const g = groups.get(it.body);
    if (g === undefined) groups.set(it.body, [it.id]);
    else g.push(it.id);
  }
  return [...groups.values()]
    .filter((g) => g.length > 1)
    .map((g) => [...g].sort(cmp))
    .sort((a, b) => cmp(a[0] ?? '', b[0] ?? ''));
}
