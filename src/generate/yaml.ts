/**
 * A generated Scenario object → scenario YAML (the loader's input language), deterministic to the
 * byte: keys in the object's insertion order, u64 values (bigint) as hex, structures in flow style
 * one item per line. Only output goes through here; generation and property runs use the object.
 * The round trip (load(yaml(s)) deep-equals s) is tested in yaml.test.ts.
 */
import type { Scenario } from '../scenario/types.ts';

const SAFE = 2n ** 53n;
/** Plain scalars that YAML 1.2 (core schema) reads back as the same string. */
const PLAIN = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

function scalar(v: unknown): string {
  if (typeof v === 'bigint') {
    const h = `0x${v.toString(16)}`;
    return v < SAFE ? h : `'${h}'`;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (typeof v === 'string') return PLAIN.test(v) && !RESERVED.test(v) ? v : JSON.stringify(v);
  throw new TypeError(`Cannot write ${typeof v} as a scenario YAML scalar`);
}

/** Flow style: `{ a: 1, b: [2, 3] }`. */
function flow(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    const parts = Object.entries(v).filter(([, x]) => x !== undefined);
    return parts.length === 0 ? '{}' : `{ ${parts.map(([k, x]) => `${k}: ${flow(x)}`).join(', ')} }`;
  }
  return scalar(v);
}

/** Block style down to `depth` levels of maps; lists one flow item per line. */
function block(key: string, v: unknown, indent: string, depth: number, out: string[]): void {
  if (v === undefined) return;
  if (Array.isArray(v)) {
    if (v.length === 0 || v.every((x) => typeof x !== 'object' || x === null)) {
      out.push(`${indent}${key}: ${flow(v)}`);
      return;
    }
    out.push(`${indent}${key}:`);
    for (const x of v) out.push(`${indent}  - ${flow(x)}`);
    return;
  }
  if (typeof v === 'object' && v !== null && depth > 0) {
    out.push(`${indent}${key}:`);
    for (const [k, x] of Object.entries(v)) block(k, x, `${indent}  `, depth - 1, out);
    return;
  }
  out.push(`${indent}${key}: ${flow(v)}`);
}

export function scenarioYaml(s: Scenario, header: readonly string[] = []): string {
  const out: string[] = header.map((h) => `# ${h}`);
  for (const [k, v] of Object.entries(s)) block(k, v, '', k === 'memory' || k === 'boot' ? 1 : 0, out);
  return `${out.join('\n')}\n`;
}
