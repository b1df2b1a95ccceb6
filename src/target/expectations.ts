/**
 * Per-target expectation files (targets/<target>.yaml): each scenario a target is known to fail,
 * with the rule it breaks and the section that states the rule. A listed scenario that fails is
 * XFAIL (the rule is shown); one that passes is XPASS, a failure that says the entry is stale (the
 * deviation was fixed). Errors in the file name file:line:col.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
/** The shape the runner's expected-failure list has (engine/expect-fail.ts), without importing upwards. */
interface ExpectFailList {
  readonly matches: (id: string) => boolean;
  readonly unused: (ids: readonly string[]) => string[];
  readonly reason?: (id: string) => string | undefined;
}

export interface Deviation {
  readonly scenario: string;
  readonly rule: string;
  readonly section: string;
}

export interface TargetExpectations extends ExpectFailList {
  readonly target: string;
  readonly deviations: readonly Deviation[];
}

export function parseTargetExpectations(text: string, file: string): TargetExpectations | string {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const at = (offset: number | undefined): string => {
    const p = lc.linePos(offset ?? 0);
    return `${file}:${p.line}:${p.col}`;
  };
  if (doc.errors.length > 0) return `${at(doc.errors[0]?.pos[0])}: ${doc.errors[0]?.message ?? 'invalid YAML'}`;
  const data = doc.toJS() as unknown;
  if (typeof data !== 'object' || data === null) return `${file}:1:1: expected a map with target and deviations`;
  const d = data as Record<string, unknown>;
  if (typeof d['target'] !== 'string') return `${file}:1:1: expected \`target: <name>\``;
  const list = d['deviations'] ?? [];
  if (!Array.isArray(list)) return `${file}:1:1: expected \`deviations:\` to be a list`;
  const out: Deviation[] = [];
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as Record<string, unknown> | null;
    const node = doc.getIn(['deviations', i], true) as { range?: [number, number, number] } | undefined;
    for (const k of ['scenario', 'rule', 'section']) {
      if (e === null || typeof e !== 'object' || typeof e[k] !== 'string' || e[k] === '')
        return `${at(node?.range?.[0])}: deviation ${i + 1} needs a non-empty \`${k}\``;
    }
    const ok = e as { scenario: string; rule: string; section: string };
    if (!/^§\d/.test(ok.section)) return `${at(node?.range?.[0])}: deviation ${i + 1}: section "${ok.section}" must start with § and a number`;
    out.push({ scenario: ok.scenario, rule: ok.rule, section: ok.section });
  }
  const by = new Map(out.map((x) => [x.scenario, x]));
  return {
    target: d['target'],
    deviations: out,
    matches: (id) => by.has(id),
    // a stale entry shows as XPASS when its scenario runs; a partial run leaves most entries unused
    unused: () => [],
    reason: (id) => {
      const x = by.get(id);
      return x === undefined ? undefined : `known ${d['target'] as string} deviation: ${x.rule} (${x.section})`;
    },
  };
}

export function loadTargetExpectations(path: string): TargetExpectations | string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return `Cannot read target expectations "${path}": ${e instanceof Error ? e.message : String(e)}`;
  }
  return parseTargetExpectations(text, path);
}
