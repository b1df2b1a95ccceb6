/**
 * Schema validation with ajv (draft 2020-12, strict, allErrors) and translation of ajv's errors
 * into located, coded LoadErrors with the expected shape and a did-you-mean where a name was
 * mistyped. The validator is ajv standalone code generated from schema.ts
 * (validator.generated.ts, kept in sync by test/schema-sync.test.ts), so no process or worker
 * pays ajv's compile time.
 */
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { validate as generated } from './validator.generated.ts';
import { closest } from '../arch/fields.ts';
import type { LoadError, LoadErrorCode } from './errors.ts';
import { pathString } from './errors.ts';
import { type Locator, pointerSegments } from './locate.ts';
import { FEATURES_DESCRIPTION, SIZE_DESCRIPTION, STEP_DESCRIPTION, U64_DESCRIPTION } from './schema.ts';

export function scenarioValidator(): ValidateFunction {
  return generated as ValidateFunction;
}

/** Validate `data`; returns every schema error, located. */
export function validateScenarioData(data: unknown, file: string, loc: Locator): LoadError[] {
  const validate = scenarioValidator();
  if (validate(data)) return [];
  const out: LoadError[] = [];
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    const mapped = mapError(e, file, loc);
    if (mapped === undefined) continue;
    const k = `${mapped.line}:${mapped.col}:${mapped.code}:${mapped.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(mapped);
  }
  return out;
}

const U64_SHAPE = 'an integer below 2^53 or a string such as "0x8000_0000" (at most 64 bits)';
const SIZE_SHAPE = 'a byte count such as 4096, "0x1000", "4K", "2M" or "1G"';

function shapeOf(e: ErrorObject): string | undefined {
  const d = (e.parentSchema as { description?: unknown } | undefined)?.description;
  if (d === U64_DESCRIPTION) return U64_SHAPE;
  if (d === SIZE_DESCRIPTION) return SIZE_SHAPE;
  return undefined;
}

function mapError(e: ErrorObject, file: string, loc: Locator): LoadError | undefined {
  const segs = pointerSegments(e.instancePath);
  const parent = e.parentSchema as { properties?: Record<string, unknown>; description?: string } | undefined;
  const known = Object.keys(parent?.properties ?? {});
  const isStepMap = parent?.description === STEP_DESCRIPTION;
  const make = (code: LoadErrorCode, message: string, path = segs, key = false): LoadError => {
    const p = loc.locate(path, key);
    return { code, file, line: p.line, col: p.col, path: pathString(path), message };
  };
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(p['additionalProperty']);
      const path = [...segs, name];
      const dym = closest(name, known);
      const hint = dym !== undefined ? ` (did you mean "${dym}"?)` : '';
      if (isStepMap) return make('BAD_STEP', `Unknown step kind "${name}"${hint}; expected one of: ${known.join(', ')}`, path, true);
      if (parent?.description === FEATURES_DESCRIPTION) return make('UNKNOWN_FEATURE', `Unknown feature "${name}"${hint}`, path, true);
      return make('UNKNOWN_KEY', `Unknown key "${name}"${hint}; expected one of: ${known.join(', ')}`, path, true);
    }
    case 'required': {
      const missing = String(p['missingProperty']);
      return make('MISSING_KEY', `Missing required key "${missing}"${parent?.description !== undefined ? ` (${parent.description})` : ''}`);
    }
    case 'minProperties':
    case 'maxProperties':
      if (isStepMap) return make('BAD_STEP', `A step must be a map with exactly one key naming its kind (one of: ${known.join(', ')})`);
      return make('BAD_VALUE', `Expected ${e.message ?? 'a different number of keys'}`);
    case 'type': {
      const shape = shapeOf(e) ?? String(p['type']).replace(',', ' or ');
      return make('BAD_TYPE', `Expected ${shape}, got ${describe(e.data)}`);
    }
    case 'enum': {
      const allowed = (p['allowedValues'] as unknown[]).map(String);
      const dym = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
      const hint = dym !== undefined ? ` (did you mean "${dym}"?)` : '';
      const inRequires = segs[0] === 'requires';
      const what = inRequires ? `Unknown feature ${describe(e.data)}` : `${describe(e.data)} is not allowed`;
      return make(inRequires ? 'UNKNOWN_FEATURE' : 'BAD_VALUE', `${what}${hint}; expected one of: ${allowed.join(', ')}`);
    }
    case 'pattern':
      if (segs.length === 1 && segs[0] === 'description') {
        return make('BAD_VALUE', 'Description must cite the rule it checks, e.g. "... (SMMUv3 §7.3.9)"');
      }
      return make('BAD_VALUE', `Expected ${shapeOf(e) ?? `a string matching ${String(p['pattern'])}`}, got ${describe(e.data)}`);
    case 'minimum':
    case 'maximum':
      return make('BAD_VALUE', `Expected ${shapeOf(e) ?? `a value ${e.message ?? ''}`}, got ${describe(e.data)}`);
    case 'propertyNames':
      return undefined; // the nested `pattern` error on the name itself is reported instead
    default:
      return make('BAD_VALUE', `Invalid value ${describe(e.data)}: ${e.message ?? e.keyword}`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return `${typeof v} ${String(v)}`;
}
