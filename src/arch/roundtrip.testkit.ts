/**
 * Property test shared by every codec's tests: decode(encode(x)) = x over random in-range field
 * values, and encode(decode(raw)) = raw & definedMask over random raw dwords. Test-only helper
 * (imported by *.test.ts files, never by the engine).
 */
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { type FieldSpec, type StructCodec } from './fields.ts';

function fieldArb(f: FieldSpec): fc.Arbitrary<bigint> {
  const a = fc.bigInt({ min: 0n, max: (1n << BigInt(f.hi - f.lo + 1)) - 1n });
  return f.addr ? a.map((v) => v << BigInt(f.lo)) : a;
}

/** Throws (fast-check counterexample) when either round trip fails. */
export function roundTrips(c: StructCodec, numRuns = 200): void {
  const rec = fc.record(Object.fromEntries(c.fields.map((f) => [f.name, fieldArb(f)])) as Record<string, fc.Arbitrary<bigint>>);
  fc.assert(
    fc.property(rec, (v) => deepStrictEqual(c.decode(c.encode(v)), { ...v })),
    { numRuns },
  );
  const raw = fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: c.dwords, maxLength: c.dwords });
  fc.assert(
    fc.property(raw, (r) =>
      deepStrictEqual(
        c.encode(c.decode(r)),
        r.map((w, i) => w & (c.definedMask[i] ?? 0n)),
      ),
    ),
    { numRuns },
  );
}
