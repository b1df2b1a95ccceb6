import t from 'tap';
import { SparseMemory } from '../../memory/sparse-memory.ts';
import { PageAllocator } from '../../memory/page-allocator.ts';
import { PageTableBuilder } from '../../pgtable/builder.ts';
import { Stage2Pages } from './s2-pages.ts';

function s2(): { mem: SparseMemory; b: PageTableBuilder; pages: Stage2Pages } {
  const mem = new SparseMemory();
  const b = new PageTableBuilder({ stage: 2, granule: 4096, iaBits: 32, mem, alloc: new PageAllocator(0x1000_0000n, 0x2000_0000n, mem) });
  return { mem, b, pages: new Stage2Pages(b, mem) };
}

t.test('answers are the walk’s, also after the tables change under them', async (t) => {
  const { b, pages } = s2();
  b.map(0x4000_0000n, 0x8_0000_0000n, 0x2000n);
  t.equal(pages.lookup(0x4000_1008n), 0x8_0000_1008n);
  t.equal(pages.lookup(0x4000_1ff8n), 0x8_0000_1ff8n, 'remembered page, other offset');
  t.equal(pages.lookup(0x4000_2000n), undefined, 'unmapped');
  t.equal(pages.lookupNumber(0x4000_1ff8), 0x8_0000_1ff8, 'number face');
  t.equal(pages.lookupNumber(0x4000_2000), -1, 'number face: unmapped');
  b.unmap(0x4000_1000n, 0x1000n);
  t.equal(pages.lookup(0x4000_1008n), undefined, 'forgotten when the memory changes (unmap)');
  b.map(0x4000_1000n, 0x9_0000_0000n, 0x1000n);
  t.equal(pages.lookup(0x4000_1008n), 0x9_0000_0008n, 'the new mapping');
  t.equal(pages.lookup(0x4000_0000n), b.outputAddress(0x4000_0000n));
});

t.test('a write through the view to a table page of a remembered walk forgets it', async (t) => {
  const { mem, b, pages } = s2();
  const ipa = 0x4000_0000n;
  b.map(ipa, 0x8_0000_0000n, 0x1000n);
  // map a second IPA page onto the level-3 table holding ipa's page descriptor
  const slot = b.descAddr(3, ipa) as bigint;
  const table = slot & ~0xfffn;
  b.map(0x4000_1000n, table, 0x1000n);
  t.equal(pages.lookup(ipa), 0x8_0000_0000n);
  // the guest clears ipa's descriptor through the view: lookup, write, wrote
  const pa = pages.lookup(0x4000_1000n + (slot - table)) as bigint;
  t.equal(pa, slot);
  mem.write64(pa, 0n);
  pages.wrote(pa, 8);
  t.equal(pages.lookup(ipa), undefined, 'ipa is no longer mapped');
  // a write elsewhere keeps what is remembered: no new walk; a write to a table page walks again
  t.equal(pages.lookup(0x4000_1000n), table);
  let walks = 0;
  const walk = b.outputAddress.bind(b);
  b.outputAddress = (...a: Parameters<typeof walk>) => {
    walks++;
    return walk(...a);
  };
  mem.write64(0x8_0000_0000n, 1n);
  pages.wrote(0x8_0000_0000n, 8);
  t.equal(pages.lookup(0x4000_1000n), table);
  t.equal(walks, 0, 'a write to a data page keeps the remembered walk');
  // another descriptor of the same level-3 table page (not the one 0x4000_1000 uses)
  mem.write64(slot + 0x100n, 0n);
  pages.wrote(slot + 0x100n, 8);
  t.equal(pages.lookup(0x4000_1000n), table);
  t.equal(walks, 1, 'a write to a table page the walk read forgets it');
});
