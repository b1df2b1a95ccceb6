import t from 'tap';
import fc from 'fast-check';
import { CD } from './cd.ts';
import { COMMANDS } from './command.ts';
import { EVENTS } from './event.ts';
import { StructCodec, closest, fieldValue, hex64, setFieldValue } from './fields.ts';
import { REGISTER_CODECS } from './registers.ts';
import { STE } from './ste.ts';

const S = new StructCodec('TEST', 2, [
  { name: 'V', dword: 0, lo: 0, hi: 0 },
  { name: 'Mode', dword: 0, lo: 1, hi: 3, enum: { 4: 'BYPASS' } },
  { name: 'Ptr', dword: 0, lo: 6, hi: 55, addr: true },
  { name: 'Top', dword: 1, lo: 63, hi: 63 },
]);

t.test('encode/decode with address fields kept in place', async (t) => {
  const raw = S.encode({ V: 1, Mode: 4, Ptr: 0xdead_beef_c0n, Top: true });
  t.same(raw, [0xdead_beef_c0n | 0b1001n, 1n << 63n]);
  t.same(S.decode(raw), { V: 1n, Mode: 4n, Ptr: 0xdead_beef_c0n, Top: 1n });
  t.equal(S.describe(raw)[1]?.name, 'BYPASS');
});

t.test('validation collects every error with a code', async (t) => {
  const errs = S.validate({ V: 2, Ptr: 0x41, Mood: 1, Mode: 1.5 });
  t.same(errs.map((e) => e.code).sort(), ['MISALIGNED_ADDRESS', 'NOT_INTEGER', 'UNKNOWN_FIELD', 'VALUE_TOO_WIDE']);
  t.match(errs.find((e) => e.code === 'UNKNOWN_FIELD')?.message, /did you mean "Mode"/);
  t.throws(() => S.encode({ V: 2 }), RangeError);
});

t.test('overlapping and duplicate fields are rejected at definition', async (t) => {
  t.throws(
    () =>
      new StructCodec('X', 1, [
        { name: 'A', dword: 0, lo: 0, hi: 3 },
        { name: 'B', dword: 0, lo: 3, hi: 4 },
      ]),
    /overlaps/,
  );
  t.throws(
    () =>
      new StructCodec('X', 1, [
        { name: 'A', dword: 0, lo: 0, hi: 3 },
        { name: 'A', dword: 0, lo: 4, hi: 4 },
      ]),
    /twice/,
  );
});

t.test('definedMask and helpers', async (t) => {
  t.equal(S.definedMask[0], ((1n << 56n) - 1n) & ~0b110000n);
  t.equal(hex64(0x10n), '0x0000000000000010');
  t.equal(closest('S1DS', ['S1DSS', 'Config']), 'S1DSS');
  t.equal(closest('zzzzzz', ['S1DSS']), undefined);
  t.same(S.with([0n, 0n], 'Mode', 4), [8n, 0n]);
});

// decode/encode read and write fields inside one 32-bit half as numbers and the rest as BigInts;
// fieldValue/setFieldValue extract one field with BigInt arithmetic alone: both must agree on
// every field of every structure, for any words, for number and bigint inputs, over a base.
t.test('decode and encode agree with the one-field BigInt helpers on every structure', async (t) => {
  const codecs = [STE, CD, ...[...COMMANDS.values()].map((c) => c.codec), ...[...EVENTS.values()].map((e) => e.codec), ...Object.values(REGISTER_CODECS)];
  const word = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  let checked = 0;
  for (const c of codecs) {
    if (c === undefined) continue;
    fc.assert(
      fc.property(fc.array(word, { minLength: c.dwords, maxLength: c.dwords }), fc.array(word, { minLength: c.dwords, maxLength: c.dwords }), (raw, base) => {
        const d = c.decode(raw);
        if (Object.keys(d).join() !== c.fields.map((f) => f.name).join()) throw new Error(`${c.name}: fields out of table order`);
        const expected = [...base];
        for (const f of c.fields) {
          if (d[f.name] !== fieldValue(raw, f)) throw new Error(`${c.name}.${f.name}: decode ${d[f.name]} != ${fieldValue(raw, f)}`);
          setFieldValue(expected, f, fieldValue(raw, f));
        }
        // every field set: over any base the result is the raw word's fields, as numbers too where they fit
        const asNumbers = Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v]));
        if (!c.encode(d, base).every((w, i) => w === expected[i])) throw new Error(`${c.name}: encode over base differs`);
        if (!c.encode(asNumbers, base).every((w, i) => w === expected[i])) throw new Error(`${c.name}: encode of numbers differs`);
        // one field over a base keeps every other bit of the base
        const f = c.fields[Number(raw[0] ?? 0n) % c.fields.length];
        if (f !== undefined) {
          const one = [...base];
          setFieldValue(one, f, fieldValue(raw, f));
          const got = c.encode({ [f.name]: fieldValue(raw, f) }, base);
          if (!got.every((w, i) => w === BigInt.asUintN(64, one[i] ?? 0n))) throw new Error(`${c.name}.${f.name}: one-field encode over base differs`);
        }
      }),
      { numRuns: 30 },
    );
    checked++;
  }
  t.ok(checked > 60, `${checked} structures checked`);
});

t.test('encodeKnown skips names the structure lacks and still checks the ones it has', async (t) => {
  t.same(S.encodeKnown({ V: 1, StreamID: 5 }), [1n, 0n]);
  t.throws(() => S.encodeKnown({ Mode: 8, StreamID: 5 }), /Mode = 0x8 does not fit in 3 bits/);
  t.throws(() => S.encode({ V: 1, StreamID: 5 }), /has no field "StreamID"/);
});
