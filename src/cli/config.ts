/**
 * The project config file, smmu-conform.config.yaml (schema: schemas/config.schema.json): found
 * in the working directory or the nearest parent, or named with --config. Paths in it are
 * relative to the file. Command-line options override it; errors are located (file:line:col).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { LineCounter, parseDocument } from 'yaml';
import { Locator, pointerSegments } from '../scenario/locate.ts';

export const CONFIG_FILE = 'smmu-conform.config.yaml';

export interface ProjectConfig {
  /** Absolute path of the file, undefined when none was found. */
  readonly file?: string;
  /** Folder the paths are relative to. */
  readonly dir: string;
  readonly scenarios?: string;
  readonly golden?: string;
  readonly features?: readonly string[];
  readonly executor?: string;
  /** `builtin`, `qemu` or `qemu=PATH` (PATH relative to the file). */
  readonly target?: string;
  /** Part profile file, relative to the file. */
  readonly profile?: string;
  readonly reporters?: readonly string[];
  readonly expect_fail?: string;
  readonly check_obsolete?: boolean;
  readonly allow_empty?: boolean;
  readonly jobs?: number | 'auto';
  readonly coverage_map?: string;
}

let validator: ValidateFunction | undefined;
function validate(data: unknown): boolean {
  if (validator === undefined) {
    const schema = JSON.parse(readFileSync(new URL(schemaUrl(), import.meta.url), 'utf8')) as object;
    validator = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  }
  return validator(data) === true;
}

/** schemas/ sits at the package root: ../../ from src/cli, ../../../ from dist/src/cli. */
function schemaUrl(): string {
  return import.meta.url.endsWith('.ts') ? '../../schemas/config.schema.json' : '../../../schemas/config.schema.json';
}

/** The config file for `cwd`: `explicit` if given, else the nearest smmu-conform.config.yaml upwards. */
export function findConfig(cwd: string, explicit?: string): string | undefined {
  if (explicit !== undefined) return resolve(cwd, explicit);
  for (let d = resolve(cwd); ; d = dirname(d)) {
    const f = join(d, CONFIG_FILE);
    if (existsSync(f)) return f;
    if (dirname(d) === d) return undefined;
  }
}

/** Load the config for `cwd`; a string is the located error message. No file = empty config in cwd. */
export function loadConfig(cwd: string, explicit?: string): ProjectConfig | string {
  const file = findConfig(cwd, explicit);
  if (file === undefined) return { dir: cwd };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return `Cannot read config file ${file}: ${e instanceof Error ? e.message : String(e)}`;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0)
    return doc.errors
      .map((e) => `${file}:${e.linePos?.[0].line ?? 1}:${e.linePos?.[0].col ?? 1}: error[YAML_SYNTAX]: ${e.message.split('\n')[0] ?? ''}`)
      .join('\n');
  const data = (doc.toJS() ?? {}) as unknown;
  if (!validate(data)) {
    const loc = new Locator(doc, lines);
    return (validator?.errors ?? [])
      .map((e) => {
        const extra = e.params as { additionalProperty?: string };
        const path = [...pointerSegments(e.instancePath), ...(extra.additionalProperty !== undefined ? [extra.additionalProperty] : [])];
        const p = loc.locate(path, extra.additionalProperty !== undefined);
        const what =
          extra.additionalProperty !== undefined
            ? `unknown key "${extra.additionalProperty}" (see schemas/config.schema.json)`
            : `${e.instancePath.slice(1) || 'config'} ${e.message ?? 'is invalid'}`;
        return `${file}:${p.line}:${p.col}: error[BAD_CONFIG]: ${what}`;
      })
      .join('\n');
  }
  return { ...(data as Omit<ProjectConfig, 'file' | 'dir'>), file, dir: dirname(file) };
}

/** A path from the config, absolute. */
export function configPath(cfg: ProjectConfig, p: string): string {
  return resolve(cfg.dir, p);
}
