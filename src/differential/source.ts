/**
 * Where a campaign's scenarios come from: the generator (src/generate, by seed and count) or a
 * scenario tree (the hand-written corpus). Each item has a stable id (sharding, resume and the
 * report's examples key on it), its seed (0 for a file), the scenario object and its YAML text
 * (the minimiser works on the text; the campaign runs the object, without a YAML round trip).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadScenarioText } from '../engine/load.ts';
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

/** The generator's API (src/generate/index.ts, issue 16 part 1), as this module uses it. */
interface GeneratedScenario {
  readonly id: string;
  readonly seed: number;
  readonly scenario: Scenario;
  yaml(): string;
}
interface GeneratorModule {
  generateScenarios(opts: { seed: number; count: number; areas?: readonly string[] }): GeneratedScenario[];
}

export async function loadSource(spec: SourceSpec, profile: Partial<SmmuProfile>): Promise<CampaignItem[] | string> {
  if (spec.kind === 'corpus') return corpusItems(spec.root, profile);
  let gen: GeneratorModule;
  try {
    // resolved at run time: the generator is its own module (src/generate), loaded only for generated campaigns
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    gen = (await import(new URL(`../generate/index${ext}`, import.meta.url).href)) as GeneratorModule;
  } catch (e) {
    return `The scenario generator (src/generate) is not available: ${e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e)}`;
  }
  if (typeof gen.generateScenarios !== 'function') return 'src/generate/index does not export generateScenarios';
  const opts = { seed: spec.seed, count: spec.count, ...(spec.areas !== undefined && spec.areas.length > 0 ? { areas: spec.areas } : {}) };
  return gen.generateScenarios(opts).map((g) => ({ id: g.id, seed: g.seed, scenario: g.scenario, yaml: () => g.yaml() }));
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
