/**
 * The host layer on the real emulated SMMU (DevicePort): physical STE writes, DMA through the
 * nested configuration, event forwarding, and the GERROR path for an illegal command.
 */
import t from 'tap';
import { PageAllocator } from '../memory/page-allocator.ts';
import { SparseMemory } from '../memory/sparse-memory.ts';
import { SmmuDevice } from '../smmu/device.ts';
import { bootSmmu } from '../smmu/boot.ts';
import { PageTableBuilder } from '../pgtable/builder.ts';
import { STE } from '../arch/ste.ts';
import { DevicePort } from './device-port.ts';
import { HWPT_ALLOC_NEST_PARENT, Iommufd, vsteBytes } from './iommufd.ts';
import { commandsToBytes } from './invalidate.ts';
import { OPCODE as OP } from '../arch/command.ts';

function world() {
  const mem = new SparseMemory();
  const alloc = new PageAllocator(0x1000_0000n, 0x8000_0000n, mem);
  const dev = new SmmuDevice({ mem });
  bootSmmu(dev, alloc, { strtab: 'linear', cmdqLog2: 8, evtqLog2: 6 });
  const port = new DevicePort(dev);
  const fd = new Iommufd({ smmus: [{ name: 'smmu0', port }], devices: [{ name: '0000:01:00.0', smmu: 0, sids: [0x10] }] });
  const parent = fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT });
  if (parent.errno !== 0) throw new Error(parent.reason);
  const s2 = new PageTableBuilder({ stage: 2, granule: 4096, iaBits: 48, oaBits: 48, mem, alloc });
  const dataPa = alloc.alloc(0x1000, 0x1000);
  const cdPa = alloc.alloc(0x1000, 0x1000);
  fd.setParentTables(parent.hwptId, s2);
  fd.s2Map(parent.hwptId, 0x4000_0000n, dataPa, 0x1000n);
  fd.s2Map(parent.hwptId, 0x5000_0000n, cdPa, 0x1000n);
  const vi = fd.allocViommu({ devId: 1, hwptId: parent.hwptId, type: 1 });
  if (vi.errno !== 0) throw new Error(vi.reason);
  return { mem, dev, port, fd, parent, vi, dataPa, cdPa };
}

t.test('behaviour 8 on the device: bypass vSTE → S2 STE installed, DMA translated by S2 only', (tt) => {
  const w = world();
  const h = w.fd.allocNestedHwpt({ devId: 1, viommuId: w.vi.viommuId, dataType: 2, data: vsteBytes([1n | (4n << 1n), 0n]) });
  if (h.errno !== 0) throw new Error(h.reason);
  const a = w.fd.attach(1, h.hwptId);
  tt.equal(a.errno, 0);
  tt.equal(STE.get(w.port.readSte(0x10), 'Config'), 6n);
  const r = w.dev.transaction({ sid: 0x10, iova: 0x4000_0123n, access: 'read' });
  tt.same(r, { kind: 'translated', pa: w.dataPa + 0x123n, stages: 's2' });
  tt.equal(w.fd.log.length, 0, 'no CMDQ errors while writing the STE');
  // behaviour 22: an S2 fault is never forwarded; the host prints it
  const f = w.dev.transaction({ sid: 0x10, iova: 0x6000_0000n, access: 'read' });
  tt.equal(f.kind, 'aborted');
  const ev = w.dev.drainEvents();
  tt.equal(ev.length, 1);
  tt.equal(w.fd.handleEvent(0, ev[0]?.raw ?? []), 'logged');
  tt.match(w.fd.log.map((l) => l.line).join('\n'), /F_TRANSLATION client: 0000:01:00\.0 sid: 0x10/);
  tt.end();
});

t.test('behaviour 4 on the device: V=0 vSTE → abort STE, DMA silently aborted, no event anywhere', (tt) => {
  const w = world();
  const h = w.fd.allocNestedHwpt({ devId: 1, viommuId: w.vi.viommuId, dataType: 2, data: vsteBytes([0n, 0xffn]) });
  if (h.errno !== 0) throw new Error(h.reason);
  tt.equal(w.fd.attach(1, h.hwptId).errno, 0);
  const r = w.dev.transaction({ sid: 0x10, iova: 0x4000_0000n, access: 'write' });
  tt.equal(r.kind === 'aborted' && r.silent, true);
  tt.equal(w.dev.drainEvents().length, 0);
  tt.equal(w.fd.log.length, 0);
  tt.end();
});

t.test('behaviour 23 on the device: C_BAD_CD from the guest CD table is forwarded with the vSID', (tt) => {
  const w = world();
  tt.equal(w.fd.allocVdevice({ viommuId: w.vi.viommuId, devId: 1, virtId: 7 }).errno, 0);
  // the guest CD at IPA 0x5000_0000 is all zeros (V=0) → C_BAD_CD
  const h = w.fd.allocNestedHwpt({
    devId: 1,
    viommuId: w.vi.viommuId,
    dataType: 2,
    data: vsteBytes([1n | (5n << 1n) | 0x5000_0000n, (1n << 2n) | (1n << 4n) | (3n << 6n)]),
  });
  if (h.errno !== 0) throw new Error(h.reason);
  tt.equal(w.fd.attach(1, h.hwptId).errno, 0);
  const q = w.fd.allocVeventq({ viommuId: w.vi.viommuId, type: 1, depth: 8 });
  if (q.errno !== 0) throw new Error(q.reason);
  const r = w.dev.transaction({ sid: 0x10, iova: 0x1000n, access: 'read' });
  tt.equal(r.kind === 'aborted' ? r.event : r.kind, 'C_BAD_CD');
  const ev = w.dev.drainEvents();
  tt.equal(ev.length, 1);
  tt.equal(w.fd.handleEvent(0, ev[0]?.raw ?? []), 'vevent');
  const rd = w.fd.readVeventq(q.veventqId, 1024);
  if (rd.errno !== 0) throw new Error(rd.reason);
  tt.equal(rd.records[0]?.data?.[0], 0x0an | (7n << 32n), 'type 0x0A, SID → vSID 7');
  tt.end();
});

t.test('behaviour 19 on the device: guest NH_VA with a RES0 bit → CERROR_ILL skipped by the host, ioctl 0', (tt) => {
  const w = world();
  const bad = [BigInt(OP.TLBI_NH_VA) | (1n << 8n), 0x1000n];
  const good = [BigInt(OP.TLBI_NH_ALL), 0n];
  const r = w.fd.invalidate(w.vi.viommuId, { dataType: 1, entryLen: 16, entryNum: 2, data: commandsToBytes([bad, good]) });
  tt.equal(r.errno, 0);
  tt.equal(r.entryNum, 2);
  const lines = w.fd.log.map((l) => l.line);
  tt.match(lines.join('\n'), /CMDQ error \(cons 0x01[0-9a-f]{6}\): Illegal command/);
  tt.ok(lines.includes('skipping command in error state:'));
  tt.equal(w.dev.readReg(0x9c) & 0xffn, w.dev.readReg(0x98) & 0xffn, 'queue drained');
  tt.end();
});

t.test('unmap on the device: the S2 TLB entry is invalidated (TLBI_S2_IPA + NH_ALL), DMA then faults', (tt) => {
  const w = world();
  const h = w.fd.allocNestedHwpt({ devId: 1, viommuId: w.vi.viommuId, dataType: 2, data: vsteBytes([1n | (4n << 1n), 0n]) });
  if (h.errno !== 0) throw new Error(h.reason);
  tt.equal(w.fd.attach(1, h.hwptId).errno, 0);
  tt.equal(w.dev.transaction({ sid: 0x10, iova: 0x4000_0000n, access: 'read' }).kind, 'translated', 'TLB now caches the S2 entry');
  const u = w.fd.s2Unmap(w.parent.hwptId, 0x4000_0000n, 0x1000n);
  tt.equal(u.errno, 0);
  tt.equal(w.dev.transaction({ sid: 0x10, iova: 0x4000_0000n, access: 'read' }).kind, 'aborted', 'no stale translation');
  tt.equal(w.fd.log.length, 0);
  tt.end();
});

t.test('EVTQ overflow on the device: the host prints the overflow line once and acknowledges', (tt) => {
  const w = world();
  // 64-entry event queue; SID 0x33 has an all-zero STE (V=0) -> one C_BAD_STE per transaction
  for (let i = 0; i < 70; i++) w.dev.transaction({ sid: 0x33, iova: 0n, access: 'read' });
  w.dev.drainEvents();
  tt.equal(w.fd.checkEvtqOverflow(0), true);
  tt.same(
    w.fd.log.map((l) => l.line),
    ['EVTQ overflow detected -- events lost'],
  );
  tt.equal(w.fd.checkEvtqOverflow(0), false, 'acknowledged');
  tt.end();
});

t.test('unmap of a 2M block: TLBI_S2_IPA names the block level (gather size), so the block does not stay cached', (tt) => {
  const w = world();
  const blockPa = 0x6000_0000n;
  w.mem.back(blockPa, 0x1000);
  tt.equal(w.fd.s2Map(w.parent.hwptId, 0x8000_0000n, blockPa, 0x20_0000n).errno, 0);
  const h = w.fd.allocNestedHwpt({ devId: 1, viommuId: w.vi.viommuId, dataType: 2, data: vsteBytes([1n | (4n << 1n), 0n]) });
  if (h.errno !== 0) throw new Error(h.reason);
  tt.equal(w.fd.attach(1, h.hwptId).errno, 0);
  const hit = w.dev.transaction({ sid: 0x10, iova: 0x8000_1234n, access: 'read' });
  tt.same(hit, { kind: 'translated', pa: 0x6000_1234n, stages: 's2' }, 'the block is cached');
  const u = w.fd.s2Unmap(w.parent.hwptId, 0x8000_0000n, 0x20_0000n);
  if (u.errno !== 0) throw new Error(u.reason);
  const tlbi = u.batches.flat().filter((c) => Number((c[0] ?? 0n) & 0xffn) === OP.TLBI_S2_IPA);
  tt.ok(tlbi.length > 0, 'TLBI_S2_IPA issued');
  for (const c of tlbi) {
    const ttl = Number(((c[1] ?? 0n) >> 8n) & 3n);
    const tg = Number(((c[1] ?? 0n) >> 10n) & 3n);
    // Range form (RIL): TTL = level of the leaf, 2 for a 4K-granule 2M block; never the page level 3.
    if (tg !== 0) tt.equal(ttl, 2, 'TTL hint = level 2');
  }
  tt.equal(w.dev.transaction({ sid: 0x10, iova: 0x8000_1234n, access: 'read' }).kind, 'aborted', 'no stale block translation');
  tt.end();
});
