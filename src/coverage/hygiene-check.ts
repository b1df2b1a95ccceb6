/**
 * The hygiene checks over a scenarios root and its golden directory: every scenario loads, cites
 * its rule, has a tag and a golden at the same path, no two are the same test, and no golden is
 * left without its scenario. Each list names every offender by path (empty = clean).
 */
import { existsSync } from 'node:fs';
import { findObsoleteGoldens, goldenPath } from '../golden/store.ts';
import { formatLoadError } from '../scenario/errors.ts';
import { collectSuite, type SuiteEntry } from './collect.ts';
import { citesRule, findDuplicates, scenarioBody } from './hygiene.ts';

export interface HygieneReport {
  readonly scenarios: number;
  /** `file:line:col: error[CODE] ...` for every load error. */
  readonly loadErrors: readonly string[];
  readonly uncited: readonly string[];
  readonly untagged: readonly string[];
  readonly missingGoldens: readonly string[];
  /** One line per group: `a.yaml, b.yaml` (every path of the group). */
  readonly duplicates: readonly string[];
  readonly obsoleteGoldens: readonly string[];
}

/** A key of the loaded scenario, or of the plain YAML when the scenario did not load. */
function field(e: SuiteEntry, key: 'description' | 'tags'): unknown {
  if (e.scenario !== undefined) return e.scenario[key];
  const raw = e.raw;
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>)[key] : undefined;
}

export function checkHygiene(scenarioRoot: string, goldenDir: string, labels = { scenarios: 'scenarios', golden: 'golden' }): HygieneReport {
  const entries = collectSuite(scenarioRoot, labels.scenarios);
  const loadErrors = entries.flatMap((e) => e.errors.map((err) => formatLoadError(err)));
  const uncited = entries.filter((e) => {
    const d = field(e, 'description');
    return typeof d !== 'string' || !citesRule(d);
  }).map((e) => e.display);
  const untagged = entries.filter((e) => {
    const tags = field(e, 'tags');
    return !Array.isArray(tags) || tags.length === 0;
  }).map((e) => e.display);
  const missingGoldens = entries
    .filter((e) => !existsSync(goldenPath(goldenDir, e.id)))
    .map((e) => `${e.display}: no ${labels.golden}/${e.id}.yaml`);
  // The loaded form when there is one: hex, decimal and K/M/G spellings of one value agree.
  const bodies = entries
    .filter((e) => e.scenario !== undefined || e.raw !== undefined)
    .map((e) => ({ id: e.display, body: scenarioBody(e.scenario ?? e.raw) }));
  const duplicates = findDuplicates(bodies).map((g) => g.join(', '));
  const obsoleteGoldens = findObsoleteGoldens(goldenDir, scenarioRoot).map((id) => `${labels.golden}/${id}.yaml: no ${labels.scenarios}/${id}.yaml`);
  return { scenarios: entries.length, loadErrors, uncited, untagged, missingGoldens, duplicates, obsoleteGoldens };
}
