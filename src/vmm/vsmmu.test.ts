/**
 * The vSMMU end to end on the real emulated device: guest CMDQ/EVTQ/stream table in guest memory,
 * the host layer (Iommufd over DevicePort), DMA through the nested configuration.
 */
import t from 'tap';
import { CD } from '../arch/cd.ts';
import { STE } from '../arch/ste.ts';
import { DevicePort } from '../host/device-port.ts';
import { HWPT_ALLOC_NEST_PARENT, Iommufd } from '../host/iommufd.ts';
import type { HostSmmuPort } from '../host/port.ts';
import { PageAllocator } from '../memory/page-allocator.ts';
import { SparseMemory } from '../memory/sparse-memory.ts';
import { PageTableBuilder } from '../pgtable/builder.ts';
import { bootSmmu } from '../smmu/boot.ts';
import { SmmuDevice } from '../smmu/device.ts';
import { GuestMemory } from './guest-mem.ts';
import { VSmmu } from './vsmmu.ts';

const RAM = 0x4000_0000n;
const CMDQ = RAM;
const EVTQ = RAM + 0x1000n;
const STRTAB = RAM + 0x2000n;
const CDADDR = RAM + 0x3000n;
const PAGE_A = RAM + 0x10_0000n;
const PAGE_B = RAM + 0x10_1000n;
const VA = 0x8000_0000n;
const VSID = 7;
const ASID = 5n;

function world(opts: { evtqLog2?: number; evtqAddrLow?: bigint; cmdqAddrLow?: bigint; stallHost?: () => boolean; veventqDepth?: number } = {}) {
  const mem = new SparseMemory();
  const alloc = new PageAllocator(0x1000_0000n, 0x8000_0000n, mem);
  const dev = new SmmuDevice({ mem });
  bootSmmu(dev, alloc, { strtab: 'linear', cmdqLog2: 8, evtqLog2: 6 });
  const port: HostSmmuPort = new DevicePort(dev);
  // a CMDQ that stops making progress (host CMD_SYNC timeout): the device's own fault injection
  if (opts.stallHost !== undefined) {
    const stallHost = opts.stallHost;
    const submit = port.submit.bind(port);
    port.submit = (cmds) => {
      dev.cmdq.stallAfter(stallHost() ? 0 : undefined);
      return submit(cmds);
    };
  }

  const fd = new Iommufd({ smmus: [{ name: 'smmu0', port }], devices: [{ name: '0000:01:00.0', smmu: 0, sids: [0x10] }] });
  const parent = fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT });
  if (parent.errno !== 0) throw new Error(parent.reason);
  fd.setParentTables(parent.hwptId, new PageTableBuilder({ stage: 2, granule: 4096, iaBits: 48, oaBits: 48, mem, alloc }));
  const gm = new GuestMemory(mem);
  gm.addRam(RAM, 0x2000_0000n, 0x20_0000n);
  gm.mapIntoS2((ipa, pa, size) => fd.s2Map(parent.hwptId, ipa, pa, size));
  const vi = fd.allocViommu({ devId: 1, hwptId: parent.hwptId, type: 1 });
  if (vi.errno !== 0) throw new Error(vi.reason);
  if (fd.allocVdevice({ viommuId: vi.viommuId, devId: 1, virtId: VSID }).errno !== 0) throw new Error('vdevice');
  const q = fd.allocVeventq({ viommuId: vi.viommuId, type: 1, depth: opts.veventqDepth ?? 16 });
  if (q.errno !== 0) throw new Error(q.reason);
  const vs = new VSmmu({ iommufd: fd, viommuId: vi.viommuId, guestMem: gm, vdevs: new Map([[VSID, 1]]), veventqId: q.veventqId });
  // guest driver probe: queues and stream table in guest RAM, then enable
  vs.writeReg('CMDQ_BASE', (CMDQ + (opts.cmdqAddrLow ?? 0n)) | 8n);
  vs.writeReg('EVENTQ_BASE', (EVTQ + (opts.evtqAddrLow ?? 0n)) | BigInt(opts.evtqLog2 ?? 6));
  vs.writeReg('STRTAB_BASE', STRTAB);
  vs.writeReg('STRTAB_BASE_CFG', 6n);
  vs.writeReg('CR0', 0b1101n);
  // guest stage 1 in guest RAM, tables allocated at IPAs
  const galloc = new PageAllocator(RAM + 0x1_0000n, RAM + 0x10_0000n);
  const s1 = new PageTableBuilder({ stage: 1, granule: 4096, iaBits: 48, oaBits: 48, mem: gm.tableView(), alloc: (size) => galloc.alloc(size, size) });
  s1.map(VA, PAGE_A, 0x1000n);
  gm.writeWords(CDADDR, CD.encode({ V: 1, AA64: 1, R: 1, A: 1, ASET: 1, EPD1: 1, TG1: 2, T1SZ: 25, ASID, ...s1.cdFields(0) }));
  // SHCFG is a field the guest driver sets that a vSTE may not carry: the VMM masks it off
  gm.writeWords(STRTAB + BigInt(VSID) * 64n, STE.encode({ V: 1, Config: 5, S1ContextPtr: CDADDR, S1CIR: 1, S1COR: 1, S1CSH: 3, SHCFG: 1 }));
  let prod = 0;
  const issue = (cmds: readonly (readonly bigint[])[]): void => {
    for (const c of cmds) {
      gm.writeWords(CMDQ + BigInt((prod & 0xff) * 16), c);
      prod = (prod + 1) & 0x1ff;
    }
    vs.writeReg('CMDQ_PROD', BigInt(prod));
  };
  return { mem, dev, fd, gm, vs, s1, issue, vi };
}

const SYNC = [0x46n, 0n];
const cfgiSte = (sid: number) => [0x03n | (BigInt(sid) << 32n), 1n];
const nhVa = (asid: bigint, va: bigint) => [0x12n | (asid << 48n), va | 1n];
const nhAll = [0x10n, 0n];

t.test('guest CFGI_STE → nested HWPT; guest TLBI_NH_VA batch fixes a stale translation on the device', (tt) => {
  const w = world();
  w.issue([cfgiSte(VSID), SYNC]);
  tt.equal(w.vs.state().cons, 2);
  tt.not(w.vs.hwptOf(VSID), undefined, 'nested HWPT created from the guest STE');
  tt.same(w.vs.state().log, [], 'SHCFG masked; host accepted the vSTE');
  const pa = (ipa: bigint) => w.gm.toPa(ipa) ?? -1n;
  tt.same(w.dev.transaction({ sid: 0x10, iova: VA + 0x24n, access: 'read' }), { kind: 'translated', pa: pa(PAGE_A) + 0x24n, stages: 'nested' });
  w.s1.unmap(VA, 0x1000n);
  w.s1.map(VA, PAGE_B, 0x1000n);
  tt.equal((w.dev.transaction({ sid: 0x10, iova: VA, access: 'read' }) as { pa?: bigint }).pa, pa(PAGE_A), 'stale: no invalidation yet');
  w.issue([nhVa(ASID, VA), SYNC]);
  tt.equal(w.vs.state().cons, 4);
  tt.same(w.vs.state().forwarded.at(-1), [nhVa(ASID, VA)], 'one forwarded batch, up to the SYNC');
  tt.equal((w.dev.transaction({ sid: 0x10, iova: VA, access: 'read' }) as { pa?: bigint }).pa, pa(PAGE_B), 'fresh after the guest TLBI');
  tt.equal(w.fd.log.length, 0);
  tt.end();
});

t.test('EIO at entry i → guest CONS on that command with CERROR_ILL, GERROR toggle, GERRORN ack resumes', (tt) => {
  const w = world();
  const badCd = [0x05n | (0x99n << 32n), 1n]; // CFGI_CD for a vSID without a vDEVICE
  w.issue([nhAll, nhVa(ASID, VA), badCd, nhAll, SYNC]);
  let s = w.vs.state();
  tt.equal(s.cons, 2, 'CONS stops at the failing entry');
  tt.equal(s.err, 1, 'CONS.ERR = CERROR_ILL');
  tt.equal(s.gerror ^ s.gerrorn, 1n, 'GERROR.CMDQ_ERR active');
  tt.same(s.forwarded, [[nhAll, nhVa(ASID, VA), badCd, nhAll]], 'forwarded as one batch');
  w.issue([nhAll]); // PROD moves, nothing runs while CMDQ_ERR is active
  tt.equal(w.vs.state().cons, 2);
  // guest driver (arm_smmu_cmdq_skip_err): replace the slot with a CMD_SYNC, then ack
  w.gm.writeWords(CMDQ + 2n * 16n, SYNC);
  w.vs.writeReg('GERRORN', w.vs.readReg('GERROR'));
  s = w.vs.state();
  tt.equal(s.cons, 6, 'resumed and drained to PROD');
  tt.equal(s.err, 1, 'CONS.ERR keeps its last value');
  tt.equal(s.hung, false);
  tt.end();
});

t.test('host ETIMEDOUT → the guest CMD_SYNC never completes; CMDQEN 0→1 restarts', (tt) => {
  let stall = false;
  const w = world({ stallHost: () => stall });
  w.issue([cfgiSte(VSID), SYNC]);
  stall = true;
  w.issue([nhAll, nhVa(ASID, VA), SYNC, nhAll]);
  let s = w.vs.state();
  tt.equal(s.cons, 4, 'CONS stays on the CMD_SYNC (slot 4)');
  tt.equal(s.hung, true);
  tt.equal(s.timeouts.length, 1);
  tt.equal(s.timeouts[0]?.cons, 4);
  tt.equal(s.gerror ^ s.gerrorn, 0n, 'no CMDQ error: just no completion');
  stall = false;
  w.issue([nhAll]);
  tt.equal(w.vs.state().cons, 4, 'still hung after more PROD writes');
  w.vs.writeReg('CR0', 0b0101n);
  w.vs.writeReg('CR0', 0b1101n);
  s = w.vs.state();
  tt.equal(s.cons, s.prod, 're-enabled queue drains');
  tt.end();
});

t.test('unknown or stage-2 opcodes are CERROR_ILL for the guest; prefetch is a no-op', (tt) => {
  const w = world();
  w.issue([[0x01n, 0n], [0x2an, 0n], SYNC]);
  const s = w.vs.state();
  tt.equal(s.cons, 1);
  tt.equal(s.err, 1);
  tt.same(s.forwarded, []);
  tt.end();
});

t.test('a guest STE the host rejects (Config 6) is installed as abort; DMA aborted silently', (tt) => {
  const w = world();
  w.gm.writeWords(STRTAB + BigInt(VSID) * 64n, STE.encode({ V: 1, Config: 6 }));
  w.issue([[0x04n | (BigInt(VSID) << 32n), 31n], SYNC]); // CFGI_ALL
  tt.match(w.vs.state().log.join('\n'), /host rejected the guest STE of vSID 0x7: EIO/);
  const r = w.dev.transaction({ sid: 0x10, iova: VA, access: 'read' });
  tt.equal(r.kind === 'aborted' && r.silent, true);
  tt.end();
});

t.test('a host fault reaches the guest EVTQ with the vSID; a full guest ring toggles OVFLG once', (tt) => {
  const w = world({ evtqLog2: 1 });
  w.issue([cfgiSte(VSID), SYNC]);
  for (let i = 0; i < 3; i++) {
    const r = w.dev.transaction({ sid: 0x10, iova: 0x9000_0000n + BigInt(i) * 0x1000n, access: 'read' });
    tt.equal(r.kind === 'aborted' ? r.event : r.kind, 'F_TRANSLATION');
  }
  for (const e of w.dev.drainEvents()) tt.equal(w.fd.handleEvent(0, e.raw), 'vevent');
  tt.same(w.vs.pollEvents(), { written: 2, lost: 1 });
  const s = w.vs.state();
  tt.equal(s.evtqProd, (1n << 31n) | 2n, 'PROD wrapped to index 0 (wrap 1) with OVFLG');
  const ev = w.vs.readGuestEvents();
  tt.equal(ev.length, 2);
  tt.equal(ev[0]?.[0], 0x10n | (BigInt(VSID) << 32n), 'F_TRANSLATION with StreamID = vSID');
  tt.equal(ev[0]?.[2], 0x9000_0000n, 'InputAddr is the guest IOVA');
  tt.equal(w.vs.state().evtqCons, 2n, 'guest CONS advanced; OVACKFLG not yet copied');
  tt.end();
});

t.test('an unaligned guest EVENTQ_BASE.ADDR is aligned to the queue size (§6.3.29)', (tt) => {
  // 4 entries of 32 bytes: ADDR bits [6:5] below the 128-byte queue size are ignored
  const w = world({ evtqLog2: 2, evtqAddrLow: 0x60n });
  w.issue([cfgiSte(VSID), SYNC]);
  w.dev.transaction({ sid: 0x10, iova: 0x9000_0000n, access: 'read' });
  for (const e of w.dev.drainEvents()) tt.equal(w.fd.handleEvent(0, e.raw), 'vevent');
  tt.same(w.vs.pollEvents(), { written: 1, lost: 0 });
  tt.equal(w.gm.readWords(EVTQ, 4)?.[2], 0x9000_0000n, 'the record is at the aligned base, entry 0');
  tt.equal(w.vs.readGuestEvents()[0]?.[2], 0x9000_0000n, 'and the guest reads it from there');
  tt.end();
});

t.test('an unaligned guest CMDQ_BASE.ADDR is aligned to the queue size (§6.3.26)', (tt) => {
  // 256 entries of 16 bytes: ADDR bits [11:5] below the 4 KB queue size are ignored
  const w = world({ cmdqAddrLow: 0x100n });
  w.issue([cfgiSte(VSID), SYNC]);
  tt.not(w.vs.hwptOf(VSID), undefined, 'CFGI_STE was read from the aligned base and installed');
  tt.equal(w.vs.readReg('CMDQ_CONS') & 0xfffffn, 2n, 'both commands consumed');
  tt.end();
});

t.test('vEVENTQ loss (LOST_EVENTS header) becomes a guest EVTQ overflow', (tt) => {
  const w = world({ veventqDepth: 1 });
  w.issue([cfgiSte(VSID), SYNC]);
  for (let i = 0; i < 3; i++) w.dev.transaction({ sid: 0x10, iova: 0x9000_0000n + BigInt(i) * 0x1000n, access: 'read' });
  tt.same(
    w.dev.drainEvents().map((e) => w.fd.handleEvent(0, e.raw)),
    ['vevent', 'lost', 'lost'],
  );
  tt.same(w.vs.pollEvents(), { written: 1, lost: 1 }, 'one record, then the single LOST_EVENTS header');
  tt.equal(w.vs.state().evtqProd, (1n << 31n) | 1n, 'OVFLG toggled');
  // the guest acknowledges (OVACKFLG := OVFLG); the header carried the newest lost sequence, so
  // the next record follows it without a gap and is not a loss
  w.vs.readGuestEvents();
  w.vs.writeReg('EVENTQ_CONS', w.vs.readReg('EVENTQ_CONS') | (1n << 31n));
  w.dev.transaction({ sid: 0x10, iova: 0x9100_0000n, access: 'read' });
  for (const e of w.dev.drainEvents()) w.fd.handleEvent(0, e.raw);
  tt.same(w.vs.pollEvents(), { written: 1, lost: 0 });
  tt.equal(w.vs.state().evtqProd, (1n << 31n) | 2n, 'OVFLG unchanged: no new overflow');
  tt.equal(w.vs.readGuestEvents()[0]?.[2], 0x9100_0000n);
  tt.end();
});

t.test('a guest batch of 70 invalidations is forwarded in one call; the host chunks it', (tt) => {
  const w = world();
  w.issue([cfgiSte(VSID), SYNC]);
  const cmds = Array.from({ length: 70 }, (_, i) => nhVa(ASID, VA + BigInt(i) * 0x1000n));
  w.issue([...cmds, SYNC]);
  const s = w.vs.state();
  tt.equal(s.cons, 73);
  tt.equal(s.forwarded.length, 1);
  tt.equal(s.forwarded[0]?.length, 70);
  tt.equal(w.fd.log.length, 0);
  tt.end();
});

t.test('CMD_SYNC CS=IRQ completes with a 32-bit MSIData write at MSIAddr (guest MSI polling)', (tt) => {
  const w = world();
  const flag = RAM + 0x5000n;
  w.gm.write64(flag, 0xffff_ffff_ffff_ffffn);
  w.issue([nhAll, [0x46n | (1n << 12n) | (0x1234_5678n << 32n), flag + 4n]]);
  tt.equal(w.vs.state().cons, 2);
  tt.equal(w.gm.read64(flag), 0x1234_5678_ffff_ffffn, 'only the addressed 32 bits are written');
  w.issue([[0x46n | (1n << 12n), CMDQ + 2n * 16n]]);
  tt.equal((w.gm.read64(CMDQ + 2n * 16n) ?? 0n) & 0xffff_ffffn, 0n, 'Linux-style: MSIData 0 over the first word of the SYNC itself');
  tt.end();
});
