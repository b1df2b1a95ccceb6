/**
 * Load one scenario: YAML with positions -> safety checks (forbidden keys, precision loss, alias
 * bombs, caps) -> ajv schema -> bigint conversion -> name and reference checks. Every problem is
 * collected as a located LoadError; a scenario is returned only when there are none.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { type LoadCaps, DEFAULT_CAPS } from './caps.ts';
import { type LoadError, type LoadErrorCode, pathString } from './errors.ts';
import { parseScenarioInt, convertInts, type WideValue } from './ints.ts';
import { Locator } from './locate.ts';
import { checkCaps } from './caps-check.ts';
import { checkNestParentTables, checkProfileBlock } from './profile-block.ts';
import { checkReferences } from './references.ts';
import type { StepLanguage } from './language.ts';
import { checkRunnable } from './runnable.ts';
import type { SmmuProfile } from '../smmu/profile.ts';
import type { Scenario } from './types.ts';
import { validateScenarioData } from './validate.ts';

export interface LoadOptions {
  /** The step kinds (src/engine/steps/registry.ts; src/engine/load.ts passes it for you). */
  readonly language: StepLanguage;
  /** Name shown in errors (usually the path as given). */
  readonly file: string;
  /** The scenario id derived from its path under scenarios/; `name:` must equal it. */
  readonly id?: string;
  readonly caps?: Partial<LoadCaps>;
  /** The run-level part (`--profile`) the scenario's `smmu:` block is checked against. */
  readonly profile?: Partial<SmmuProfile>;
}

export interface LoadResult {
  readonly scenario: Scenario | undefined;
  readonly errors: readonly LoadError[];
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function loadScenarioFile(path: string, opts: LoadOptions): LoadResult & { source: string | undefined } {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      scenario: undefined,
      source: undefined,
      errors: [{ code: 'READ_FAILED', file: opts.file, line: 1, col: 1, path: '', message: `Cannot read scenario: ${why}` }],
    };
  }
  return { ...loadScenarioText(source, opts), source };
}

/**
 * Loads are remembered by their whole input (step language, text, file name, id, caps, profile):
 * one run loads a scenario several times (tag selection, the run itself, the HTML report's
 * coverage map and failure details) and a process running many suites (the tests, an API user)
 * loads the same files again and again; parsing the YAML is most of a load. A hit returns a
 * fresh copy, so a caller that changes its result cannot change what a later caller gets.
 */
export const LOAD_CACHE_ENTRIES = 1024;
const cache = new WeakMap<StepLanguage, Map<string, LoadResult>>();

export function loadScenarioText(source: string, opts: LoadOptions): LoadResult {
  let byInput = cache.get(opts.language);
  if (byInput === undefined) cache.set(opts.language, (byInput = new Map()));
  const key = `${JSON.stringify([opts.file, opts.id, opts.caps, opts.profile], (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}\0${source}`;
  const hit = byInput.get(key);
  if (hit !== undefined) {
    byInput.delete(key); // least recently used is dropped first
    byInput.set(key, hit);
    return structuredClone(hit);
  }
  const r = parseScenario(source, opts);
  byInput.set(key, structuredClone(r));
  if (byInput.size > LOAD_CACHE_ENTRIES) byInput.delete(byInput.keys().next().value as string);
  return r;
}

function parseScenario(source: string, opts: LoadOptions): LoadResult {
  const caps: LoadCaps = { ...DEFAULT_CAPS, ...opts.caps };
  const file = opts.file;
  const fail = (errors: LoadError[]): LoadResult => ({ scenario: undefined, errors: sortErrors(errors) });
  const err = (code: LoadErrorCode, line: number, col: number, path: string, message: string): LoadError => ({ code, file, line, col, path, message });

  if (Buffer.byteLength(source, 'utf8') > caps.maxFileBytes) {
    return fail([err('FILE_TOO_LARGE', 1, 1, '', `Scenario is larger than ${caps.maxFileBytes} bytes`)]);
  }
  const lines = new LineCounter();
  // yaml builds an Error per problem; broken files can have hundreds, and stack capture dominates.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let doc;
  try {
    doc = parseDocument(source, { logLevel: 'error', lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  } finally {
    Error.stackTraceLimit = limit;
  }
  const loc = new Locator(doc, lines);
  const errors: LoadError[] = [];
  for (const e of doc.errors) {
    const p = loc.at(e.pos[0]);
    errors.push(err('YAML_SYNTAX', p.line, p.col, '', `Cannot parse YAML: ${e.message.split('\n')[0] ?? e.message}`));
  }
  if (errors.length > 0) return fail(errors);

  // Safety checks on the node tree, before anything is turned into JS objects.
  let firstAlias: number | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (pair.key !== null && !isScalar(pair.key)) {
        // `{a: 1}: x` or `[a]: x`: yaml would stringify the key (with a process warning); no
        // scenario key is a collection, so reject it where it stands.
        const p = loc.at((pair.key as { range?: [number, number, number] }).range?.[0] ?? 0);
        errors.push(err('BAD_TYPE', p.line, p.col, '', 'Mapping keys must be plain names, not sequences or mappings'));
        return;
      }
      const k = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof k === 'string' && FORBIDDEN_KEYS.has(k)) {
        const p = loc.at(isScalar(pair.key) ? (pair.key.range?.[0] ?? 0) : 0);
        errors.push(err('FORBIDDEN_KEY', p.line, p.col, '', `Key "${k}" is not allowed`));
      }
    },
    Scalar(_, node) {
      const v = node.value;
      if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) {
        const p = loc.at(node.range?.[0] ?? 0);
        errors.push(
          err(
            'PRECISION_LOSS',
            p.line,
            p.col,
            '',
            `Integer ${node.source ?? String(v)} is not exact as a YAML number (>= 2^53); quote it as a hex string, e.g. '0x${safeHex(node.source)}'`,
          ),
        );
      }
    },
    Alias(_, node) {
      firstAlias ??= node.range?.[0];
    },
  });
  if (!isMap(doc.contents)) {
    const p = loc.locate([]);
    return fail([...errors, err('BAD_TYPE', p.line, p.col, '', 'A scenario must be a YAML map (name, description, tags, steps, ...)')]);
  }
  // Keep going after safety errors so every problem of the file is reported at once; schema
  // errors at the same spot as a safety error would only repeat it.
  const safety = errors.splice(0);
  const failWith = (more: LoadError[]): LoadResult => {
    const taken = new Set(safety.map((e) => `${e.line}:${e.col}`));
    return fail([...safety, ...more.filter((e) => !taken.has(`${e.line}:${e.col}`))]);
  };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: caps.maxAliasCount });
  } catch (e) {
    const p = loc.at(firstAlias ?? 0);
    const why = e instanceof Error ? e.message : String(e);
    return failWith([err('ALIAS_LIMIT', p.line, p.col, '', `Cannot expand aliases: ${why} (limit ${caps.maxAliasCount})`)]);
  }

  const capErrors = checkCaps(data, caps, file, loc);
  if (capErrors.length > 0) return failWith(capErrors);

  const schemaErrors = validateScenarioData(data, file, loc);
  if (schemaErrors.length > 0 || safety.length > 0) return failWith(schemaErrors);

  const schema = opts.language.schema();
  const wide: WideValue[] = [];
  const converted = convertInts(data, schema, schema['$defs'] as Record<string, Record<string, unknown>>, wide) as Record<string, unknown>;
  for (const w of wide) {
    const p = loc.locate(w.path);
    errors.push(err('VALUE_TOO_WIDE', p.line, p.col, pathString(w.path), `Value ${w.value} does not fit in 64 bits`));
  }

  const declared = converted['name'];
  if (opts.id !== undefined && typeof declared === 'string' && declared !== opts.id) {
    const p = loc.locate(['name']);
    errors.push(err('NAME_MISMATCH', p.line, p.col, 'name', `Scenario name "${declared}" does not match its path; expected "${opts.id}" (or omit name:)`));
  }
  const scenario = { ...converted, name: typeof declared === 'string' ? declared : (opts.id ?? '') } as unknown as Scenario;
  errors.push(...checkReferences(scenario, file, loc, opts.language));
  errors.push(...checkProfileBlock(scenario.smmu, file, loc, ['smmu'], opts.profile));
  errors.push(...checkNestParentTables(scenario, file, loc, opts.profile));
  // Totality rules assume resolved names; run them only on an otherwise valid scenario.
  if (errors.length === 0) errors.push(...checkRunnable(scenario, caps, file, loc, opts.profile));
  if (errors.length > 0) return failWith(errors);
  return { scenario, errors: [] };
}

function safeHex(src: string | undefined): string {
  const b = src !== undefined && /^[0-9]+$/.test(src) ? parseScenarioInt(src) : undefined;
  return b === undefined ? '...' : b.toString(16);
}

function sortErrors(errors: LoadError[]): LoadError[] {
  return [...errors].sort((a, b) => a.line - b.line || a.col - b.col || a.code.localeCompare(b.code));
}
