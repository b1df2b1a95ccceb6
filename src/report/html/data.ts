/**
 * What the HTML report shows beyond the ReportInput: the rule catalogue with each scenario's
 * `covers`, and for every failing scenario its decoded event records (actual and golden, side by
 * side) and the walk trace of each DMA step, gathered by re-running only those scenarios with
 * walk tracing on. Built by the CLI when an html reporter is asked for.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { collectSuite } from '../../coverage/collect.ts';
import { RULES } from '../../scenario/rules.ts';
import type { ScenarioResult } from '../../engine/result.ts';
import type { TargetResults } from './target-results.ts';
import { loadExecutor } from '../../engine/run-one.ts';
import type { Profile } from '../../scenario/observation.ts';
import { goldenPath } from '../../golden/store.ts';
import { loadScenarioFile } from '../../engine/load.ts';

export interface RuleRow {
  readonly id: string;
  readonly area: string;
  readonly title: string;
  readonly source: string;
}

/** One event record as a flat map of printable fields. */
export type EventRow = Readonly<Record<string, string>>;

export interface FailureDetail {
  readonly events: readonly EventRow[];
  readonly goldenEvents: readonly EventRow[];
  /** Walk lines per DMA step (explain format). */
  readonly walks: readonly { readonly step: number; readonly lines: readonly string[] }[];
  /** Why the details could not be gathered, if so. */
  readonly note?: string;
}

export interface HtmlExtras {
  /** Name of the target the results are for (one column group per target in the matrix). */
  readonly target: string;
  /** Other targets' results (`run --matrix-with FILE`): one more column group each. */
  readonly others?: readonly TargetResults[];
  /** The events and walks below a failure are the reference model's (the run was on an external target). */
  readonly referenceDetails?: boolean;
  readonly rules: readonly RuleRow[];
  /** Scenario id -> rule ids it covers. */
  readonly covers: Readonly<Record<string, readonly string[]>>;
  /** Scenario id -> details, for failing scenarios. */
  readonly failures: Readonly<Record<string, FailureDetail>>;
}

export interface ExtrasOptions {
  readonly root: string;
  readonly goldenDir: string;
  readonly profile: Profile;
  readonly executorModule: string;
  /** The results to describe: files are re-run only for fail/xpass/error (not invalid). */
  readonly results: readonly ScenarioResult[];
  /** The run's target name, when it was not the built-in emulator. */
  readonly target?: string;
  readonly others?: readonly TargetResults[];
}

function show(v: unknown): string {
  // 64-bit values as the goldens print them (fixed-width hex), so actual and golden compare as text.
  if (typeof v === 'bigint') return `0x${v.toString(16).padStart(16, '0')}`;
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (v === null || v === undefined) return '-';
  return String(v);
}

function row(e: Readonly<Record<string, unknown>>): EventRow {
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, show(v)]));
}

export async function collectHtmlExtras(opts: ExtrasOptions): Promise<HtmlExtras> {
  const covers: Record<string, readonly string[]> = {};
  for (const e of collectSuite(opts.root)) covers[e.id] = e.scenario?.covers ?? [];
  const failures: Record<string, FailureDetail> = {};
  const exec = await loadExecutor(opts.executorModule);
  for (const r of opts.results) {
    if (!(r.state === 'fail' || r.state === 'xpass' || r.state === 'xfail' || (r.state === 'error' && !r.invalid))) continue;
    failures[r.id] = detail(r, opts, exec);
  }
  return {
    target: opts.target ?? opts.profile.name,
    ...(opts.target !== undefined ? { referenceDetails: true } : {}),
    ...(opts.others !== undefined && opts.others.length > 0 ? { others: opts.others } : {}),
    rules: RULES.map((x) => ({ id: x.id, area: x.area, title: x.title, source: x.source })),
    covers,
    failures,
  };
}

function detail(r: ScenarioResult, opts: ExtrasOptions, exec: Awaited<ReturnType<typeof loadExecutor>>): FailureDetail {
  let goldenEvents: EventRow[] = [];
  try {
    const g = parse(readFileSync(goldenPath(opts.goldenDir, r.id), 'utf8')) as { events?: Record<string, unknown>[] } | null;
    goldenEvents = (g?.events ?? []).map(row);
  } catch {
    goldenEvents = [];
  }
  const empty = { events: [], goldenEvents, walks: [] };
  if (typeof exec === 'string') return { ...empty, note: exec };
  const loaded = loadScenarioFile(`${opts.root}/${r.id}.yaml`, { file: r.file, id: r.id });
  if (loaded.scenario === undefined) return { ...empty, note: 'the scenario does not load' };
  try {
    const obs = exec(loaded.scenario, { profile: opts.profile, trace: true });
    return { events: obs.events.map(row), goldenEvents, walks: (obs.walks ?? []).map((w) => ({ step: w.step, lines: [...w.lines] })) };
  } catch (e) {
    return { ...empty, note: `executor crashed: ${e instanceof Error ? e.message : String(e)}` };
  }
}
