/** Settings shared by run, validate, list and explain: roots, profile, executor module. */
import { resolve } from 'node:path';
import { closest } from '../arch/fields.ts';
import type { Profile } from '../engine/types.ts';
import { FEATURES, type Feature, isFeature } from '../scenario/features.ts';
import { formatLoadError } from '../scenario/errors.ts';
import { type PartProfile, loadProfileFile } from '../scenario/profile-file.ts';
import type { Options, Parsed } from './args.ts';
import { str } from './args.ts';

export const COMMON_OPTIONS: Options = {
  root: { type: 'string' },
  golden: { type: 'string' },
  features: { type: 'string' },
  executor: { type: 'string' },
  profile: { type: 'string' },
};

export interface Common {
  readonly root: string;
  readonly goldenDir: string;
  readonly profile: Profile;
  readonly executorModule: string;
}

/** Module beside this file's tree: `.ts` under tsx, `.js` in dist. */
export function siblingModule(relPath: string): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`${relPath}${ext}`, import.meta.url).href;
}

export function commonSettings(p: Parsed, cwd: string): Common | string {
  const root = resolve(cwd, str(p.values['root']) ?? 'scenarios');
  const goldenDir = resolve(cwd, str(p.values['golden']) ?? 'golden');
  // --profile FILE: the SMMU part under test (it changes the emulated SMMU and what `requires:` meets)
  const file = str(p.values['profile']);
  let part: PartProfile | undefined;
  if (file !== undefined) {
    const r = loadProfileFile(resolve(cwd, file), file);
    if (r.part === undefined) return r.errors.map((e) => formatLoadError(e)).join('\n');
    part = r.part;
  }
  let features: Feature[] = [...(part?.features ?? FEATURES)];
  const list = str(p.values['features']);
  if (list !== undefined) {
    features = [];
    for (const f of list.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
      if (!isFeature(f)) {
        const dym = closest(f, FEATURES);
        return `Unknown feature "${f}" in --features${dym !== undefined ? ` (did you mean "${dym}"?)` : ''}`;
      }
      features.push(f);
    }
  }
  const name = list !== undefined ? `features=${features.join(',')}` : (part?.name ?? 'emulator');
  const profile: Profile = { name, features, ...(part !== undefined ? { smmu: part.smmu } : {}) };
  const exec = str(p.values['executor']);
  const executorModule = exec === undefined ? siblingModule('../engine/execute') : new URL(exec, `file://${cwd}/`).href;
  return { root, goldenDir, profile, executorModule };
}

/** --jobs: a positive integer, or auto (in-process for small runs, else one worker per core). */
export function parseJobs(text: string | undefined): number | 'auto' | string {
  if (text === undefined || text === 'auto') return 'auto';
  if (!/^[1-9]\d*$/.test(text)) return `Cannot use --jobs "${text}": expected a positive integer or auto`;
  return Number(text);
}
