/**
 * MSI doorbells through nested translation on the real emulated device: the msi_cookie set-up
 * (doorbell in the nest parent's S2 at an IPA the guest maps to) and the v16 flat/RMR set-up
 * (reserved identity range), including a guest that remaps or unmaps the reserved range.
 */
import t from 'tap';
import { CD } from '../arch/cd.ts';
import { STE } from '../arch/ste.ts';
import { PageAllocator } from '../memory/page-allocator.ts';
import { SparseMemory } from '../memory/sparse-memory.ts';
import { PageTableBuilder, ipaView } from '../pgtable/builder.ts';
import { bootSmmu } from '../smmu/boot.ts';
import { SmmuDevice } from '../smmu/device.ts';
import { DevicePort } from './device-port.ts';
import { HWPT_ALLOC_NEST_PARENT, Iommufd, vsteBytes } from './iommufd.ts';
import { ITS_TRANSLATER_PA, ItsDoorbell, MSI_IOVA_BASE, deliverMsi, setupMsiCookie, setupMsiFlat } from './msi.ts';

const RAM_IPA = 0x4000_0000n;
const RAM_PA = 0x2000_0000n;
const RAM_SIZE = 0x20_0000n;
const CD_IPA = RAM_IPA;
const toPa = (ipa: bigint): bigint => ipa - RAM_IPA + RAM_PA;

/** A guest with stage-1 tables in its RAM and a nested HWPT for SID 0x10; `config` 5 = S1, 4 = bypass. */
function world(config: 4 | 5 = 5) {
  const mem = new SparseMemory();
  const alloc = new PageAllocator(0x1000_0000n, 0x1800_0000n, mem);
  const dev = new SmmuDevice({ mem });
  bootSmmu(dev, alloc, { strtab: 'linear', cmdqLog2: 8, evtqLog2: 6 });
  const fd = new Iommufd({ smmus: [{ name: 'smmu0', port: new DevicePort(dev) }], devices: [{ name: '0000:01:00.0', smmu: 0, sids: [0x10] }] });
  const parent = fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT });
  if (parent.errno !== 0) throw new Error(parent.reason);
  fd.setParentTables(parent.hwptId, new PageTableBuilder({ stage: 2, granule: 4096, iaBits: 48, oaBits: 48, mem, alloc }));
  mem.back(RAM_PA, Number(RAM_SIZE));
  fd.s2Map(parent.hwptId, RAM_IPA, RAM_PA, RAM_SIZE);
  const vi = fd.allocViommu({ devId: 1, hwptId: parent.hwptId, type: 1 });
  if (vi.errno !== 0) throw new Error(vi.reason);
  fd.allocVdevice({ viommuId: vi.viommuId, devId: 1, virtId: 3 });
  const galloc = new PageAllocator(RAM_IPA + 0x1000n, RAM_IPA + 0x10_0000n);
  const s1 = new PageTableBuilder({ stage: 1, granule: 4096, iaBits: 48, oaBits: 48, mem: ipaView(mem, toPa), alloc: (size) => galloc.alloc(size, size) });
  mem.writeWords(toPa(CD_IPA), CD.encode({ V: 1, AA64: 1, R: 1, A: 1, ASET: 1, EPD1: 1, TG1: 2, T1SZ: 25, ASID: 1, ...s1.cdFields(0) }));
  const vste = config === 5 ? STE.encode({ V: 1, Config: 5, S1ContextPtr: CD_IPA, S1CIR: 1, S1COR: 1, S1CSH: 3 }) : STE.encode({ V: 1, Config: 4 });
  const h = fd.allocNestedHwpt({ devId: 1, viommuId: vi.viommuId, dataType: 2, data: vsteBytes([vste[0] ?? 0n, vste[1] ?? 0n]) });
  if (h.errno !== 0) throw new Error(h.reason);
  if (fd.attach(1, h.hwptId).errno !== 0) throw new Error('attach');
  /** Guest TLB maintenance after changing its tables: TLBI_NH_ALL through the vIOMMU. */
  const tlbi = () => fd.invalidate(vi.viommuId, { dataType: 1, entryLen: 16, entryNum: 1, data: new Uint8Array([0x10, ...new Array<number>(15).fill(0)]) });
  return { mem, dev, fd, parent: parent.hwptId, s1, tlbi };
}

t.test('msi_cookie: doorbell page in S2 at IPA 0x800_0000; the guest maps its own MSI IOVA to it', (tt) => {
  const w = world();
  const c = setupMsiCookie(w.fd, w.parent);
  if (c.errno !== 0) throw new Error(c.reason);
  tt.equal(c.doorbellIpa, MSI_IOVA_BASE + 0x40n, 'GITS_TRANSLATER offset kept within the page');
  const guestMsiIova = 0xffe0_0000n; // any IOVA the guest chooses
  w.s1.map(guestMsiIova, MSI_IOVA_BASE, 0x1000n);
  const its = new ItsDoorbell();
  tt.same(deliverMsi(w.dev, { sid: 0x10 }, guestMsiIova + 0x40n, 0x2a, its), { delivered: ITS_TRANSLATER_PA });
  tt.same(its.received, [0x2a]);
  tt.same(
    deliverMsi(w.dev, { sid: 0x10 }, guestMsiIova + 0x44n, 1, its),
    { landed: ITS_TRANSLATER_PA + 4n, backed: false },
    'next word of the ITS frame is not the doorbell',
  );
  tt.same(deliverMsi(w.dev, { sid: 0x10 }, 0xffd0_0040n, 7, its), { fault: 'F_TRANSLATION' }, 'IOVA the guest never mapped');
  tt.same(its.received, [0x2a]);
  tt.end();
});

t.test('msi_cookie with a bypass vSTE: IOVA = IPA, the MSI goes through S2 only', (tt) => {
  const w = world(4);
  const c = setupMsiCookie(w.fd, w.parent);
  if (c.errno !== 0) throw new Error(c.reason);
  tt.same(deliverMsi(w.dev, { sid: 0x10 }, c.doorbellIpa, 5), { delivered: ITS_TRANSLATER_PA });
  tt.end();
});

t.test('flat (RMR, v16): identity-mapped reserved range delivers; a guest that remaps it loses the MSI', (tt) => {
  const w = world();
  const f = setupMsiFlat(w.fd, w.parent);
  if (f.errno !== 0) throw new Error(f.reason);
  tt.same(f.rmr, { base: MSI_IOVA_BASE, size: 0x10_0000n });
  // a well-behaved guest honours the RMR: identity map IOVA == IPA over the whole range
  w.s1.map(MSI_IOVA_BASE, MSI_IOVA_BASE, 0x10_0000n);
  const its = new ItsDoorbell();
  tt.same(deliverMsi(w.dev, { sid: 0x10 }, f.doorbellIpa, 0x11, its), { delivered: ITS_TRANSLATER_PA });
  // remapped onto guest RAM: the write lands in RAM (silent corruption, no interrupt)
  w.s1.unmap(MSI_IOVA_BASE, 0x10_0000n);
  w.s1.map(MSI_IOVA_BASE, RAM_IPA + 0x10_0000n, 0x1000n);
  w.tlbi();
  const r = deliverMsi(w.dev, { sid: 0x10 }, f.doorbellIpa, 0x12, its);
  tt.same(r, { landed: toPa(RAM_IPA + 0x10_0040n), backed: true });
  tt.equal(w.mem.read32(toPa(RAM_IPA + 0x10_0040n)), 0x12, 'data written into guest RAM');
  // remapped to an IPA the host never mapped: stage-2 fault (host-logged, never forwarded)
  w.s1.unmap(MSI_IOVA_BASE, 0x1000n);
  w.s1.map(MSI_IOVA_BASE, 0x9000_0000n, 0x1000n);
  w.tlbi();
  tt.same(deliverMsi(w.dev, { sid: 0x10 }, f.doorbellIpa, 0x13, its), { fault: 'F_TRANSLATION' });
  const ev = w.dev.drainEvents();
  tt.equal(ev.length, 1, 'one event: the stage-2 fault');
  const raw = ev[0]?.raw ?? [];
  tt.equal(((raw[1] ?? 0n) >> 39n) & 1n, 1n, 'S2=1');
  tt.equal(raw[3] !== undefined ? raw[3] & 0x00ff_ffff_ffff_f000n : -1n, 0x9000_0000n, 'IPA of the remapped doorbell');
  tt.equal(w.fd.handleEvent(0, raw), 'logged', 'S2 fault: printed by the host, not forwarded');
  // unmapped by the guest: stage-1 fault
  w.s1.unmap(MSI_IOVA_BASE, 0x1000n);
  w.tlbi();
  tt.same(deliverMsi(w.dev, { sid: 0x10 }, f.doorbellIpa, 0x14, its), { fault: 'F_TRANSLATION' });
  tt.same(its.received, [0x11], 'only the identity-mapped MSI reached the ITS');
  tt.end();
});

t.test('deliverMsi refuses an address that is not 4-byte aligned', (tt) => {
  const w = world();
  tt.throws(() => deliverMsi(w.dev, { sid: 0x10 }, MSI_IOVA_BASE + 2n, 0), /4-byte aligned/);
  tt.end();
});
