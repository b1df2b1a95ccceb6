/**
 * A differential campaign in a directory: every scenario of the source (or of one shard of it) on
 * the reference model and the target, one result line each (results.jsonl, appended as it goes, so
 * an interrupted campaign resumes where it stopped), then one minimised scenario per deviation
 * class (minimised/, minimised.jsonl), then the report (report.json, report.md: deterministic) and
 * the measured rates (timings.json: where the time went).
 *
 * Files of a campaign directory:
 *   state.json       what the campaign is (target, source, shard): a resume must match it
 *   known.json       the classes the target's expectation file already lists (each listed scenario run differentially)
 *   results.jsonl    one ResultLine per scenario
 *   minimised.jsonl  one MinimisedLine per class example; minimised/<slug>.yaml the scenario itself
 *   report.json, report.md, timings.json
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseDocument } from 'yaml';
import { cmp } from '../engine/discover.ts';
import { loadScenarioText } from '../engine/load.ts';
import { fnv1a, type Shard, selectShard } from '../engine/shard.ts';
import { areasFor, type PartLimits } from '../generate/index.ts';
import { writeGoldenAtomic } from '../golden/store.ts';
import type { Scenario } from '../scenario/types.ts';
import type { Deviation } from '../target/expectations.ts';
import { type Fitted, fitScenario } from './adapt.ts';
import { minimise } from './minimise.ts';
import { runPair } from './pair.ts';
import {
  buildReport,
  type CampaignReport,
  canonicalKey,
  canonicalResult,
  type KnownDeviation,
  type MinimisedLine,
  mergeResults,
  type ResultLine,
  reportJson,
  reportMarkdown,
} from './report.ts';
import { type CampaignItem, loadSource, type SourceSpec } from './source.ts';
import { type DiffTarget, targetPart } from './target.ts';

export interface CampaignOptions {
  readonly target: DiffTarget;
  readonly source: SourceSpec;
  readonly shard?: Shard;
  readonly out: string;
  readonly resume: boolean;
  /** The target's known deviations (targets/<name>.yaml) and the tree their scenarios are in. */
  readonly known?: { readonly deviations: readonly Deviation[]; readonly root: string };
  /** Candidates the minimiser may try per class (0: do not minimise). */
  readonly minimiseBudget: number;
  /** Progress lines (stderr in the CLI). */
  readonly log?: (line: string) => void;
  /** Stop starting scenarios after this many ms (then minimise and report; --resume continues). */
  readonly timeLimitMs?: number;
  /** Run the shard's scenarios last to first (a second runner on the same shard, see alsoDone). */
  readonly reverse?: boolean;
  /** Other directories of this campaign whose finished scenarios count as done (re-read as it goes). */
  readonly alsoDone?: readonly string[];
  /** How often timings.json is rewritten while scenarios run (default 1000 ms). */
  readonly timingsEveryMs?: number;
}

export interface CampaignState {
  readonly format: 1;
  readonly target: string;
  readonly source: string;
  readonly shard: string;
}

export interface Timings {
  scenarios: number;
  wallMs: number;
  referenceMs: number;
  targetStartMs: number;
  targetRunMs: number;
  minimiseClasses: number;
  minimiseTests: number;
  minimiseMs: number;
}

/** What a campaign runs (state.json: a resume must match; generated scenarios depend on the part they are drawn for). */
export function describeSource(s: SourceSpec, part?: PartLimits): string {
  if (s.kind === 'corpus') return `scenario tree ${s.root}`;
  const areas = s.areas !== undefined && s.areas.length > 0 ? [...s.areas] : part !== undefined ? areasFor(part) : [];
  const drawn =
    part === undefined ? '' : ` for the part (${[...part.features].join(',')}; OAS ${part.oas ?? 48}; ${part.substreams === false ? 'no ' : ''}SubstreamIDs)`;
  return `generated${drawn}, seed ${s.seed}, count ${s.count}${areas.length > 0 ? `, areas ${areas.join(',')}` : ''}`;
}

/** Numbers and addresses out, so that reasons group (file positions, StreamIDs, sizes). */
export function abstractReason(s: string): string {
  return s
    .replace(/^[^\s:]+\.yaml:\d+:\d+: /gm, '')
    .replace(/0x[0-9a-fA-F_]+/g, '<value>')
    .replace(/\b\d{3,}\b/g, '<n>')
    .split('\n')[0] as string;
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignReport | string> {
  const log = o.log ?? (() => {});
  mkdirSync(join(o.out, 'minimised'), { recursive: true });
  const part = targetPart(o.target);
  const state: CampaignState = {
    format: 1,
    target: o.target.name,
    source: describeSource(o.source, part),
    shard: o.shard === undefined ? '1/1' : `${o.shard.index}/${o.shard.count}`,
  };
  const statePath = join(o.out, 'state.json');
  if (existsSync(statePath)) {
    if (!o.resume) return `${o.out} already holds a campaign (state.json); add --resume to continue it, or choose another --out`;
    const had = readJson<CampaignState>(statePath);
    if (typeof had === 'string') return had;
    if (JSON.stringify(had) !== JSON.stringify(state)) return `Cannot resume ${o.out}: it holds ${JSON.stringify(had)}, this run is ${JSON.stringify(state)}`;
  } else writeGoldenAtomic(statePath, `${JSON.stringify(state, null, 2)}\n`);

  const t0 = performance.now();
  const times: Timings = { scenarios: 0, wallMs: 0, referenceMs: 0, targetStartMs: 0, targetRunMs: 0, minimiseClasses: 0, minimiseTests: 0, minimiseMs: 0 };
  // timings.json is written as the campaign goes (this run's measurements added to what earlier
  // runs of the directory measured), so an interrupted campaign keeps them
  const tPath = join(o.out, 'timings.json');
  const had = existsSync(tPath) ? readJson<Timings>(tPath) : undefined;
  const before = typeof had === 'object' ? had : undefined;
  let lastWrite = performance.now();
  let running = true; // wallMs is the time of the scenario loop (minimising has its own)
  const saveTimings = (): void => {
    if (running) times.wallMs = performance.now() - t0;
    writeGoldenAtomic(tPath, `${JSON.stringify(addTimings(before, times), null, 2)}\n`);
    lastWrite = performance.now();
  };

  // 1. the classes the expectation file already knows
  const knownPath = join(o.out, 'known.json');
  let known: KnownDeviation[];
  if (existsSync(knownPath)) {
    const k = readJson<KnownDeviation[]>(knownPath);
    if (typeof k === 'string') return k;
    known = k;
  } else {
    known = knownClasses(o.target, o.known);
    writeGoldenAtomic(knownPath, `${JSON.stringify(known, null, 2)}\n`);
    log(`known: ${known.length} classes from ${o.known?.deviations.length ?? 0} expectation entries of ${o.target.name}`);
  }

  // 2. the scenarios of this shard, minus those a previous run finished
  const all = loadSource(o.source, o.target.profile, part);
  if (typeof all === 'string') return all;
  const mine = o.shard === undefined ? all : selectShard(all, (i) => i.id, o.shard);
  const resultsPath = join(o.out, 'results.jsonl');
  const results = readLines<ResultLine>(resultsPath);
  const done = new Set(results.map((r) => r.id));
  const othersDone = (): void => {
    for (const d of o.alsoDone ?? []) for (const r of readLines<ResultLine>(join(d, 'results.jsonl'))) done.add(r.id);
  };
  othersDone();
  const todo = mine.filter((i) => !done.has(i.id));
  if (o.reverse === true) todo.reverse();
  log(`${o.target.name}: ${mine.length} scenarios in this shard, ${mine.length - todo.length} already done`);
  const tRun = performance.now();
  let n = 0;
  for (const item of todo) {
    // let the event loop turn between scenarios: a SIGINT/SIGTERM then stops the campaign (and the
    // QEMU bridge reaps its process) after the current scenario, and --resume continues from there
    await new Promise((r) => setImmediate(r));
    if (o.timeLimitMs !== undefined && performance.now() - t0 >= o.timeLimitMs) {
      log(`time limit reached: ${todo.length - n} scenarios left for --resume`);
      break;
    }
    if (++n % 10 === 0) othersDone();
    if (done.has(item.id)) continue;
    const r = runItem(item, o.target, times);
    appendFileSync(resultsPath, `${JSON.stringify(r)}\n`);
    results.push(r);
    times.scenarios++;
    // at most once a second: a skipped scenario takes microseconds, a QEMU run seconds
    if (performance.now() - lastWrite >= (o.timingsEveryMs ?? 1000)) saveTimings();
    if (times.scenarios % 100 === 0) {
      const s = (performance.now() - tRun) / 1000;
      log(`${times.scenarios}/${todo.length} (${(times.scenarios / s).toFixed(1)} scenarios/s)`);
    }
  }
  saveTimings();
  running = false;

  // 3. one minimised scenario per class: the class's smallest example id in this shard
  const minPath = join(o.out, 'minimised.jsonl');
  const minimised = readLines<MinimisedLine>(minPath);
  if (o.minimiseBudget > 0) {
    const items = new Map(mine.map((i) => [i.id, i]));
    const firsts = new Map<string, ResultLine>();
    for (const r of [...results].map(canonicalResult).sort((a, b) => cmp(a.id, b.id)))
      if (r.verdict === 'deviates' && r.key !== undefined && !firsts.has(r.key)) firsts.set(r.key, r);
    // a known class already has its scenario (the expectation file's): only new classes are minimised
    const knownKeys = new Set(known.map((k) => canonicalKey(k.key)));
    for (const [key, r] of [...firsts].sort((a, b) => cmp(a[0], b[0]))) {
      if (knownKeys.has(key) || minimised.some((m) => canonicalKey(m.key) === key && m.example === r.id)) continue;
      const item = items.get(r.id);
      if (item === undefined) continue;
      const tm = performance.now();
      const m = minimiseClass(item, r, o.target, o.out, o.minimiseBudget);
      times.minimiseMs += performance.now() - tm;
      times.minimiseClasses++;
      times.minimiseTests += m.tests;
      appendFileSync(minPath, `${JSON.stringify(m)}\n`);
      minimised.push(m);
      saveTimings();
      log(`minimised ${key}: ${m.stepsBefore} -> ${m.stepsAfter} steps in ${m.tests} candidates (${m.file})`);
    }
  }

  // 4. report and timings
  const report = buildReport(o.target.name, state.source, results, known, minimised);
  writeGoldenAtomic(join(o.out, 'report.json'), reportJson(report));
  writeGoldenAtomic(join(o.out, 'report.md'), reportMarkdown(report));
  saveTimings();
  return report;
}

/** The item fitted to the target (adapt.ts): its scenario and the text the minimiser starts from. */
function fitted(item: CampaignItem, target: DiffTarget): Fitted {
  return fitScenario(item.scenario, () => item.yaml(), target);
}

function runItem(item: CampaignItem, target: DiffTarget, times: Timings): ResultLine {
  const base = { id: item.id, seed: item.seed };
  // a requirement the part lacks is a skip before any fitting (runPair checks it again)
  const lacks = typeof item.scenario === 'object' ? (item.scenario.requires ?? []).filter((f) => !target.features.includes(f)) : [];
  if (lacks.length > 0) return { ...base, verdict: 'skip', reason: `requires ${lacks.join(', ')} (not in ${target.name}'s ID registers)` };
  const { scenario } = fitted(item, target);
  if (typeof scenario === 'string') return { ...base, verdict: 'skip', reason: `does not load on ${target.name}: ${abstractReason(scenario)}` };
  const p = runPair(scenario, target);
  times.referenceMs += p.times.referenceMs;
  times.targetStartMs += p.times.targetStartMs;
  times.targetRunMs += p.times.targetRunMs;
  const v = p.verdict;
  switch (v.kind) {
    case 'agree':
      return { ...base, verdict: 'agree' };
    case 'skip':
      return { ...base, verdict: 'skip', reason: abstractReason(v.reason) };
    case 'error':
      return { ...base, verdict: 'error', reason: abstractReason(v.message), summary: v.message };
    case 'deviates':
      return {
        ...base,
        verdict: 'deviates',
        key: v.cls.key,
        field: v.cls.field,
        rule: v.cls.rule,
        section: v.cls.section,
        ...(v.cls.cause !== undefined ? { cause: v.cls.cause } : {}),
        ...(v.cls.targetCause !== undefined ? { targetCause: v.cls.targetCause } : {}),
        summary: v.summary,
      };
  }
}

/** Each scenario the expectation file lists, run differentially: the class it shows is known. */
export function knownClasses(target: DiffTarget, known: CampaignOptions['known']): KnownDeviation[] {
  const out: KnownDeviation[] = [];
  for (const d of known?.deviations ?? []) {
    const file = join(known?.root ?? 'scenarios', `${d.scenario}.yaml`);
    if (!existsSync(file)) continue;
    const r = loadScenarioText(readFileSync(file, 'utf8'), { file, id: d.scenario, profile: target.profile });
    if (r.scenario === undefined) continue;
    const p = runPair(r.scenario, target);
    if (p.verdict.kind === 'deviates')
      out.push({
        key: p.verdict.cls.key,
        ...(p.verdict.cls.cause !== undefined ? { cause: p.verdict.cls.cause } : {}),
        scenario: d.scenario,
        rule: d.rule,
        section: d.section,
      });
  }
  return out.sort((a, b) => cmp(a.key, b.key) || cmp(a.scenario, b.scenario));
}

/** The minimiser's test: the candidate loads on the target's part and still shows this class. */
export function showsClass(text: string, key: string, target: DiffTarget): boolean {
  const r = loadScenarioText(text, { file: 'candidate.yaml', profile: target.profile });
  if (r.scenario === undefined) return false;
  const p = runPair(r.scenario, target);
  return p.verdict.kind === 'deviates' && p.verdict.cls.key === key;
}

export function slugOf(key: string): string {
  const s = key
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60)
    .replace(/-$/, '');
  return `${s}-${fnv1a(key).toString(16).padStart(8, '0')}`;
}

function minimiseClass(item: CampaignItem, r: ResultLine, target: DiffTarget, out: string, budget: number): MinimisedLine {
  const key = r.key as string;
  const text = fitted(item, target).text;
  const m = minimise(text, (c) => showsClass(c, key, target), budget);
  const doc = parseDocument(m.text);
  doc.set(
    'description',
    `${target.name} deviates from the reference model (found by smmu-conform fuzz, class "${key}"): ${r.rule ?? ''} (${r.section ?? ''}). ` +
      `First divergence: ${r.summary ?? ''}. Minimised from ${item.id} (seed ${item.seed}).`,
  );
  const file = `minimised/${slugOf(key)}.yaml`;
  writeGoldenAtomic(join(out, file), doc.toString({ lineWidth: 0 }));
  const steps = (s: Scenario | string | undefined): number => (typeof s === 'object' ? s.steps.length : 0);
  const after = loadScenarioText(m.text, { file, profile: target.profile }).scenario;
  const before = loadScenarioText(text, { file, profile: target.profile }).scenario;
  return { key, example: item.id, file, stepsBefore: steps(before), stepsAfter: steps(after), tests: m.tests, complete: m.complete };
}

function addTimings(a: Timings | undefined, b: Timings): Timings {
  if (a === undefined) return b;
  const out = { ...a };
  for (const k of Object.keys(b) as Array<keyof Timings>) out[k] = a[k] + b[k];
  return out;
}

function readJson<T>(path: string): T | string {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    return `Cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** JSON lines; a last line cut short by an interrupted run is dropped (its scenario runs again). */
export function readLines<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  const out: T[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // a torn final line
    }
  }
  return out;
}

/** Merge campaign directories (shards of one campaign) into `out`: one report, no duplicates. */
export function mergeCampaigns(dirs: readonly string[], out: string): CampaignReport | string {
  if (dirs.length === 0) return 'Nothing to merge: name the campaign directories';
  let first: CampaignState | undefined;
  const results: ResultLine[][] = [];
  const known: KnownDeviation[] = [];
  const minimised: Array<MinimisedLine & { dir: string }> = [];
  let times: Timings | undefined;
  for (const d of dirs) {
    const s = readJson<CampaignState>(join(d, 'state.json'));
    if (typeof s === 'string') return s;
    if (first === undefined) first = s;
    else if (s.target !== first.target || s.source !== first.source)
      return `${d} is another campaign (${s.target}, ${s.source}) than ${dirs[0]} (${first.target}, ${first.source})`;
    results.push(readLines<ResultLine>(join(d, 'results.jsonl')));
    const k = existsSync(join(d, 'known.json')) ? readJson<KnownDeviation[]>(join(d, 'known.json')) : [];
    if (typeof k === 'string') return k;
    for (const x of k) if (!known.some((y) => y.key === x.key && y.scenario === x.scenario)) known.push(x);
    for (const m of readLines<MinimisedLine>(join(d, 'minimised.jsonl'))) minimised.push({ ...m, dir: d });
    const t = existsSync(join(d, 'timings.json')) ? readJson<Timings>(join(d, 'timings.json')) : undefined;
    if (typeof t === 'object') times = addTimings(times, t);
  }
  const merged = mergeResults(results);
  if (typeof merged === 'string') return merged;
  const state = first as CampaignState;
  mkdirSync(join(out, 'minimised'), { recursive: true });
  const mins: MinimisedLine[] = [];
  for (const m of minimised.sort((a, b) => cmp(a.key, b.key) || cmp(a.example, b.example))) {
    if (mins.some((x) => x.key === m.key && x.example === m.example)) continue;
    const { dir, ...line } = m;
    mins.push(line);
    writeGoldenAtomic(join(out, line.file), readFileSync(join(dir, line.file), 'utf8'));
  }
  const report = buildReport(
    state.target,
    state.source,
    merged,
    known.sort((a, b) => cmp(a.key, b.key) || cmp(a.scenario, b.scenario)),
    mins,
  );
  // the merged directory is a campaign of its own (it can be merged again)
  writeGoldenAtomic(join(out, 'state.json'), `${JSON.stringify({ ...state, shard: '1/1' }, null, 2)}\n`);
  writeGoldenAtomic(join(out, 'known.json'), `${JSON.stringify(known, null, 2)}\n`);
  writeGoldenAtomic(join(out, 'results.jsonl'), merged.map((r) => `${JSON.stringify(r)}\n`).join(''));
  const used = mins.filter((m) => report.classes.some((c) => c.key === m.key && c.example.id === m.example));
  writeGoldenAtomic(join(out, 'minimised.jsonl'), used.map((m) => `${JSON.stringify(m)}\n`).join(''));
  writeGoldenAtomic(join(out, 'report.json'), reportJson(report));
  writeGoldenAtomic(join(out, 'report.md'), reportMarkdown(report));
  if (times !== undefined) writeGoldenAtomic(join(out, 'timings.json'), `${JSON.stringify(times, null, 2)}\n`);
  return report;
}
