/**
 * Where a campaign's scenarios come from: the generator (src/generate, by seed and count) or a
 * scenario tree (the hand-written corpus). Each item has a stable id (sharding, resume and the
 * report's examples key on it), its seed (0 for a file), the scenario object and its YAML text
 * (the minimiser works on the text; the campaign runs the object, without a YAML round trip).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadScenarioText } from '../engine/load.ts';
import { generateScenarios, type PartLimits } from '../generate/index.ts';
import { formatLoadError } from '../scenario/errors.ts';
import type { Scenario } from '../scenario/types.ts';
import type { SmmuProfile } from '../smmu/profile.ts';

export interface CampaignItem {
  readonly id: string;
  readonly seed: number;
  /** The scenario, or the loader's errors for a file that does not load on this part. */
  readonly scenario: Scenario | string;
  yaml(): string;
}

export type SourceSpec =
  | { readonly kind: 'generated'; readonly seed: number; readonly count: number; readonly areas?: readonly string[] }
  | { readonly kind: 'corpus'; readonly root: string };

/**
 * The campaign's scenarios. Generated ones are drawn for `part` (the target's, targetPart): from
 * the areas it can run unless `areas` names some, each area drawing only what the part has.
 */
export function loadSource(spec: SourceSpec, profile: Partial<SmmuProfile>, part?: PartLimits): CampaignItem[] | string {
  if (spec.kind === 'corpus') return corpusItems(spec.root, profile);
  const opts = {
    seed: spec.seed,
    count: spec.count,
    ...(spec.areas !== undefined && spec.areas.length > 0 ? { areas: spec.areas } : {}),
    ...(part !== undefined ? { part } : {}),
  };
  try {
    return generateScenarios(opts).map((g) => ({ id: g.id, seed: g.seed, scenario: g.scenario, yaml: () => g.yaml() }));
  } catch (e) {
    return e instanceof RangeError ? e.message : `The generator failed: ${e instanceof Error ? e.message : String(e)}`; // an unknown --area, or one the part cannot run
  }
}

function corpusItems(root: string, profile: Partial<SmmuProfile>): CampaignItem[] | string {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith('.yaml')) files.push(p);
    }
  };
  try {
    walk(root);
  } catch (e) {
    return `Cannot read the scenario tree ${root}: ${e instanceof Error ? e.message : String(e)}`;
  }
  return files.map((f) => {
    const id = relative(root, f)
      .replace(/\\/g, '/')
      .replace(/\.yaml$/, '');
    const text = readFileSync(f, 'utf8');
    const r = loadScenarioText(text, { file: f, id, profile });
    return {
      id,
      seed: 0,
      scenario: r.scenario ?? r.errors.map((e) => formatLoadError(e)).join('\n'),
      yaml: () => text,
    };
  });
}
