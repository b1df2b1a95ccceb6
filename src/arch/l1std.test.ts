import t from 'tap';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import { hex64 } from './fields.ts';
import { L1STD, l1stdSteCount } from './l1std.ts';

t.test('L1STD layout (§5.1): Span [4:0], L2Ptr [55:6]', async (t) => {
  t.same(L1STD.encode({ Span: 9, L2Ptr: 0x8000_1040n }), [0x8000_1049n]);
  t.equal(hex64(L1STD.definedMask[0] ?? 0n), '0x00ffffffffffffdf');
  t.same(L1STD.decode([0xffff_ffff_ffff_ffffn]), { Span: 31n, L2Ptr: 0x00ff_ffff_ffff_ffc0n });
  t.match(L1STD.validate({ L2Ptr: 0x20n })[0]?.code, 'MISALIGNED_ADDRESS');
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (w) => deepStrictEqual(L1STD.encode(L1STD.decode([w])), [w & 0x00ff_ffff_ffff_ffdfn])));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 31 }), fc.bigInt({ min: 0n, max: (1n << 50n) - 1n }), (span, p) =>
      deepStrictEqual(L1STD.decode(L1STD.encode({ Span: span, L2Ptr: p << 6n })), { Span: BigInt(span), L2Ptr: p << 6n }),
    ),
  );
});

t.test('l1stdSteCount', async (t) => {
  t.equal(l1stdSteCount(0), 0);
  t.equal(l1stdSteCount(1), 1);
  t.equal(l1stdSteCount(9), 256);
  t.equal(l1stdSteCount(11), 1024);
  t.equal(l1stdSteCount(12), 0);
});
