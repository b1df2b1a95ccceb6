/** Settings shared by run, validate, list and explain: roots, profile, executor module. */
import { resolve } from 'node:path';
import { closest } from '../arch/fields.ts';
import type { Profile } from '../engine/types.ts';
import type { TargetSpec } from '../target/contract.ts';
import { FEATURES, type Feature, isFeature } from '../scenario/features.ts';
import type { Options, Parsed } from './args.ts';
import { str } from './args.ts';

export const COMMON_OPTIONS: Options = {
  root: { type: 'string' },
  golden: { type: 'string' },
  features: { type: 'string' },
  executor: { type: 'string' },
  target: { type: 'string' },
};

export interface Common {
  readonly root: string;
  readonly goldenDir: string;
  readonly profile: Profile;
  readonly executorModule: string;
  /** --target: the SMMU under test (absent: the built-in emulator). */
  readonly target?: TargetSpec;
}

/** `--target builtin | qemu | qemu=PATH` → a TargetSpec, or why not. */
export function parseTarget(text: string | undefined): TargetSpec | undefined | string {
  if (text === undefined || text === 'builtin' || text === 'emulator') return undefined;
  if (text === 'qemu') return { kind: 'qemu', binary: 'qemu-system-aarch64' };
  if (text.startsWith('qemu=') && text.length > 5) return { kind: 'qemu', binary: text.slice(5) };
  return `Unknown --target "${text}"; expected builtin, qemu or qemu=PATH`;
}

/** Module beside this file's tree: `.ts` under tsx, `.js` in dist. */
export function siblingModule(relPath: string): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`${relPath}${ext}`, import.meta.url).href;
}

export function commonSettings(p: Parsed, cwd: string): Common | string {
  const root = resolve(cwd, str(p.values['root']) ?? 'scenarios');
  const goldenDir = resolve(cwd, str(p.values['golden']) ?? 'golden');
  let features: Feature[] = [...FEATURES];
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
  const profile: Profile = { name: list === undefined ? 'emulator' : `features=${features.join(',')}`, features };
  const exec = str(p.values['executor']);
  const executorModule = exec === undefined ? siblingModule('../engine/execute') : new URL(exec, `file://${cwd}/`).href;
  const target = parseTarget(str(p.values['target']));
  if (typeof target === 'string') return target;
  return { root, goldenDir, profile, executorModule, ...(target !== undefined ? { target } : {}) };
}

/** --jobs: a positive integer, or auto (in-process for small runs, else one worker per core). */
export function parseJobs(text: string | undefined): number | 'auto' | string {
  if (text === undefined || text === 'auto') return 'auto';
  if (!/^[1-9]\d*$/.test(text)) return `Cannot use --jobs "${text}": expected a positive integer or auto`;
  return Number(text);
}
