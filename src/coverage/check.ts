/**
 * `smmu-conform check` for any scenario tree: everything `validate` finds (schema, references,
 * citations in descriptions, `covers:` ids in the rule catalogue) plus the suite rules that used
 * to be test-only here: a tag on every scenario, a golden for every scenario and a scenario for
 * every golden, no two scenarios that are the same test, no temp files of a killed update, and
 * an up-to-date coverage map when one is kept. Every finding is located (file:line:col) with a
 * stable code, like load errors.
 */
import { type Dirent, existsSync, readdirSync, readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { LineCounter, parse, parseDocument } from 'yaml';
import { firstLine } from '../golden/compare.ts';
import { findObsoleteGoldens, goldenPath, TEMP_FILE } from '../golden/store.ts';
import type { LoadError } from '../scenario/errors.ts';
import { Locator } from '../scenario/locate.ts';
import { collectSuite, coverageInput, type SuiteEntry } from './collect.ts';
import { coversGaps } from './covers-observable.ts';
import { citesRule, findDuplicates, scenarioBody } from './hygiene.ts';
import { cmp, renderCoverageMap } from './map.ts';
import { RULES } from '../scenario/rules.ts';
import { posix } from '../engine/discover.ts';

export type CheckCode =
  | LoadError['code']
  | 'UNCITED'
  | 'UNTAGGED'
  | 'MISSING_GOLDEN'
  | 'OBSOLETE_GOLDEN'
  | 'DUPLICATE_SCENARIO'
  | 'ORPHAN_TEMP'
  | 'STALE_COVERAGE_MAP'
  | 'COVERS_NOT_OBSERVED';

export interface Finding {
  readonly code: CheckCode;
  /** As shown: relative to the working directory. */
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export interface CheckOptions {
  readonly cwd: string;
  readonly root: string;
  readonly goldenDir: string;
  /** Markdown coverage map to keep current (absolute), if the project keeps one. */
  readonly coverageMap?: string;
  /** How the user runs the tool (`npx smmu-conform run --root x`), for the suggested fixes. */
  readonly rerun: string;
  /** The check command with the same settings, for the coverage-map fix. */
  readonly recheck: string;
  /**
   * The tree under `root` as collectSuite(root, its label relative to cwd) returns it, when the
   * caller already collected it (the coverage-map test: one collection, not two); else collected here.
   */
  readonly entries?: readonly SuiteEntry[];
}

export interface CheckReport {
  readonly scenarios: number;
  readonly goldens: number;
  /** Sorted by file, line, col, code. */
  readonly findings: readonly Finding[];
  /** The coverage map text for this tree (written by `check --write-coverage-map`). */
  readonly coverageText?: string;
}

export function checkTree(opts: CheckOptions): CheckReport {
  const show = (abs: string): string => posix(relative(opts.cwd, abs)) || '.';
  const rootLabel = show(opts.root);
  const entries = opts.entries ?? collectSuite(opts.root, rootLabel);
  const findings: Finding[] = [];
  const at = (file: string, code: CheckCode, message: string, line = 1, col = 1): void => {
    findings.push({ code, file, line, col, message });
  };
  for (const e of entries)
    for (const err of e.errors) at(err.file, err.code, err.path === '' ? err.message : `at ${err.path}: ${err.message}`, err.line, err.col);

  for (const e of entries) {
    // Parsed again with positions only when a finding needs one (most files have none).
    let parsed: { loc: Locator | undefined } | undefined;
    const position = (path: (string | number)[]): { line: number; col: number } => {
      parsed ??= { loc: locator(e) };
      return parsed.loc?.locate(path) ?? { line: 1, col: 1 };
    };
    const d = field(e, 'description');
    // Schema errors already cover a missing or pattern-less description; this is the wider citation rule.
    if (typeof d === 'string' && !citesRule(d) && !e.errors.some((x) => x.path === 'description')) {
      const p = position(['description']);
      at(e.display, 'UNCITED', 'The description cites no rule: name a section ("SMMUv3 §7.3.13") or a reference note', p.line, p.col);
    }
    const tags = field(e, 'tags');
    if (Array.isArray(tags) && tags.length === 0) {
      const p = position(['tags']);
      at(e.display, 'UNTAGGED', 'No tags: give the scenario at least one tag (run --tag selects by them)', p.line, p.col);
    }
    const g = goldenPath(opts.goldenDir, e.id);
    if (!existsSync(g))
      at(e.display, 'MISSING_GOLDEN', `No golden ${show(g)}; create it with: ${opts.rerun} ${e.display} --update --create (then check every value by hand)`);
    else if (e.scenario !== undefined) {
      // issue 14 part 4: a claimed rule's observable must appear in the golden.
      let golden: unknown;
      try {
        golden = parse(readFileSync(g, 'utf8'));
      } catch {
        golden = undefined; // a golden that does not parse is reported by run, not here
      }
      if (golden !== undefined)
        for (const gap of coversGaps(e.scenario.covers ?? [], e.raw, golden)) {
          const p = position(['covers', gap.index]);
          at(
            e.display,
            'COVERS_NOT_OBSERVED',
            `covers: ${gap.rule} is claimed but ${show(g)} does not show ${gap.expected}: claim the rule the scenario does exercise (src/scenario/rules.ts)`,
            p.line,
            p.col,
          );
        }
    }
  }

  const bodies = entries
    .filter((e) => e.scenario !== undefined || e.raw !== undefined)
    .map((e) => ({ id: e.display, body: scenarioBody(e.scenario ?? e.raw) }));
  for (const group of findDuplicates(bodies)) {
    for (const f of group)
      at(
        f,
        'DUPLICATE_SCENARIO',
        `Same test as ${group.filter((x) => x !== f).join(', ')} once name/description/tags/covers are dropped: remove one or make them differ`,
      );
  }
  const obsolete = findObsoleteGoldens(opts.goldenDir, opts.root);
  for (const id of obsolete)
    at(show(goldenPath(opts.goldenDir, id)), 'OBSOLETE_GOLDEN', `No scenario ${rootLabel}/${id}.yaml: delete this golden or restore its scenario`);
  for (const tmp of tempFiles(opts.goldenDir))
    at(show(tmp), 'ORPHAN_TEMP', `Temp file of an interrupted golden update: delete it (the next ${opts.rerun} --update removes it)`);

  let coverageText: string | undefined;
  if (opts.coverageMap !== undefined) {
    const { scenarios, failed } = coverageInput(entries);
    coverageText = renderCoverageMap(scenarios, RULES, { failed });
    let current: string | undefined;
    try {
      current = readFileSync(opts.coverageMap, 'utf8').replace(/\r\n/g, '\n');
    } catch {
      current = undefined;
    }
    if (current !== coverageText) {
      at(
        show(opts.coverageMap),
        'STALE_COVERAGE_MAP',
        `Coverage map is ${current === undefined ? 'missing' : 'out of date'}; regenerate it with: ${opts.recheck} --write-coverage-map`,
        current === undefined ? 1 : firstLine(current, coverageText),
      );
    }
  }
  findings.sort((a, b) => cmp(a.file, b.file) || a.line - b.line || a.col - b.col || cmp(a.code, b.code));
  return { scenarios: entries.length, goldens: countGoldens(opts.goldenDir), findings, ...(coverageText !== undefined ? { coverageText } : {}) };
}

export function formatFinding(f: Finding): string {
  return `${f.file}:${f.line}:${f.col}: error[${f.code}]: ${f.message}`;
}

function field(e: SuiteEntry, key: 'description' | 'tags'): unknown {
  if (e.scenario !== undefined) return e.scenario[key];
  const raw = e.raw;
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>)[key] : undefined;
}

function locator(e: SuiteEntry): Locator | undefined {
  try {
    const lines = new LineCounter();
    const doc = parseDocument(readFileSync(e.file, 'utf8'), { lineCounter: lines });
    return new Locator(doc, lines);
  } catch {
    return undefined;
  }
}

function tempFiles(dir: string): string[] {
  return walk(dir).filter((f) => TEMP_FILE.test(f.slice(f.lastIndexOf(sep) + 1)));
}

function countGoldens(dir: string): number {
  return walk(dir).filter((f) => f.endsWith('.yaml') && !f.slice(f.lastIndexOf(sep) + 1).startsWith('.')).length;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  const go = (d: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = `${d}${sep}${e.name}`;
      if (e.isDirectory()) go(p);
      else out.push(p);
    }
  };
  go(dir);
  return out.sort();
}
