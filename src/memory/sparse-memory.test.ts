import t from 'tap';
import { SparseMemory, MemoryCapError } from './sparse-memory.ts';
import { PageAllocator } from './page-allocator.ts';

t.test('unbacked reads are reported, not zeros', async (t) => {
  const m = new SparseMemory();
  t.equal(m.read64(0x1000n), undefined);
  t.equal(m.read32(0x1004n), undefined);
  const parts = new Uint32Array(2);
  t.equal(m.readU64Parts(0x1000, parts), false);
  m.write64(0x1008n, 0n);
  t.equal(m.read64(0x1000n), 0n, 'a backed page reads zero elsewhere');
  t.equal(m.readU64Parts(0x1000, parts), true);
});

t.test('64-bit addresses above 2^53 round-trip exactly', async (t) => {
  const m = new SparseMemory();
  const hi = 0xffff_ffff_ffff_f000n;
  const near = (1n << 53n) + 8n;
  m.write64(hi, 0x0123_4567_89ab_cdefn);
  m.write64(near, 0xfedc_ba98_7654_3210n);
  t.equal(m.read64(hi), 0x0123_4567_89ab_cdefn);
  t.equal(m.read64(near), 0xfedc_ba98_7654_3210n);
  t.equal(m.read64(near - 8n), 0n, 'same page, other word');
  t.equal(m.read64(near + 0x1000n), undefined, 'the next page stays unbacked');
  t.equal(m.read64(1n << 53n ^ 0x1000n), undefined, 'no aliasing through number rounding');
  t.same(m.backedPages().length, 2);
});

t.test('little-endian layout and halves', async (t) => {
  const m = new SparseMemory();
  m.write64(0x2000n, 0x1122_3344_5566_7788n);
  t.equal(m.read32(0x2000n), 0x5566_7788);
  t.equal(m.read32(0x2004n), 0x1122_3344);
  const p = new Uint32Array(2);
  m.readU64Parts(0x2000, p);
  t.same([p[0], p[1]], [0x5566_7788, 0x1122_3344]);
  m.writeU64Parts(0x2008, 0xdeadbeef, 0xcafef00d);
  t.equal(m.read64(0x2008n), 0xcafef00d_deadbeefn);
  t.throws(() => m.read64(0x2004n), RangeError);
});

t.test('cap on backed bytes', async (t) => {
  const m = new SparseMemory({ maxBackedBytes: 2 * 4096 });
  m.write64(0n, 1n);
  m.write64(0x10000n, 1n);
  t.throws(() => m.write64(0x20000n, 1n), { code: 'MEMORY_CAP' });
  t.ok((() => { try { m.write64(0x20000n, 1n); } catch (e) { return e instanceof MemoryCapError; } return false; })());
  t.match(String((() => { try { m.back(0x30000n, 8); } catch (e) { return (e as Error).message; } return ''; })()), /more than 8192 bytes/);
});

t.test('unback makes pages abort again', async (t) => {
  const m = new SparseMemory();
  m.back(0x5000n, 0x2000);
  t.ok(m.isBacked(0x6ff8n));
  m.unback(0x5000n, 0x1000);
  t.notOk(m.isBacked(0x5000n));
  t.ok(m.isBacked(0x6000n));
});

t.test('allocator is deterministic, aligned, backed and reuses freed blocks', async (t) => {
  const run = () => {
    const m = new SparseMemory();
    const a = new PageAllocator(0x8000_0000n, 0x9000_0000n, m);
    const x = a.alloc(4096);
    const y = a.alloc(64);
    const z = a.alloc(0x10000);
    a.free(x, 4096);
    const w = a.alloc(4096);
    return { m, addrs: [x, y, z, w] };
  };
  const r1 = run();
  const r2 = run();
  t.same(r1.addrs, r2.addrs);
  t.same(r1.addrs, [0x8000_0000n, 0x8000_1000n, 0x8001_0000n, 0x8000_0000n]);
  t.equal(r1.m.read64(0x8001_fff8n), 0n, 'allocated blocks are backed');
  const small = new PageAllocator(0n, 0x2000n);
  small.alloc(0x2000);
  t.throws(() => small.alloc(8), /exhausted/);
});

t.test('the hot-path page cache never outlives unback', async (t) => {
  const m = new SparseMemory();
  m.write64(0x7000n, 5n);
  const p = new Uint32Array(2);
  t.equal(m.readU64Parts(0x7000, p), true);
  t.equal(p[0], 5);
  m.unback(0x7000n, 8);
  t.equal(m.readU64Parts(0x7000, p), false, 'cached page dropped with its backing');
  m.write64(0x7000n, 9n);
  t.equal(m.readU64Parts(0x7000, p), true);
  t.equal(p[0], 9, 'a re-backed page is a new page');
});
