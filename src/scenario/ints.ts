/**
 * Scenario integers: YAML ints below 2^53, or strings (`0x4000_0000`, `4096`, sizes like `2M`)
 * of at most 64 bits. Conversion to bigint is driven by the schema: exactly the values whose schema
 * is `$defs/u64` or `$defs/size` become bigint, so the model types and the schema agree by
 * construction.
 */
const SUFFIX: Readonly<Record<string, bigint>> = { k: 1n << 10n, m: 1n << 20n, g: 1n << 30n };
export const U64_MAX = (1n << 64n) - 1n;

/** Parse an already schema-checked u64/size value; undefined if it is not one. */
export function parseScenarioInt(v: unknown): bigint | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.replace(/_/g, '');
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return BigInt(s);
  const m = /^([0-9]+)([kKmMgG]?)$/.exec(s);
  if (m === null) return undefined;
  const unit = m[2] === '' || m[2] === undefined ? 1n : (SUFFIX[m[2].toLowerCase()] ?? 1n);
  return BigInt(m[1] ?? '0') * unit;
}

type Json = Record<string, unknown>;

export interface WideValue {
  readonly path: (string | number)[];
  readonly value: string;
}

/**
 * Copy `data`, replacing every u64/size value by a bigint. Values beyond 64 bits are reported in
 * `wide` (and left as they were).
 */
export function convertInts(data: unknown, schema: Json, defs: Readonly<Record<string, Json>>, wide: WideValue[]): unknown {
  return walk(data, schema, defs, [], wide);
}

function walk(v: unknown, s: Json, defs: Readonly<Record<string, Json>>, path: (string | number)[], wide: WideValue[]): unknown {
  const ref = s['$ref'];
  if (typeof ref === 'string') {
    const name = ref.slice('#/$defs/'.length);
    if (name === 'u64' || name === 'size') {
      const b = parseScenarioInt(v);
      if (b === undefined) return v;
      if (b > U64_MAX) {
        wide.push({ path: [...path], value: String(v) });
        return v;
      }
      return b;
    }
    const target = defs[name];
    return target === undefined ? v : walk(v, target, defs, path, wide);
  }
  if (Array.isArray(v)) {
    const items = s['items'] as Json | undefined;
    return items === undefined ? v : v.map((x, i) => walk(x, items, defs, [...path, i], wide));
  }
  if (typeof v === 'object' && v !== null) {
    const props = (s['properties'] ?? {}) as Record<string, Json>;
    const extra = s['additionalProperties'];
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const sub = Object.hasOwn(props, k) ? props[k] : typeof extra === 'object' && extra !== null ? (extra as Json) : undefined;
      out[k] = sub === undefined ? x : walk(x, sub, defs, [...path, k], wide);
    }
    return out;
  }
  return v;
}
