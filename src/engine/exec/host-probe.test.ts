import t from 'tap';
import { probeFields } from '../steps/attach.ts';

const V1 = [0xdn, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
const V0 = [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
const OLD = 'pa 0x0000000200001010';
const NEW = 'pa 0x0000000200005010';

t.test('torn verdict of an attach probe', (tt) => {
  const ok = probeFields(OLD, [
    { dwords: V1, dma: OLD },
    { dwords: V1, dma: NEW },
  ]);
  tt.equal(ok['torn'], false, 'old then new');
  tt.same([ok['dma_0'], ok['dma_1'], ok['dma_2'], ok['v0_1']], [OLD, OLD, NEW, false]);
  tt.same(ok['ste_2'], V1);
  tt.equal(
    probeFields(OLD, [
      { dwords: V1, dma: 'pa 0x0000000200009010' },
      { dwords: V1, dma: NEW },
    ])['torn'],
    true,
    'a third outcome is a mix',
  );
  tt.equal(
    probeFields(OLD, [
      { dwords: V1, dma: 'C_BAD_STE' },
      { dwords: V1, dma: NEW },
    ])['torn'],
    true,
    'C_BAD_STE with V=1',
  );
  tt.equal(
    probeFields(OLD, [
      { dwords: V1, dma: 'abort (silent)' },
      { dwords: V1, dma: NEW },
    ])['torn'],
    true,
    'abort between two translations',
  );
  const brk = probeFields(OLD, [
    { dwords: V0, dma: 'C_BAD_STE' },
    { dwords: V0, dma: 'C_BAD_STE' },
    { dwords: V1, dma: NEW },
  ]);
  tt.equal(brk['torn'], false, 'the V=0 window of a breaking update is not torn');
  tt.same([brk['v0_1'], brk['v0_2'], brk['v0_3']], [true, true, false]);
  tt.equal(probeFields(OLD, [])['torn'], false, 'no pass: nothing written');
  tt.end();
});
