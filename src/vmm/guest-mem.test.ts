import t from 'tap';
import { SparseMemory } from '../memory/sparse-memory.ts';
import { GuestMemory } from './guest-mem.ts';

t.test('GuestMemory: IPA → PA regions, unmapped IPAs, S2 mirroring', (tt) => {
  const mem = new SparseMemory();
  const g = new GuestMemory(mem);
  g.addRam(0x4000_0000n, 0x2000_0000n, 0x2000n);
  g.addRam(0x8000_0000n, 0x3000_0000n, 0x1000n);
  tt.throws(() => g.addRam(0x4000_1000n, 0x5000_0000n, 0x1000n), /overlaps/);
  tt.throws(() => g.addRam(0x9000_0800n, 0x5000_0000n, 0x1000n), /aligned/);
  tt.equal(g.toPa(0x4000_1008n), 0x2000_1008n);
  tt.equal(g.toPa(0x4000_2000n), undefined);
  tt.equal(g.write64(0x8000_0010n, -1n), true);
  tt.equal(mem.read64(0x3000_0010n), 0xffff_ffff_ffff_ffffn, 'stored as unsigned 64-bit');
  tt.equal(g.write64(0x7000_0000n, 1n), false);
  tt.equal(g.readWords(0x4000_1ff8n, 2), undefined, 'a read that leaves RAM fails whole');
  tt.same(g.readWords(0x8000_0010n, 1), [0xffff_ffff_ffff_ffffn]);
  const maps: bigint[][] = [];
  g.mapIntoS2((ipa, pa, size) => {
    maps.push([ipa, pa, size]);
    return { errno: 0 };
  });
  tt.same(maps, [
    [0x4000_0000n, 0x2000_0000n, 0x2000n],
    [0x8000_0000n, 0x3000_0000n, 0x1000n],
  ]);
  tt.throws(() => g.mapIntoS2(() => ({ errno: 'EINVAL' })), /Cannot map guest RAM/);
  tt.throws(() => g.tableView().read64(0x1000n), /not guest RAM/);
  tt.end();
});
