/**
 * Canonical golden text of an Observation: fixed section order, one record per line in flow
 * style, fixed-width hex for bigint, a fixed leading key order inside records. Two runs that
 * observe the same behaviour produce byte-identical text, and a diff points at one record.
 */
import { hex64 } from '../arch/fields.ts';
import type { ObsScalar, ObsValue, Observation } from '../scenario/observation.ts';

/** Keys printed first in a record, in this order; the rest follow in the executor's order. */
const LEADING_KEYS = ['step', 'op', 'type', 'result'];
const YAML_WORDS = /^(true|false|null|yes|no|on|off|y|n|~|nan|inf)$/i;

export function canonicalGolden(obs: Observation): string {
  const out: string[] = [];
  out.push(`scenario: ${scalar(obs.scenario)}`);
  out.push(...section('steps', obs.steps));
  out.push(...section('events', obs.events));
  out.push(...section('guest_events', obs.guest_events));
  if (obs.host_log.length === 0) out.push('host_log: []');
  else out.push('host_log:', ...obs.host_log.map((l) => `  - ${scalar(l)}`));
  out.push(`cmdq: ${record(obs.cmdq)}`);
  if (obs.gerror !== undefined) out.push(`gerror: ${record(obs.gerror)}`);
  // Layout: one named address per line, in the executor's order (for checking goldens by hand).
  if (obs.layout !== undefined) out.push('layout:', ...Object.entries(obs.layout).map(([k, v]) => `  ${key(k)}: ${scalar(v)}`));
  // the reference model's value for each IMPLEMENTATION DEFINED choice the scenario declares
  if (obs.permitted !== undefined) out.push(`permitted: ${record(obs.permitted)}`);
  return `${out.join('\n')}\n`;
}

function section(name: string, records: readonly Readonly<Record<string, ObsValue>>[]): string[] {
  if (records.length === 0) return [`${name}: []`];
  return [`${name}:`, ...records.map((r) => `  - ${record(r)}`)];
}

/** `{ k: v, ... }` with leading keys first. */
export function record(r: Readonly<Record<string, ObsValue>>): string {
  const keys = Object.keys(r);
  const ordered = [...LEADING_KEYS.filter((k) => keys.includes(k)), ...keys.filter((k) => !LEADING_KEYS.includes(k))];
  const parts: string[] = [];
  for (const k of ordered) {
    const v = r[k];
    if (v === undefined) continue;
    parts.push(`${key(k)}: ${value(v)}`);
  }
  return parts.length === 0 ? '{}' : `{ ${parts.join(', ')} }`;
}

function value(v: ObsValue): string {
  if (Array.isArray(v)) return `[${(v as readonly ObsScalar[]).map(scalar).join(', ')}]`;
  return scalar(v as ObsScalar);
}

export function scalar(v: ObsScalar): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return `'${hex64(v)}'`;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return `'${String(v)}'`;
    return String(v);
  }
  if (/^[A-Za-z_][A-Za-z0-9_./-]*$/.test(v) && !YAML_WORDS.test(v)) return v;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\u2028\u2029]/.test(v)) return JSON.stringify(v);
  return `'${v.replace(/'/g, "''")}'`;
}

function key(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && !YAML_WORDS.test(k) ? k : scalar(k);
}
