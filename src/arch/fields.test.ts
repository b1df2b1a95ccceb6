import t from 'tap';
import { StructCodec, closest, hex64 } from './fields.ts';

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
