/**
 * The scenario generator (issue 16 part 1): well-formed random scenarios drawn from the
 * architecture, as the loader's own Scenario objects, so they run in process with no YAML round
 * trip; `yaml()` writes one out as an ordinary scenario that validates. Same seed, same scenarios,
 * byte for byte (src/generate/rng.ts; no clock, no Math.random).
 *
 * Scenario i of a run seeded S has its own seed deriveSeed(S, i) and area (drawn from `areas`
 * by that seed), so `generateOne(area, seed)` rebuilds any one of them alone (shards, minimisers).
 */
import type { Scenario } from '../scenario/types.ts';
import { AREAS, type AreaName, areasFor, isAreaName, runsOn } from './areas.ts';
import { Draft, type PartLimits } from './draft.ts';
import { deriveSeed, Rng } from './rng.ts';
import { scenarioYaml } from './yaml.ts';

export { AREAS, AREA_NAMES, type AreaName, areasFor, runsOn } from './areas.ts';
export type { PartLimits } from './draft.ts';
export { deriveSeed } from './rng.ts';

export interface GeneratedScenario {
  /** Scenario id and name: `gen-<area>-<seed as 8 hex digits>` (a file `<id>.yaml` under a scenario root). */
  readonly id: string;
  /** The scenario's own seed (generateOne(area, seed) rebuilds it). */
  readonly seed: number;
  readonly area: AreaName;
  readonly scenario: Scenario;
  /** The scenario as YAML, ready to validate and run from a file. */
  yaml(): string;
}

export interface GenerateOptions {
  readonly seed: number;
  readonly count: number;
  /** Areas to draw from (default: all, AREA_NAMES; for a part, the areas it can run, areasFor). */
  readonly areas?: readonly string[];
  /**
   * The SMMU part the scenarios are for (`--profile`, a fuzz target): the areas draw what it can
   * run (src/generate/draft.ts PartLimits) and only scenarios whose `requires:` it offers are kept,
   * addresses below its OAS. Default: the reference model's default part, every feature.
   */
  readonly part?: PartLimits;
}

export function scenarioId(area: string, seed: number): string {
  return `gen-${area}-${(seed >>> 0).toString(16).padStart(8, '0')}`;
}

/** One scenario of `area` from its own seed, drawn for `part` (default: the reference model's part). */
export function generateOne(area: AreaName, seed: number, part?: PartLimits): GeneratedScenario {
  const rng = new Rng(seed);
  const d = new Draft(part);
  AREAS[area].generate(rng, d);
  const id = scenarioId(area, seed);
  const scenario = d.finish(id, area, seed);
  return { id, seed, area, scenario, yaml: () => scenarioYaml(scenario, [`generated: smmu-conform generate --area ${area} (seed 0x${seed.toString(16)})`]) };
}

export function generateScenarios(opts: GenerateOptions): GeneratedScenario[] {
  const part = opts.part;
  const areas = checkAreas(opts.areas, part);
  const out: GeneratedScenario[] = [];
  for (let i = 0; i < opts.count; i++) {
    const seed = deriveSeed(opts.seed, i);
    if (part === undefined) {
      out.push(generateOne(areas[seed % areas.length] as AreaName, seed));
      continue;
    }
    // for a part: redraw (seed, area) until the scenario needs only what the part offers
    const offers = new Set(part.features);
    let g: GeneratedScenario | undefined;
    for (let k = 0; k < 64 && g === undefined; k++) {
      const s = k === 0 ? seed : deriveSeed(seed, 0x1000 + k);
      const c = generateOne(areas[s % areas.length] as AreaName, s, part);
      if ((c.scenario.requires ?? []).every((f) => offers.has(f))) g = c;
    }
    if (g === undefined) throw new RangeError(`Cannot generate area ${areas.join('/')} scenarios for this part: every draw needs a feature it lacks`);
    out.push(g);
  }
  return out;
}

/**
 * The areas named (when none: all, or for a part the areas it can run), or a RangeError naming the
 * unknown one and the choices, or an area the part cannot run and what it lacks.
 */
export function checkAreas(areas: readonly string[] | undefined, part?: PartLimits): readonly AreaName[] {
  if (areas === undefined || areas.length === 0) {
    if (part === undefined) return Object.keys(AREAS) as AreaName[];
    const can = areasFor(part);
    if (can.length === 0) throw new RangeError('No generator area runs on this part (every area needs stage 1 or stage 2)');
    return can;
  }
  for (const a of areas) if (!isAreaName(a)) throw new RangeError(`Unknown area "${a}"; expected one of: ${Object.keys(AREAS).join(', ')}`);
  if (part !== undefined)
    for (const a of areas as readonly AreaName[]) {
      const lacks = runsOn(a, part);
      if (lacks !== undefined) throw new RangeError(`Area ${a} does not run on this part: ${lacks}`);
    }
  return areas as readonly AreaName[];
}
