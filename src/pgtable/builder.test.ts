import t from 'tap';
import { SparseMemory } from '../memory/sparse-memory.ts';
import { PageAllocator } from '../memory/page-allocator.ts';
import { PageTableBuilder, descriptorAddress } from './builder.ts';
import { decodeOA, encodeOA, encodeOAParts, psBits, psEncoding, s1Leaf, s2Leaf, tableDesc, tg1Encoding } from '../arch/ttd.ts';
import { TTD } from '../arch/ttd.ts';
import { translate } from '../smmu/translate.ts';
import { setup } from './fixtures.ts';

function mk(o: Partial<ConstructorParameters<typeof PageTableBuilder>[0]> = {}) {
  const mem = new SparseMemory();
  const alloc = new PageAllocator(0x1000_0000n, 0x2000_0000n);
  return { mem, alloc, b: new PageTableBuilder({ stage: 1, granule: 4096, iaBits: 48, mem, alloc, ...o }) };
}

t.test('start level and table sizes per granule / input size', async (t) => {
  t.equal(mk().b.startLevel, 0);
  t.equal(mk({ iaBits: 39 }).b.startLevel, 1);
  t.equal(mk({ iaBits: 30 }).b.startLevel, 2);
  t.equal(mk({ granule: 16384, iaBits: 47 }).b.startLevel, 1);
  t.equal(mk({ granule: 16384, iaBits: 48 }).b.startLevel, 0);
  t.equal(mk({ granule: 65536, iaBits: 42 }).b.startLevel, 2);
  t.equal(mk({ granule: 65536, iaBits: 48 }).b.startLevel, 1);
  const s2 = mk({ stage: 2, iaBits: 40, startLevel: 1 }).b;
  t.same(s2.vtcrFields(), { S2T0SZ: 24n, S2SL0: 1n, S2TG: 0n, S2PS: 5n, S2TTB: s2.ttb });
  t.equal(s2.ttb % 0x2000n, 0n, 'two concatenated tables: 8K aligned');
  t.throws(() => mk({ stage: 2, iaBits: 44, startLevel: 1 }), /at most 16 concatenated/);
  t.throws(() => mk({ stage: 2, iaBits: 40, startLevel: 3 }), /no S2SL0 encoding|concatenated/);
  t.equal(mk({ stage: 2, granule: 16384, iaBits: 48 }).b.vtcrFields().S2SL0, 2n, '16K 48-bit: level 1 (SL0=2), 2 tables');
});

t.test('blocks where size and alignment allow; pageOnly; forced level', async (t) => {
  const { b, mem } = mk();
  b.map(0x4000_0000n, 0x8000_0000n, 0x4020_0000n);
  const l1 = mem.read64(b.descAddr(1, 0x4000_0000n) as bigint) as bigint;
  t.equal(l1 & 3n, 1n, '1G block at level 1');
  t.equal(decodeOA(l1, 4096), 0x8000_0000n);
  const l2 = mem.read64(b.descAddr(2, 0x8000_0000n) as bigint) as bigint;
  t.equal(l2 & 3n, 1n, '2M block for the tail');
  b.map(0x1_0000_0000n, 0x1_0000_0000n, 0x20_0000n, {}, { pageOnly: true });
  t.equal((mem.read64(b.descAddr(3, 0x1_001f_f000n) as bigint) as bigint) & 3n, 3n, 'pages');
  t.throws(() => b.map(0x1_0000_0000n, 0n, 0x1000n), /already mapped/);
  t.throws(() => b.map(0x4000_1000n, 0n, 0x1000n), /block already maps it/);
  t.throws(() => b.map(0x123n, 0n, 0x1000n), /aligned/);
});

t.test('descriptor encodings match the TTD codecs', async (t) => {
  const d = s1Leaf(0x1234_5000n, 3, 4096, { ap: 3, uxn: true, pxn: true, nG: true, af: true, attrIndx: 2 });
  t.match(TTD.s1Leaf[4096].decode([d]), { Valid: 1n, Type: 1n, AP: 3n, UXN: 1n, PXN: 1n, nG: 1n, AF: 1n, AttrIndx: 2n, OutputAddress: 0x1234_5000n });
  const s2 = s2Leaf(0x4000_0000n, 2, 4096, { s2ap: 2, xn: 3, memAttr: 1, af: false });
  t.match(TTD.s2Leaf[4096].decode([s2]), { Valid: 1n, Type: 0n, S2AP: 2n, XN: 3n, MemAttr: 1n, AF: 0n, OutputAddress: 0x4000_0000n });
  const tb = tableDesc(0x5000n, 4096, { apTable: 2, pxnTable: true, uxnTable: true, nsTable: true });
  t.match(TTD.table[4096].decode([tb]), { Valid: 1n, Type: 1n, APTable: 2n, PXNTable: 1n, UXNTable: 1n, NSTable: 1n, NextTableAddress: 0x5000n });
  t.equal(encodeOA(0xf_0000_1234_0000n, 65536), 0x1234_0000n | (0xfn << 12n), '64K OA[51:48] in bits[15:12]');
  t.equal(decodeOA(encodeOA(0xa_1234_5678_0000n, 65536), 65536), 0xa_1234_5678_0000n);
  t.equal(psBits(psEncoding(44)), 44);
  t.equal(tg1Encoding(4096), 2);
});

t.test('raw overrides, table attributes, descriptorAddress helper', async (t) => {
  const { b, mem } = mk({ iaBits: 39 });
  const slot = b.setRaw(3, 0x20_3000n, 0xdead_0001n);
  t.equal(mem.read64(slot), 0xdead_0001n);
  t.equal(slot, b.descAddr(3, 0x20_3000n));
  const l2Table = decodeOA(mem.read64(b.descAddr(2, 0x20_3000n) as bigint) as bigint, 4096);
  t.equal(descriptorAddress(l2Table, 3, 0x20_3000n, 4096, 1, 39), slot);
  t.equal(descriptorAddress(b.ttb, 1, 0x40_0000_0000n, 4096, 1, 39), b.ttb + 8n * 256n);
  b.setTableAttrs(2, 0x20_3000n, { apTable: 3 });
  t.equal((mem.read64(b.descAddr(2, 0x20_3000n) as bigint) as bigint) >> 61n, 3n);
  t.throws(() => b.setTableAttrs(3, 0x20_3000n, {}), /no table descriptor/);
});

t.test('unmap clears leaves and optionally frees empty tables', async (t) => {
  const { b, mem, alloc } = mk({ iaBits: 39 });
  b.map(0x20_0000n, 0x1000n, 0x2000n);
  const l2slot = b.descAddr(2, 0x20_0000n) as bigint;
  b.unmap(0x20_0000n, 0x1000n, { freeTables: true });
  t.equal(mem.read64(b.descAddr(3, 0x20_0000n) as bigint), 0n);
  t.not(mem.read64(l2slot), 0n, 'table still holds a page');
  b.unmap(0x20_1000n, 0x1000n, { freeTables: true });
  t.equal(mem.read64(l2slot), 0n, 'empty level-3 table freed and its pointer cleared');
  const again = alloc.alloc(4096, 4096);
  t.ok(again < 0x1000_4000n, 'freed table is reused by the allocator');
  b.map(0x4000_0000n, 0n, 0x20_0000n);
  t.throws(() => b.unmap(0x4000_0000n, 0x1000n), /splits a level-2 block/);
  b.unmap(0x4000_0000n, 0x20_0000n);
  t.equal(mem.read64(b.descAddr(2, 0x4000_0000n) as bigint), 0n);
});

t.test('outputAddress / leafSizeAt read the tables as the device walker does (one walk)', async (t) => {
  // The same tables through both: the builder's software walk and a stage-2 translation.
  for (const granule of [4096, 16384, 65536] as const) {
    const s = setup({ s2: { granule, iaBits: 40 }, policy: 'none' });
    const b = s.s2 as PageTableBuilder;
    const g = BigInt(granule);
    const block = b.blockSize(2);
    b.map(block, 0x8000_0000n, block); // a level-2 block
    b.map(0x10n * g, 0x9000_0000n, 2n * g, {}, { pageOnly: true });
    b.setRaw(3, 0x20n * g, s2Leaf(0xa000_0000n, 3, granule) & ~2n); // reserved: 0b01 at level 3
    const probes = [block + 0x123n, block + block - 8n, 0x10n * g + 0x18n, 0x11n * g, 0x12n * g, 0x20n * g, 0n];
    for (const ipa of probes) {
      const r = translate(s.env, s.cfg, { iova: ipa, read: true, write: false, instruction: false, privileged: false });
      const where = `${granule / 1024}K ipa 0x${ipa.toString(16)}`;
      t.equal(b.outputAddress(ipa), r.ok ? r.pa : undefined, where);
      t.equal(b.leafSizeAt(ipa), r.ok ? 1n << BigInt(r.sizeLog2) : undefined, `${where} leaf size`);
      if (!r.ok) t.equal(r.fault.type, 'F_TRANSLATION', where);
    }
    const visited: number[] = [];
    b.outputAddress(0x10n * g, visited);
    t.equal(visited.length, 4 - b.startLevel, `${granule / 1024}K: one descriptor read per level`);
    t.equal(BigInt(visited.at(-1) as number), b.descAddr(3, 0x10n * g), 'the last read is the leaf slot');
  }
});

t.test('the descent is the walker: a planted table pointing at unbacked memory reads as invalid below it', async (t) => {
  const { b, mem } = mk();
  // level-1 table descriptor for VA 0 whose level-2 table is nowhere in memory
  b.setRaw(1, 0n, tableDesc(0x7000_0000n, 4096));
  t.equal(b.outputAddress(0x1000n), undefined, 'nothing maps through it');
  b.map(0x1000n, 0x9000_0000n, 0x1000n);
  t.equal(mem.read64(0x7000_0000n) !== undefined, true, 'the level-2 slot was written: a new table under the planted one');
  t.equal(b.outputAddress(0x1000n), 0x9000_0000n, 'and the page maps through both');
  b.unmap(0x0n, 0x20_0000n);
  t.equal(b.outputAddress(0x1000n), undefined, 'unmap walks the same path');
});

t.test('encodeOAParts is encodeOA for number addresses', async (t) => {
  const parts = new Uint32Array(2);
  for (const g of [4096, 16384, 65536] as const) {
    for (const pa of [0, 0x1000, 0xffff_f000, 0x1_0000_0000, 0xabc_dead_f000, 0xf_0000_1234_0000, 0x1f_ffff_ffff_f000, 2 ** 53 - 4096]) {
      encodeOAParts(pa, Math.log2(g), parts);
      t.equal((BigInt(parts[1] as number) << 32n) | BigInt(parts[0] as number), encodeOA(BigInt(pa), g), `${g} 0x${pa.toString(16)}`);
    }
  }
});
