import t from 'tap';
import { TTD, alignDown, apTable, blockAllowed, describeDescriptor, descOA, levelShift, s1AP, s2XN, startLevelS1, startLevelS2, sl0ForLevel } from './ttd.ts';

const halves = (v: bigint): [number, number] => [Number(v & 0xffff_ffffn), Number(v >> 32n)];

t.test('number helpers agree with the bigint codecs', async (t) => {
  const raw = TTD.s1Leaf[4096].encode({ Valid: 1, Type: 1, AP: 2, UXN: 1, AF: 1, OutputAddress: 0xabc_dead_f000n });
  const [lo, hi] = halves(raw[0] as bigint);
  t.equal(descOA(lo, hi, 12), 0xabc_dead_f000);
  t.equal(s1AP(lo), 2);
  const s2 = TTD.s2Leaf[65536].encode({ Valid: 1, Type: 1, XN: 1, OutputAddress: 0x1234_0000n, OA51_48: 0xf });
  const [lo2, hi2] = halves(s2[0] as bigint);
  t.equal(s2XN(hi2), 1);
  t.equal(descOA(lo2, hi2, 16), 0xf_0000_1234_0000);
  const tb = TTD.table[16384].encode({ Valid: 1, Type: 1, APTable: 3, NextTableAddress: 0x8000_4000n });
  const [lo3, hi3] = halves(tb[0] as bigint);
  t.equal(apTable(hi3), 3);
  t.equal(descOA(lo3, hi3, 14), 0x8000_4000);
});

t.test('geometry', async (t) => {
  t.equal(levelShift(12, 3), 12);
  t.equal(levelShift(12, 0), 39);
  t.equal(levelShift(16, 1), 42);
  t.equal(startLevelS1(12, 48), 0);
  t.equal(startLevelS1(12, 39), 1);
  t.equal(startLevelS1(14, 47), 1);
  t.equal(startLevelS1(16, 52), 1);
  t.equal(startLevelS2(12, 0), 2);
  t.equal(startLevelS2(12, 2), 0);
  t.equal(startLevelS2(12, 3), undefined);
  t.equal(startLevelS2(16, 3), undefined);
  for (const g of [12, 14, 16]) for (const l of [1, 2, 3]) if (startLevelS2(g, sl0ForLevel(g, l)) !== undefined) t.equal(startLevelS2(g, sl0ForLevel(g, l)), l);
  t.ok(blockAllowed(12, 1, false));
  t.notOk(blockAllowed(12, 0, true));
  t.notOk(blockAllowed(14, 1, true));
  t.notOk(blockAllowed(16, 1, false));
  t.ok(blockAllowed(16, 1, true));
  t.equal(alignDown(0x1234_5678_9abc, 21), 0x1234_5660_0000);
});

t.test('describeDescriptor', async (t) => {
  t.equal(describeDescriptor(0n, 1, 2, 4096), 'invalid');
  t.equal(describeDescriptor(1n, 1, 3, 4096), 'reserved (level-3 0b01)');
  t.match(describeDescriptor(0x1003n, 1, 1, 4096), /^table /);
  t.match(describeDescriptor(0x4000_0000n | 0x4c1n, 2, 1, 4096), /^block .*S2AP/);
});
