/** Settings shared by run, validate, list, explain and check: config file, roots, profile, executor module. */
import { relative, resolve } from 'node:path';
import { closest } from '../arch/fields.ts';
import type { Profile } from '../scenario/observation.ts';
import type { TargetSpec } from '../target/contract.ts';
import { FEATURES, type Feature, isFeature } from '../scenario/features.ts';
import { formatLoadError } from '../scenario/errors.ts';
import { type PartProfile, loadProfileFile } from '../scenario/profile-file.ts';
import type { Options, Parsed } from './args.ts';
import { parseCommandArgs, str } from './args.ts';
import { type CliIo, EXIT_INVALID } from './io.ts';
import { configPath, loadConfig, type ProjectConfig } from './config.ts';
import { quote } from '../engine/shell-quote.ts';

export const COMMON_OPTIONS: Options = {
  root: { type: 'string' },
  golden: { type: 'string' },
  features: { type: 'string' },
  executor: { type: 'string' },
  target: { type: 'string' },
  config: { type: 'string' },
  profile: { type: 'string' },
};

export interface Common {
  readonly root: string;
  readonly goldenDir: string;
  readonly profile: Profile;
  readonly executorModule: string;
  /** --target: the SMMU under test (absent: the built-in emulator). */
  readonly target?: TargetSpec;
  readonly config: ProjectConfig;
  /**
   * How to run this tool again with the same settings, for the commands it suggests: the
   * options given on the command line that a config file does not carry for the next run
   * (`npx smmu-conform run --root x --golden y`).
   */
  readonly rerun: string;
}

/** `--target builtin | qemu | qemu=PATH` → a TargetSpec, or why not. */
export function parseTarget(text: string | undefined): TargetSpec | undefined | string {
  if (text === undefined || text === 'builtin' || text === 'emulator') return undefined;
  if (text === 'qemu') return { kind: 'qemu', binary: 'qemu-system-aarch64' };
  if (text.startsWith('qemu=') && text.length > 5) return { kind: 'qemu', binary: text.slice(5) };
  return `Unknown --target "${text}"; expected builtin, qemu or qemu=PATH`;
}

/** The config's `target`, a relative qemu=PATH resolved against the config file's folder. */
function configTarget(cfg: ProjectConfig): string | undefined {
  const t = cfg.target;
  if (t === undefined || !t.startsWith('qemu=') || !t.slice(5).includes('/')) return t;
  return `qemu=${configPath(cfg, t.slice(5))}`;
}

/** Module beside this file's tree: `.ts` under tsx, `.js` in dist. */
export function siblingModule(relPath: string): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`${relPath}${ext}`, import.meta.url).href;
}

/** The command name printed in suggestions; works wherever the package is installed (npx finds local bins). */
export const TOOL = 'npx smmu-conform';

export function commonSettings(p: Parsed, cwd: string): Common | string {
  const cfg = loadConfig(cwd, str(p.values['config']));
  if (typeof cfg === 'string') return cfg;
  const fromCfg = (k: 'scenarios' | 'golden', dflt: string): string => {
    const v = cfg[k];
    return v !== undefined ? configPath(cfg, v) : resolve(cfg.dir, dflt);
  };
  const rootFlag = str(p.values['root']);
  const goldenFlag = str(p.values['golden']);
  const root = rootFlag !== undefined ? resolve(cwd, rootFlag) : fromCfg('scenarios', 'scenarios');
  const goldenDir = goldenFlag !== undefined ? resolve(cwd, goldenFlag) : fromCfg('golden', 'golden');
  // --profile FILE: the SMMU part under test (it changes the emulated SMMU and what `requires:` meets)
  const partFlag = str(p.values['profile']);
  const partFile = partFlag !== undefined ? resolve(cwd, partFlag) : cfg.profile !== undefined ? configPath(cfg, cfg.profile) : undefined;
  let part: PartProfile | undefined;
  if (partFile !== undefined) {
    const r = loadProfileFile(partFile, partFlag ?? shown(cwd, partFile));
    if (r.part === undefined) return r.errors.map((e) => formatLoadError(e)).join('\n');
    part = r.part;
  }
  const list = str(p.values['features']);
  const names =
    list !== undefined
      ? list
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x !== '')
      : cfg.features;
  let features: Feature[] = [...(part?.features ?? FEATURES)];
  if (names !== undefined) {
    features = [];
    for (const f of names) {
      if (!isFeature(f)) {
        const dym = closest(f, FEATURES);
        const where = list !== undefined ? '--features' : `"features" of ${cfg.file ?? 'the config file'}`;
        return `Unknown feature "${f}" in ${where}${dym !== undefined ? ` (did you mean "${dym}"?)` : ''}`;
      }
      features.push(f);
    }
  }
  const name = names !== undefined ? `features=${features.join(',')}` : (part?.name ?? 'emulator');
  const profile: Profile = { name, features, ...(part !== undefined ? { smmu: part.smmu } : {}) };
  const exec = str(p.values['executor']);
  const executorModule =
    exec !== undefined
      ? new URL(exec, `file://${cwd}/`).href
      : cfg.executor !== undefined
        ? new URL(cfg.executor, `file://${cfg.dir}/`).href
        : siblingModule('../engine/execute');
  const flags: string[] = [];
  const configFlag = str(p.values['config']);
  if (configFlag !== undefined) flags.push('--config', quote(configFlag));
  if (rootFlag !== undefined) flags.push('--root', quote(rootFlag));
  if (goldenFlag !== undefined) flags.push('--golden', quote(goldenFlag));
  if (list !== undefined) flags.push('--features', quote(list));
  if (exec !== undefined) flags.push('--executor', quote(exec));
  if (partFlag !== undefined) flags.push('--profile', quote(partFlag));
  const targetFlag = str(p.values['target']);
  const target = parseTarget(targetFlag ?? configTarget(cfg));
  if (typeof target === 'string') return targetFlag !== undefined ? target : `${target} (in "target" of ${cfg.file ?? 'the config file'})`;
  if (targetFlag !== undefined) flags.push('--target', quote(targetFlag));
  return { root, goldenDir, profile, executorModule, config: cfg, rerun: [`${TOOL} run`, ...flags].join(' '), ...(target !== undefined ? { target } : {}) };
}

export { quote } from '../engine/shell-quote.ts';

/** A path as printed for the user: relative to cwd. */
export function shown(cwd: string, p: string): string {
  return relative(cwd, p) || '.';
}

/** --jobs: a positive integer, or auto (in-process for small runs, else one worker per core). */
export function parseJobs(text: string | undefined): number | 'auto' | string {
  if (text === undefined || text === 'auto') return 'auto';
  if (!/^[1-9]\d*$/.test(text)) return `Cannot use --jobs "${text}": expected a positive integer or auto`;
  return Number(text);
}

/** A command's usage-error reporter: `smmu-conform <cmd>: <message>` on stderr, exit 2. */
export function usageError(io: CliIo, command: string): (message: string) => number {
  return (message) => {
    io.stderr(`smmu-conform ${command}: ${message}\n`);
    return EXIT_INVALID;
  };
}

/**
 * The prologue of every command that takes the common options: parse the arguments, then load
 * the settings (config file, roots, profile, target). A problem with either is the message to print.
 */
export function parseCommon(args: readonly string[], options: Options, cwd: string): { p: Parsed; common: Common } | string {
  const p = parseCommandArgs(args, options);
  if (typeof p === 'string') return p;
  const common = commonSettings(p, cwd);
  return typeof common === 'string' ? common : { p, common };
}
