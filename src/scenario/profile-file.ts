/**
 * A run-level profile file (`--profile FILE`): the SMMU part under test, in the same words as a
 * scenario's `smmu:` block (version, oas, sidsize, ssidsize, granules, stall_model, features,
 * idr, impdef) plus an optional `name` and `description`. It changes the emulated SMMU for every
 * scenario (each scenario's own `smmu:` block is applied on top) and decides which `requires:`
 * are met. Problems are located errors (file:line:col) like a scenario's; consistency rules are
 * those of src/smmu/profile-rules.ts.
 */
import { readFileSync } from 'node:fs';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { closest } from '../arch/fields.ts';
import { type SmmuProfile, makeProfile } from '../smmu/profile.ts';
import type { LoadError } from './errors.ts';
import { pathString } from './errors.ts';
import { type Feature, profileFeatures } from './features.ts';
import { Locator } from './locate.ts';
import { checkProfileBlock, profileOverrides } from './profile-block.ts';
import type { SmmuBlock } from './types.ts';
import { validateScenarioData } from './validate.ts';

/** Keys of the `smmu:` block that describe the part (the rest is per-scenario set-up). */
export const PART_KEYS = ['version', 'oas', 'sidsize', 'ssidsize', 'granules', 'stall_model', 'features', 'idr', 'impdef'] as const;
const FILE_KEYS: readonly string[] = ['name', 'description', ...PART_KEYS];
const SETUP_KEYS = new Set(['cmdq_log2size', 'evtq_log2size', 'priq_log2size', 'strtab', 'split', 'recinvsid', 'event_drain', 'e2h', 'cache_policy', 'faults']);

export interface PartProfile {
  readonly name: string;
  /** Overrides of the default profile (what the executor applies). */
  readonly smmu: Partial<SmmuProfile>;
  /** The `requires:` features this part offers. */
  readonly features: readonly Feature[];
}

export type PartLoad = { readonly part: PartProfile; readonly errors: readonly [] } | { readonly part: undefined; readonly errors: readonly LoadError[] };

export function loadProfileFile(path: string, display = path): PartLoad {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (e) {
    return {
      part: undefined,
      errors: [
        { code: 'READ_FAILED', file: display, line: 1, col: 1, path: '', message: `Cannot read profile: ${e instanceof Error ? e.message : String(e)}` },
      ],
    };
  }
  return loadProfileText(source, display);
}

export function loadProfileText(source: string, file: string): PartLoad {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const loc = new Locator(doc, lines);
  const errors: LoadError[] = [];
  const at = (path: (string | number)[], code: LoadError['code'], message: string, key = false): void => {
    const p = loc.locate(path, key);
    errors.push({ code, file, line: p.line, col: p.col, path: pathString(path), message });
  };
  for (const e of doc.errors) {
    const p = loc.at(e.pos[0]);
    errors.push({ code: 'YAML_SYNTAX', file, line: p.line, col: p.col, path: '', message: `Cannot parse YAML: ${e.message.split('\n')[0] ?? e.message}` });
  }
  if (errors.length > 0) return { part: undefined, errors };
  if (!isMap(doc.contents)) {
    at([], 'BAD_TYPE', `A profile must be a YAML map (${FILE_KEYS.join(', ')})`);
    return { part: undefined, errors };
  }
  const data = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  const block: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    if (k === 'name' || k === 'description') {
      if (typeof v !== 'string') at([k], 'BAD_TYPE', `Expected a string for ${k}`);
      continue;
    }
    if (SETUP_KEYS.has(k)) {
      at([k], 'UNKNOWN_KEY', `"${k}" is per-scenario set-up, not a property of the part; set it in the scenario's smmu: block`, true);
      continue;
    }
    if (!(PART_KEYS as readonly string[]).includes(k)) {
      const dym = closest(k, FILE_KEYS);
      at([k], 'UNKNOWN_KEY', `Unknown key "${k}"${dym !== undefined ? ` (did you mean "${dym}"?)` : ''}; expected one of: ${FILE_KEYS.join(', ')}`, true);
      continue;
    }
    block[k] = v;
  }
  // the part keys are the scenario schema's smmu: block: validate them there, located in this file
  const shifted = { locate: (p: readonly (string | number)[], key?: boolean) => loc.locate(p.slice(1), key) } as unknown as Locator;
  const wrapped = { description: 'profile (§6.3)', tags: [], steps: [], smmu: block };
  for (const e of validateScenarioData(wrapped, file, shifted)) errors.push({ ...e, path: e.path.replace(/^smmu\.?/, '') });
  if (errors.length > 0) return { part: undefined, errors: errors.sort((a, b) => a.line - b.line || a.col - b.col) };
  const m = block as SmmuBlock;
  errors.push(...checkProfileBlock(m, file, loc, []));
  if (errors.length > 0) return { part: undefined, errors };
  const smmu = profileOverrides(m, []).profile;
  const name = typeof data['name'] === 'string' ? data['name'] : file;
  return { part: { name, smmu, features: profileFeatures(makeProfile(smmu)) }, errors: [] };
}
