/**
 * The campaign report: deviation classes with counts, one example each (the smallest scenario id
 * in the class, so the choice does not depend on shard or run order), whether the target's
 * expectation file already knows the class, and the minimised scenario. Built from the per-
 * scenario result lines of one or more campaign directories (merge = union by scenario id), so the
 * same seeds give the same report bytes however the campaign was split. Timings live elsewhere
 * (timings.json): they are measurements, not results.
 */
import { cmp } from '../engine/discover.ts';
import { canonicalClass, causeOfKey } from './classify.ts';

/** One scenario's outcome, as a line of results.jsonl. */
export interface ResultLine {
  readonly id: string;
  readonly seed: number;
  readonly verdict: 'agree' | 'deviates' | 'skip' | 'error';
  readonly key?: string;
  readonly field?: string;
  readonly rule?: string;
  readonly section?: string;
  /** The rule the target breaks, apart from the combination (classify.ts causeOf). */
  readonly cause?: string;
  /** The target's wrong event as a cause (classify.ts targetCause). */
  readonly targetCause?: string;
  readonly summary?: string;
  /** skip reason or error message, abstracted (numbers and addresses replaced) for grouping. */
  readonly reason?: string;
}

/** What the target's expectation file says about a class (found by running its listed scenarios). */
export interface KnownDeviation {
  readonly key: string;
  /** The rule the entry's scenario breaks (classify.ts causeOf); absent in campaigns of older versions. */
  readonly cause?: string;
  readonly scenario: string;
  readonly rule: string;
  readonly section: string;
}

export interface MinimisedLine {
  readonly key: string;
  /** The example it was minimised from. */
  readonly example: string;
  /** File under the campaign directory (minimised/<slug>.yaml). */
  readonly file: string;
  readonly stepsBefore: number;
  readonly stepsAfter: number;
  readonly tests: number;
  readonly complete: boolean;
}

export interface ClassReport {
  readonly key: string;
  readonly field: string;
  readonly rule: string;
  readonly section: string;
  readonly count: number;
  readonly example: { readonly id: string; readonly seed: number; readonly summary: string };
  /**
   * The expectation entry that knows the class: `by: 'class'`, its scenario shows this very class;
   * `by: 'rule'`, it breaks the same rule (`cause`) and this class is that deviation in another
   * combination (e.g. an ignored AP[1] on a nested stream instead of a stage-1 one).
   */
  readonly known: { readonly scenario: string; readonly rule: string; readonly section: string; readonly by: 'class' | 'rule'; readonly cause?: string } | null;
  readonly minimised: Omit<MinimisedLine, 'key'> | null;
}

export interface CampaignReport {
  readonly target: string;
  readonly source: string;
  readonly scenarios: number;
  readonly verdicts: { readonly agree: number; readonly deviates: number; readonly skip: number; readonly error: number };
  readonly classes: readonly ClassReport[];
  readonly skipped: ReadonlyArray<{ readonly reason: string; readonly count: number }>;
  readonly errors: ReadonlyArray<{ readonly reason: string; readonly count: number; readonly example: string }>;
}

/** Union by id; the same id twice must carry the same outcome (a shard run twice), else the merge is refused. */
export function mergeResults(lists: ReadonlyArray<readonly ResultLine[]>): ResultLine[] | string {
  const by = new Map<string, ResultLine>();
  for (const list of lists) {
    for (const r of list) {
      const had = by.get(r.id);
      if (had !== undefined && JSON.stringify(had) !== JSON.stringify(r))
        return `Scenario ${r.id} has two different results (${had.verdict} ${had.key ?? ''} / ${r.verdict} ${r.key ?? ''}): were the shards run on different targets?`;
      by.set(r.id, r);
    }
  }
  return [...by.values()].sort((a, b) => cmp(a.id, b.id));
}

/** A result line whose class key is in today's form (lines of older campaigns are re-keyed). */
export function canonicalResult(r: ResultLine): ResultLine {
  if (r.key === undefined) return r;
  const c = canonicalClass({ key: r.key, field: r.field ?? '', rule: r.rule ?? '', section: r.section ?? '' }, r.summary);
  return c.key === r.key ? r : { ...r, key: c.key, field: c.field, rule: c.rule, section: c.section };
}

export function canonicalKey(key: string): string {
  return canonicalClass({ key, field: '', rule: '', section: '' }).key;
}

export function buildReport(
  target: string,
  source: string,
  resultLines: readonly ResultLine[],
  knownLines: readonly KnownDeviation[],
  minimisedLines: readonly MinimisedLine[],
): CampaignReport {
  // causes as today's classify names them (lines of earlier runs carried the key as the cause)
  const cause = (key: string, c: string | undefined): string | undefined => causeOfKey(key) ?? c;
  const results = resultLines.map(canonicalResult).map((r): ResultLine => {
    const c = r.key === undefined ? undefined : cause(r.key, r.cause);
    return c === undefined ? r : { ...r, cause: c };
  });
  const known = knownLines.map((k) => {
    const key = canonicalKey(k.key);
    const c = cause(key, k.cause);
    return { ...k, key, ...(c !== undefined ? { cause: c } : {}) };
  });
  const minimised = minimisedLines.map((m) => ({ ...m, key: canonicalKey(m.key) }));
  const sorted = [...results].sort((a, b) => cmp(a.id, b.id));
  const verdicts = { agree: 0, deviates: 0, skip: 0, error: 0 };
  const classes = new Map<string, { first: ResultLine; count: number }>();
  const skipped = new Map<string, number>();
  const errors = new Map<string, { count: number; example: string }>();
  for (const r of sorted) {
    verdicts[r.verdict]++;
    if (r.verdict === 'deviates' && r.key !== undefined) {
      const c = classes.get(r.key);
      if (c === undefined) classes.set(r.key, { first: r, count: 1 });
      else c.count++;
    } else if (r.verdict === 'skip') skipped.set(r.reason ?? '', (skipped.get(r.reason ?? '') ?? 0) + 1);
    else if (r.verdict === 'error') {
      const e = errors.get(r.reason ?? '');
      if (e === undefined) errors.set(r.reason ?? '', { count: 1, example: r.id });
      else e.count++;
    }
  }
  // the entry that breaks the same rule and shows the same key, else the same rule (a class key
  // is coarse: 'events[F_ADDR_SIZE]: missing' is a table-descriptor check on one entry and a fault
  // priority on another), else the same key
  const entries = [...known].sort((a, b) => cmp(a.scenario, b.scenario));
  // order: the same key and rule; the wrong event the target adds, when an entry shows the target
  // adding it (specific: type, stage and CLASS of what the target did); the same rule; the same key
  const knownOf = (key: string, cause: string | undefined, targetCause: string | undefined): ClassReport['known'] => {
    const same = (k: KnownDeviation): boolean => cause !== undefined && k.cause === cause;
    const exact = entries.find((x) => x.key === key && same(x));
    if (exact !== undefined) return { scenario: exact.scenario, rule: exact.rule, section: exact.section, by: 'class' };
    const t = targetCause !== undefined ? entries.find((x) => x.cause === targetCause) : undefined;
    if (t !== undefined) return { scenario: t.scenario, rule: t.rule, section: t.section, by: 'rule', cause: targetCause as string };
    const k = entries.find(same) ?? entries.find((x) => x.key === key);
    if (k === undefined) return null;
    return k.key === key
      ? { scenario: k.scenario, rule: k.rule, section: k.section, by: 'class' }
      : { scenario: k.scenario, rule: k.rule, section: k.section, by: 'rule', cause: cause as string };
  };
  const minBy = new Map(minimised.map((m) => [`${m.key}\u0000${m.example}`, m]));
  const out: ClassReport[] = [...classes.entries()]
    .sort((a, b) => cmp(a[0], b[0]))
    .map(([key, c]) => {
      const m = minBy.get(`${key}\u0000${c.first.id}`);
      return {
        key,
        field: c.first.field ?? '',
        rule: c.first.rule ?? '',
        section: c.first.section ?? '',
        count: c.count,
        example: { id: c.first.id, seed: c.first.seed, summary: c.first.summary ?? '' },
        known: knownOf(key, c.first.cause, c.first.targetCause),
        minimised:
          m === undefined
            ? null
            : { example: m.example, file: m.file, stepsBefore: m.stepsBefore, stepsAfter: m.stepsAfter, tests: m.tests, complete: m.complete },
      };
    });
  const byCount = <T extends { count: number; reason: string }>(a: T, b: T): number => b.count - a.count || cmp(a.reason, b.reason);
  return {
    target,
    source,
    scenarios: sorted.length,
    verdicts,
    classes: out,
    skipped: [...skipped.entries()].map(([reason, count]) => ({ reason, count })).sort(byCount),
    errors: [...errors.entries()].map(([reason, e]) => ({ reason, count: e.count, example: e.example })).sort(byCount),
  };
}

export function reportJson(r: CampaignReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

export function reportMarkdown(r: CampaignReport): string {
  const v = r.verdicts;
  const out = [
    `# Differential campaign: ${r.target} against the reference model`,
    '',
    `Source: ${r.source}. Scenarios: ${r.scenarios} (agree ${v.agree}, deviate ${v.deviates}, skipped ${v.skip}, error ${v.error}).`,
    '',
    `## Deviation classes (${r.classes.length}; new ${r.classes.filter((c) => c.known === null).length})`,
    '',
  ];
  if (r.classes.length === 0) out.push('None.', '');
  else {
    out.push('| class | section | count | known | example | minimised |', '| --- | --- | ---: | --- | --- | --- |');
    for (const c of r.classes) {
      const known = c.known === null ? 'new' : c.known.by === 'rule' ? `known (same rule): ${c.known.scenario}` : `known: ${c.known.scenario}`;
      const min = c.minimised === null ? '-' : `${c.minimised.file} (${c.minimised.stepsBefore} -> ${c.minimised.stepsAfter} steps)`;
      out.push(`| ${md(c.key)} | ${c.section} | ${c.count} | ${md(known)} | ${md(c.example.id)} | ${md(min)} |`);
    }
    out.push('');
    for (const c of r.classes) {
      out.push(`### ${c.key}`, '', `- rule: ${c.rule} (${c.section})`, `- first divergence (${c.example.id}, seed ${c.example.seed}): ${c.example.summary}`);
      if (c.known !== null)
        out.push(
          c.known.by === 'rule'
            ? `- known by the rule it breaks (${c.known.cause ?? ''}), in another combination: ${c.known.scenario}: ${c.known.rule} (${c.known.section})`
            : `- known: ${c.known.scenario}: ${c.known.rule} (${c.known.section})`,
        );
      if (c.minimised !== null)
        out.push(`- minimised: ${c.minimised.file} (${c.minimised.tests} candidates tried${c.minimised.complete ? '' : ', budget spent'})`);
      out.push('');
    }
  }
  out.push('## Skipped', '');
  if (r.skipped.length === 0) out.push('None.');
  for (const s of r.skipped) out.push(`- ${s.count} × ${s.reason}`);
  out.push('', '## Errors (the reference model or the harness failed)', '');
  if (r.errors.length === 0) out.push('None.');
  for (const e of r.errors) out.push(`- ${e.count} × ${e.reason} (e.g. ${e.example})`);
  return `${out.join('\n')}\n`;
}

function md(s: string): string {
  return s.replace(/\|/g, '\\|');
}
