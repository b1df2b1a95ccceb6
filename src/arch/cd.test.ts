import t from 'tap';
import { hex64 } from './fields.ts';
import { roundTrips } from './roundtrip.testkit.ts';
import { CD, L1CD } from './cd.ts';
import { TG0_GRANULE, TG1_GRANULE } from './ttd.ts';

t.test('CD and L1CD round-trip over every field', async (t) => {
  t.equal(CD.fields.length, 60);
  t.equal(L1CD.fields.length, 2);
  roundTrips(CD);
  roundTrips(L1CD);
});

t.test('CD field positions (hand-computed, §5.4)', async (t) => {
  const cases: [string, bigint, number, bigint][] = [
    ['T0SZ', 0x3fn, 0, 0x3fn],
    ['TG0', 2n, 0, 0x80n],
    ['EPD0', 1n, 0, 0x4000n],
    ['ENDI', 1n, 0, 0x8000n],
    ['T1SZ', 0x3fn, 0, 0x3f_0000n],
    ['TG1', 3n, 0, 0xc0_0000n],
    ['EPD1', 1n, 0, 0x4000_0000n],
    ['V', 1n, 0, 0x8000_0000n],
    ['IPS', 7n, 0, 0x7_0000_0000n],
    ['TBI0', 1n, 0, 0x40_0000_0000n],
    ['TBI1', 1n, 0, 0x80_0000_0000n],
    ['AA64', 1n, 0, 0x200_0000_0000n],
    ['S', 1n, 0, 0x1000_0000_0000n],
    ['ASET', 1n, 0, 0x8000_0000_0000n],
    ['ASID', 0xffffn, 0, 0xffff_0000_0000_0000n],
    ['HAD0', 1n, 1, 0x2n],
    ['HAFT', 1n, 1, 0x8n],
    ['TTB0', 0x00ff_ffff_ffff_fff0n, 1, 0x00ff_ffff_ffff_fff0n],
    ['PnCH', 1n, 1, 0x0400_0000_0000_0000n],
    ['HWU062', 1n, 1, 0x8000_0000_0000_0000n],
    ['AIE', 1n, 2, 0x8n],
    ['TTB1', 0x1000n, 2, 0x1000n],
    ['DS', 1n, 2, 0x0400_0000_0000_0000n],
    ['PIE', 1n, 2, 0x0800_0000_0000_0000n],
    ['MAIR1', 0xffff_ffffn, 3, 0xffff_ffff_0000_0000n],
    ['AMAIR0', 0x1234n, 4, 0x1234n],
    ['PARTID', 0xffffn, 5, 0xffff_0000_0000n],
    ['PMG', 0xffn, 5, 0xff_0000_0000_0000n],
    ['PIIU', 0xffff_ffff_ffffn, 6, 0xffff_ffff_ffffn],
    ['PIIP', 0x1n, 7, 0x1n],
  ];
  for (const [name, value, dw, expect] of cases) {
    const raw = CD.encode({ [name]: value });
    t.equal(hex64(raw[dw] ?? 0n), hex64(expect), `${name} -> dw${dw}`);
  }
  // dw1 [57:56], dw2 [57:56] and dw5 [63:56] are RES0; dw6/dw7 [63:48] RES0.
  t.equal(hex64(CD.definedMask[1] ?? 0n), '0xfcffffffffffffff');
  t.equal(hex64(CD.definedMask[5] ?? 0n), '0x00ffffffffffffff');
  t.equal(hex64(CD.definedMask[7] ?? 0n), '0x0000ffffffffffff');
});

t.test('Linux KUnit S1 CD fixture (tcr ips=1 tg=2 sh=3 orgn=1 irgn=2 tsz=4)', async (t) => {
  // Assumptions (arm_smmu_make_s1_cd for a DMA domain): V, EPD1, AA64, R, A, ASET set; S/HA/HD
  // clear; TTB0 = ttbr & GENMASK(51,4); MAIR = mair (MAIR0 low, MAIR1 high).
  const mk = (asid: number) =>
    CD.encode({
      T0SZ: 4,
      TG0: 2,
      IR0: 2,
      OR0: 1,
      SH0: 3,
      IPS: 1,
      EPD1: 1,
      V: 1,
      AA64: 1,
      R: 1,
      A: 1,
      ASET: 1,
      ASID: asid,
      TTB0: 0xdaedbeefdeadbeefn & 0x000f_ffff_ffff_fff0n,
      MAIR0: 0xabcdef012345678n & 0xffff_ffffn,
      MAIR1: 0xabcdef012345678n >> 32n,
    });
  // low word: 4 | 2<<6 | 2<<8 | 1<<10 | 3<<12 | 1<<30 | 1<<31 = 0xc0003684
  // high word: IPS 1 | AA64 1<<9 | R 1<<13 | A 1<<14 | ASET 1<<15 | ASID<<16
  const a = mk(778);
  t.equal(hex64(a[0] ?? 0n), '0x030ae201c0003684');
  t.equal(hex64(a[1] ?? 0n), '0x000dbeefdeadbee0');
  t.equal(hex64(a[2] ?? 0n), '0x0000000000000000');
  t.equal(hex64(a[3] ?? 0n), '0x0abcdef012345678');
  const b = mk(1997);
  t.equal(hex64(b[0] ?? 0n), '0x07cde201c0003684');
  // Changing the ASID touches only dw0[63:48] (why the KUnit ASID change is hitless).
  t.same(a.slice(1), b.slice(1));
  t.equal(((a[0] ?? 0n) ^ (b[0] ?? 0n)) >> 48n, 778n ^ 1997n);
});

t.test('TG0/TG1 encodings differ; L1CD positions', async (t) => {
  t.equal(TG0_GRANULE[0], 4096);
  t.equal(TG1_GRANULE[2], 4096);
  t.equal(TG1_GRANULE[0], undefined);
  t.equal(CD.describe(CD.encode({ TG1: 1 })).find((d) => d.spec.name === 'TG1')?.name, '16KB');
  t.equal(CD.describe(CD.encode({ TG0: 1 })).find((d) => d.spec.name === 'TG0')?.name, '64KB');
  t.same(L1CD.encode({ V: 1, L2Ptr: 0x00ff_ffff_ffff_f000n }), [0x00ff_ffff_ffff_f001n]);
  t.equal(hex64(L1CD.definedMask[0] ?? 0n), '0x00fffffffffff001');
  t.match(L1CD.validate({ L2Ptr: 0x1800n })[0]?.code, 'MISALIGNED_ADDRESS');
});
