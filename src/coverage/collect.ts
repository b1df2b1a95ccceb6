/**
 * Read every scenario under a scenarios root with the real loader (the same checks `run` and
 * `validate` apply) and keep, per file, what the coverage map and the hygiene checks need: the
 * loaded scenario or its errors, and the plain YAML data so a file that does not load can still
 * be inspected. Sorted by id.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { idOf } from '../engine/discover.ts';
import { listYaml } from '../golden/store.ts';
import type { LoadError } from '../scenario/errors.ts';
import { loadScenarioText } from '../engine/load.ts';
import type { Scenario } from '../scenario/types.ts';
import { cmp, type ScenarioCoverage, renderCoverageMap } from './map.ts';
import { RULES } from '../scenario/rules.ts';

export interface SuiteEntry {
  /** Path under the root without `.yaml`, `/`-separated. */
  readonly id: string;
  /** Path relative to the repository, e.g. `scenarios/cmdq/ring-wrap.yaml`. */
  readonly display: string;
  readonly file: string;
  readonly scenario: Scenario | undefined;
  readonly errors: readonly LoadError[];
  /** Plain YAML data (numbers, not bigints); undefined when the file is not parseable YAML. */
  readonly raw: unknown;
}

export function collectSuite(root: string, displayPrefix = 'scenarios'): SuiteEntry[] {
  const out: SuiteEntry[] = [];
  for (const file of listYaml(root)) {
    const id = idOf(file, root);
    if (id === undefined) continue;
    const display = `${displayPrefix}/${id}.yaml`;
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      out.push({
        id,
        display,
        file,
        scenario: undefined,
        raw: undefined,
        errors: [{ code: 'READ_FAILED', file: display, line: 1, col: 1, path: '', message: `Cannot read scenario: ${why}` }],
      });
      continue;
    }
    const loaded = loadScenarioText(source, { file: display, id });
    // Parsed on first use: only `check` reads it, and parsing every file again is most of the
    // cost of collecting a suite for the HTML report's coverage map.
    let raw: { value: unknown } | undefined;
    out.push({
      id,
      display,
      file,
      scenario: loaded.scenario,
      errors: loaded.errors,
      get raw(): unknown {
        raw ??= { value: parseOrUndefined(source) };
        return raw.value;
      },
    });
  }
  return out.sort((a, b) => cmp(a.id, b.id));
}

function parseOrUndefined(source: string): unknown {
  try {
    return parse(source);
  } catch {
    return undefined;
  }
}

/** The coverage input: loaded scenarios with their claims, and the ids of those that failed. */
export function coverageInput(entries: readonly SuiteEntry[]): { scenarios: ScenarioCoverage[]; failed: string[] } {
  const scenarios: ScenarioCoverage[] = [];
  const failed: string[] = [];
  for (const e of entries) {
    if (e.scenario === undefined) failed.push(e.id);
    else scenarios.push({ id: e.id, covers: e.scenario.covers ?? [] });
  }
  return { scenarios, failed };
}

/** docs/coverage.md for the repository at `repoRoot`, as the script writes it. */
export function generateCoverageDoc(repoRoot: string): { text: string; entries: SuiteEntry[] } {
  const entries = collectSuite(join(repoRoot, 'scenarios'));
  const { scenarios, failed } = coverageInput(entries);
  return { text: renderCoverageMap(scenarios, RULES, { failed }), entries };
}
