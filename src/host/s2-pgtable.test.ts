import t from 'tap';
import { PageTableBuilder } from '../pgtable/builder.ts';
import { PageAllocator } from '../memory/page-allocator.ts';
import { SparseMemory } from '../memory/sparse-memory.ts';
import { s2PgtableConfig } from './s2-pgtable.ts';

t.test('VTCR for a 40-bit 4K stage-2 table: T0SZ 24, SL0 1 (concatenated level 1), PS 48 bits', (tt) => {
  const mem = new SparseMemory();
  const b = new PageTableBuilder({
    stage: 2,
    granule: 4096,
    iaBits: 40,
    oaBits: 48,
    startLevel: 1,
    mem,
    alloc: new PageAllocator(0x1000_0000n, 0x1100_0000n, mem),
  });
  const c = s2PgtableConfig(b);
  tt.equal(c.vttbr, b.ttb);
  tt.same(c.vtcr, { tsz: 24, sl: 1, irgn: 1, orgn: 1, sh: 3, tg: 0, ps: 5 });
  const b0 = new PageTableBuilder({ stage: 2, granule: 16384, iaBits: 40, oaBits: 44, mem, alloc: new PageAllocator(0x2000_0000n, 0x2100_0000n, mem) });
  const c0 = s2PgtableConfig(b0);
  tt.equal(c0.vtcr.tg, 2, '16K');
  tt.equal(c0.vtcr.ps, 4, '44 bits');
  tt.equal(c0.vtcr.sl, 3 - b0.startLevel);
  tt.end();
});
