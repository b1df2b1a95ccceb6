import t from 'tap';
import { FakePort } from './fake-port.ts';
import {
  HWPT_ALLOC_NEST_PARENT,
  HWPT_DATA_ARM_SMMUV3,
  Iommufd,
  VIOMMU_TYPE_ARM_SMMUV3,
  vsteBytes,
  type HostDeviceSpec,
  type IommufdOptions,
} from './iommufd.ts';
import { INVALIDATE_DATA_ARM_SMMUV3, commandsToBytes } from './invalidate.ts';
import { OPCODE as OP, commandOpcode as opcodeOf } from '../arch/command.ts';
import { STE } from '../arch/ste.ts';
import type { SmmuProfile } from '../smmu/profile.ts';
import { VEVENTQ_FLAG_LOST_EVENTS } from './veventq.ts';

const dev = (name: string, sid: number, over: Partial<HostDeviceSpec> = {}): HostDeviceSpec => ({ name, smmu: 0, sids: [sid], ats: true, ...over });

function setup(profile: Partial<SmmuProfile> = {}, over: Partial<IommufdOptions> = {}): { fd: Iommufd; port: FakePort; port2: FakePort } {
  const port = new FakePort({ profile });
  const port2 = new FakePort();
  const fd = new Iommufd({
    smmus: [
      { name: 'smmu0', port },
      { name: 'smmu1', port: port2 },
    ],
    devices: [dev('0000:01:00.0', 0x10), dev('0000:02:00.0', 0x20), dev('0000:03:00.0', 0x30, { smmu: 1 })],
    ...over,
  });
  return { fd, port, port2 };
}
const must = <T extends { errno: 0 | string }>(r: T): Extract<T, { errno: 0 }> => {
  if (r.errno !== 0) throw new Error(`unexpected ${String(r.errno)}: ${JSON.stringify(r)}`);
  return r as Extract<T, { errno: 0 }>;
};

/** Parent + vIOMMU + vDEVICE(vsid 1) for device 1. */
function nestedWorld(profile: Partial<SmmuProfile> = {}) {
  const w = setup(profile);
  const d1 = w.fd.deviceId('0000:01:00.0') ?? 0;
  const parent = must(w.fd.allocPagingHwpt(d1, { flags: HWPT_ALLOC_NEST_PARENT }));
  w.fd.setParentPgtable(parent.hwptId, { vttbr: 0x8000_0000n });
  const vi = must(w.fd.allocViommu({ devId: d1, hwptId: parent.hwptId, type: VIOMMU_TYPE_ARM_SMMUV3 }));
  const vd = must(w.fd.allocVdevice({ viommuId: vi.viommuId, devId: d1, virtId: 1 }));
  return { ...w, d1, parent, vi, vd };
}
const S1_VSTE: [bigint, bigint] = [1n | (5n << 1n) | 0x4000_0000n, 2n];

t.test('behaviour 1: GET_HW_INFO returns type 2, data_len 40 and the raw registers', (tt) => {
  const { fd, port } = setup();
  const r = must(fd.getHwInfo(1, { dataLen: 48 }));
  tt.equal(r.outDataType, 2);
  tt.equal(r.dataLen, 40);
  tt.equal(r.data.length, 48);
  const dv = new DataView(r.data.buffer);
  const regs = port.idRegs();
  tt.equal(dv.getUint32(0, true), 0, 'flags');
  tt.equal(BigInt(dv.getUint32(8, true)), regs.idr0);
  tt.equal(BigInt(dv.getUint32(12, true)), regs.idr1);
  tt.equal(BigInt(dv.getUint32(28, true)), regs.idr5);
  tt.equal(BigInt(dv.getUint32(32, true)), regs.iidr);
  tt.equal(BigInt(dv.getUint32(36, true)), regs.aidr);
  tt.same([...r.data.subarray(40)], new Array(8).fill(0), 'larger buffer zero-filled');
  const short = must(fd.getHwInfo(1, { dataLen: 12 }));
  tt.equal(short.dataLen, 40, 'kernel size reported even for a short buffer');
  tt.equal(short.data.length, 12);
  tt.equal(fd.getHwInfo(99, { dataLen: 40 }).errno, 'ENOENT');
  tt.equal(fd.getHwInfo(1, { dataLen: 40, flags: 1, inDataType: 2 }).errno, 0, 'INPUT_TYPE ARM_SMMUV3');
  tt.equal(fd.getHwInfo(1, { dataLen: 40, flags: 1, inDataType: 1 }).errno, 'EOPNOTSUPP', 'INPUT_TYPE VTD');
  tt.equal(fd.getHwInfo(1, { dataLen: 40, flags: 2 }).errno, 'EOPNOTSUPP', 'unknown flag');
  tt.end();
});

t.test('behaviour 2: NEST_PARENT EOPNOTSUPP without S1P/S2P or with the IIDR errata', (tt) => {
  const cases: Array<[string, Partial<SmmuProfile>, 0 | 'EOPNOTSUPP']> = [
    ['default', {}, 0],
    ['S1P=0', { s1p: false }, 'EOPNOTSUPP'],
    ['S2P=0', { s2p: false }, 'EOPNOTSUPP'],
    ['MMU-600 r0', { iidr: { implementer: 0x43b, revision: 0, variant: 1, productId: 0x483 } }, 'EOPNOTSUPP'],
    ['MMU-600 r2', { iidr: { implementer: 0x43b, revision: 0, variant: 2, productId: 0x483 } }, 0],
    ['MMU-700', { iidr: { implementer: 0x43b, revision: 0, variant: 0, productId: 0x487 } }, 'EOPNOTSUPP'],
  ];
  for (const [name, p, errno] of cases) {
    const { fd } = setup(p);
    tt.equal(fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT }).errno, errno, name);
  }
  const { fd } = setup();
  tt.equal(fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT, dataLen: 8 }).errno, 'EOPNOTSUPP', 'user data');
  tt.equal(fd.allocPagingHwpt(1, { flags: 0x40 }).errno, 'EOPNOTSUPP', 'unknown flag');
  const a = must(fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT }));
  const b = must(fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT }));
  tt.same([a.vmid, b.vmid], [1, 2], 'VMIDs allocated from 1');
  tt.end();
});

t.test('VMID space: 8-bit VMIDs run out after 255 parents (ENOSPC)', (tt) => {
  const { fd } = setup({ vmid16: false });
  let last = 0;
  for (let i = 0; i < 255; i++) last = must(fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT })).vmid ?? -1;
  tt.equal(last, 255);
  tt.equal(fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT }).errno, 'ENOSPC');
  tt.end();
});

t.test('behaviour 3: VIOMMU_ALLOC on a non-parent / other SMMU parent → EINVAL; EOPNOTSUPP rules', (tt) => {
  const { fd } = setup();
  const plain = must(fd.allocPagingHwpt(1, { flags: 0 }));
  tt.equal(fd.allocViommu({ devId: 1, hwptId: plain.hwptId, type: 1 }).errno, 'EINVAL', 'non-parent');
  const other = must(fd.allocPagingHwpt(3, { flags: HWPT_ALLOC_NEST_PARENT }));
  tt.equal(fd.allocViommu({ devId: 1, hwptId: other.hwptId, type: 1 }).errno, 'EINVAL', 'parent on another SMMU');
  const p = must(fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT }));
  tt.equal(fd.allocViommu({ devId: 1, hwptId: p.hwptId, type: 2 }).errno, 'EOPNOTSUPP', 'type');
  tt.equal(fd.allocViommu({ devId: 1, hwptId: p.hwptId, type: 1, flags: 1 }).errno, 'EOPNOTSUPP', 'flags');
  tt.equal(fd.allocViommu({ devId: 1, hwptId: 999, type: 1 }).errno, 'ENOENT');
  const nf = setup({ fwb: false });
  const p2 = must(nf.fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT }));
  tt.equal(nf.fd.allocViommu({ devId: 1, hwptId: p2.hwptId, type: 1 }).errno, 'EOPNOTSUPP', 'no S2FWB, not CANWBS');
  tt.equal(must(fd.allocViommu({ devId: 1, hwptId: p.hwptId, type: 1 })).errno, 0);
  tt.end();
});

t.test('IOAS map/unmap on an ID never handed out (a refused NEST_PARENT) → ENOENT (§6.1)', (tt) => {
  const { fd } = setup({ iidr: { implementer: 0x43b, revision: 0, variant: 1, productId: 0x483 } });
  tt.equal(fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT }).errno, 'EOPNOTSUPP', 'MMU-600 r1: no nesting');
  tt.equal(fd.s2Map(0xffff_ffff, 0x4000_0000n, 0x3_0000_0000n, 0x1000n).errno, 'ENOENT', 'map');
  tt.equal(fd.s2Unmap(0xffff_ffff, 0x4000_0000n, 0x1000n).errno, 'ENOENT', 'unmap');
  const plain = must(fd.allocPagingHwpt(1, { flags: 0 }));
  tt.equal(fd.s2Map(plain.hwptId, 0x4000_0000n, 0x3_0000_0000n, 0x1000n).errno, 'EINVAL', 'an existing HWPT without stage-2 tables stays EINVAL');
  tt.end();
});

t.test('vDEVICE: EEXIST on reuse, ENOENT for a missing vIOMMU', (tt) => {
  const w = nestedWorld();
  tt.equal(w.fd.allocVdevice({ viommuId: w.vi.viommuId, devId: 2, virtId: 1 }).errno, 'EEXIST', 'virt_id reused');
  tt.equal(w.fd.allocVdevice({ viommuId: w.vi.viommuId, devId: w.d1, virtId: 5 }).errno, 'EEXIST', 'second vDEVICE for a device');
  tt.equal(w.fd.allocVdevice({ viommuId: 999, devId: 2, virtId: 5 }).errno, 'ENOENT');
  tt.equal(w.fd.allocVdevice({ viommuId: w.vi.viommuId, devId: 3, virtId: 5 }).errno, 'EINVAL', 'device on another SMMU');
  tt.end();
});

t.test('behaviours 5/6/7: nested HWPT alloc validates the guest STE', (tt) => {
  const w = nestedWorld();
  const alloc = (ste: [bigint, bigint], extra: number[] = [], dataType = HWPT_DATA_ARM_SMMUV3) =>
    w.fd.allocNestedHwpt({ devId: w.d1, viommuId: w.vi.viommuId, dataType, data: vsteBytes(ste, extra) }).errno;
  tt.equal(alloc([1n | (5n << 1n), 1n << 19n]), 'EIO', '5: MEV');
  tt.equal(alloc([1n | (6n << 1n), 0n]), 'EIO', '6: Config 6');
  tt.equal(alloc([1n | (7n << 1n), 0n]), 'EIO', '6: Config 7');
  tt.equal(alloc([1n | (5n << 1n), 2n << 28n]), 'EIO', '7: EATS 2');
  tt.equal(alloc(S1_VSTE), 0);
  tt.equal(alloc(S1_VSTE, [0, 0, 0, 0]), 0, 'zero tail accepted');
  tt.equal(alloc(S1_VSTE, [1]), 'E2BIG', 'non-zero tail');
  tt.equal(alloc(S1_VSTE, [], 1), 'EINVAL', 'data_type');
  tt.equal(w.fd.allocNestedHwpt({ devId: w.d1, viommuId: w.vi.viommuId, dataType: 2, data: new Uint8Array(8) }).errno, 'EINVAL', 'short');
  tt.equal(w.fd.allocNestedHwpt({ devId: w.d1, viommuId: w.vi.viommuId, dataType: 2, data: vsteBytes(S1_VSTE), flags: 1 }).errno, 'EOPNOTSUPP', 'flags');
  // §9: nested on nested → EINVAL; SMMUv3 has no nested-on-paging path → EOPNOTSUPP
  const n = must(w.fd.allocNestedHwpt({ devId: w.d1, viommuId: w.vi.viommuId, dataType: 2, data: vsteBytes(S1_VSTE) }));
  tt.equal(w.fd.allocNestedHwpt({ devId: w.d1, viommuId: n.hwptId, dataType: 2, data: vsteBytes(S1_VSTE) }).errno, 'EINVAL');
  tt.equal(w.fd.allocNestedHwpt({ devId: w.d1, viommuId: w.parent.hwptId, dataType: 2, data: vsteBytes(S1_VSTE) }).errno, 'EOPNOTSUPP');
  tt.equal(w.fd.allocNestedHwpt({ devId: w.d1, viommuId: 999, dataType: 2, data: vsteBytes(S1_VSTE) }).errno, 'ENOENT');
  tt.equal(
    w.fd.invalidate(n.hwptId, { dataType: 1, entryLen: 16, entryNum: 1, data: commandsToBytes([[0x10n, 0n]]) }).errno,
    'EOPNOTSUPP',
    'invalidate on a nested HWPT',
  );
  tt.end();
});

t.test('binding a device attaches the blocking domain: its STE is the abort STE before any attach, written without commands', (tt) => {
  const { fd, port } = setup();
  tt.ok(fd.deviceId('0000:01:00.0') !== undefined);
  tt.same(port.readSte(0x10), [1n, 0n, 0n, 0n, 0n, 0n, 0n, 0n], 'V=1, Config=0 (iommu_device_claim_dma_owner -> arm_smmu_make_abort_ste)');
  tt.same(port.executed, [], 'no CFGI_STE: the table is initialised with abort STEs before SMMUEN');
  tt.end();
});

t.test('behaviours 4/8/9: attach writes the physical STE (abort / S2 / nested) with CFGI_STE+SYNC per step', (tt) => {
  const w = nestedWorld();
  const mk = (ste: [bigint, bigint]) => must(w.fd.allocNestedHwpt({ devId: w.d1, viommuId: w.vi.viommuId, dataType: 2, data: vsteBytes(ste) })).hwptId;
  const v0 = must(w.fd.attach(w.d1, mk([0n, 0n])));
  tt.equal(STE.get(w.port.readSte(0x10), 'Config'), 0n, '4: V=0 vSTE → abort');
  tt.equal(STE.get(w.port.readSte(0x10), 'V'), 1n);
  tt.equal(v0.syncs, 0, 'the bound device already has the abort STE: nothing to write');
  must(w.fd.attach(w.d1, mk([1n | (4n << 1n), 0n])));
  const byp = w.port.readSte(0x10);
  tt.equal(STE.get(byp, 'Config'), 6n, '8: bypass vSTE → S2');
  tt.equal(STE.get(byp, 'S2VMID'), BigInt(w.parent.vmid ?? 0));
  tt.equal(STE.get(byp, 'S2TTB'), 0x8000_0000n);
  tt.equal(STE.get(byp, 'EATS'), 0n, 'no ATS for a bypass vSTE');
  w.port.executed.length = 0;
  const r = must(w.fd.attach(w.d1, mk([S1_VSTE[0], S1_VSTE[1] | (1n << 28n)])));
  const ste = w.port.readSte(0x10);
  tt.equal(STE.get(ste, 'Config'), 7n, '9: nested');
  tt.equal(STE.get(ste, 'S1ContextPtr'), 0x4000_0000n);
  tt.equal(STE.get(ste, 'MEV'), 1n);
  tt.equal(STE.get(ste, 'EATS'), 1n, 'guest EATS=1 on an ATS device');
  tt.same(ste, r.ste);
  const ops = w.port.executed.map((c) => opcodeOf(c));
  tt.equal(ops.filter((o) => o === OP.CFGI_STE).length, r.syncs);
  tt.equal(ops.filter((o) => o === OP.CMD_SYNC).length, r.syncs + 1, 'STE-write syncs + the ATC flush sync');
  tt.same(ops.slice(-3), [OP.PREFETCH_CONFIG, OP.ATC_INV, OP.CMD_SYNC], 'PREFETCH_CONFIG after the last write, then the ATC flush');
  tt.end();
});

t.test('attach commit (§6.5 normal ATS sequencing): ATC flush after the STE install when ATS ends up on', (tt) => {
  const w = nestedWorld();
  const mk = (vste: [bigint, bigint]) => must(w.fd.allocNestedHwpt({ devId: w.d1, viommuId: w.vi.viommuId, dataType: 2, data: vsteBytes(vste) })).hwptId;
  const atcFlush = [BigInt(OP.ATC_INV) | (0x10n << 32n), 52n]; // SSV=0, Global=0, Address=0, Size=52 (SMMUv3 §4.5.1)
  /** The ATC_INV commands issued, and whether each follows the last STE write (CFGI_STE). */
  const flushes = () => {
    const cmds = w.port.executed;
    const lastCfgi = cmds.map((c) => opcodeOf(c)).lastIndexOf(OP.CFGI_STE);
    const atc = cmds.flatMap((c, i) => (opcodeOf(c) === OP.ATC_INV ? [{ i, cmd: [...c] }] : []));
    return { lastCfgi, atc, last: cmds.at(-1) ?? [] };
  };
  /** Attach `vste`: exactly one full ATC_INV, issued after the STE install, then CMD_SYNC (§4.7.3). */
  const attachFlushes = (vste: [bigint, bigint], why: string): ReturnType<typeof flushes> => {
    w.port.executed.length = 0;
    must(w.fd.attach(w.d1, mk(vste)));
    const f = flushes();
    tt.same(
      f.atc.map((a) => a.cmd),
      [atcFlush],
      why,
    );
    tt.ok((f.atc[0]?.i ?? -1) > f.lastCfgi, `${why}: issued after the STE install`);
    tt.equal(opcodeOf(f.last), OP.CMD_SYNC, `${why}: then CMD_SYNC`);
    return f;
  };
  const on = attachFlushes([S1_VSTE[0], S1_VSTE[1] | (1n << 28n)], 'ATS off → on: one full ATC_INV for SID 0x10');
  tt.ok(on.lastCfgi >= 0, 'the STE was written');
  attachFlushes([S1_VSTE[0] | 0x1000_0000n, S1_VSTE[1] | (1n << 28n)], 'ATS kept on, translation changed: flushed again');
  attachFlushes([1n | (4n << 1n), 0n], 'ATS switched off: the entire ATC is invalidated (arm_smmu_attach_commit), after the STE install (EATS=0 first)');
  tt.equal(STE.get(w.port.readSte(0x10), 'EATS'), 0n, 'bypass vSTE: ATS off');
  w.port.executed.length = 0;
  must(w.fd.attach(w.d1, mk([1n | (4n << 1n), 0n])));
  tt.notOk(
    w.port.executed.some((c) => opcodeOf(c) === OP.ATC_INV),
    'ATS off before and after: no flush',
  );
  must(w.fd.attach(w.d1, mk([S1_VSTE[0], S1_VSTE[1] | (1n << 28n)])));
  w.port.executed.length = 0;
  must(w.fd.detach(w.d1));
  tt.same(
    flushes().atc.map((a) => a.cmd),
    [atcFlush],
    'detach to the blocking domain with ATS on: the ATC is flushed too',
  );
  tt.end();
});

t.test('attach commit: a device without ATS gets no ATC flush', (tt) => {
  const port = new FakePort();
  const fd = new Iommufd({ smmus: [{ name: 's', port }], devices: [dev('0000:01:00.0', 0x10, { ats: false })] });
  const p = must(fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT }));
  must(fd.attach(1, p.hwptId));
  tt.equal(STE.get(port.readSte(0x10), 'EATS'), 0n);
  tt.notOk(port.executed.some((c) => opcodeOf(c) === OP.ATC_INV));
  tt.end();
});

t.test('behaviour 10: attach S1 vSTE without vDEVICE → ENOENT; with PASIDs → EBUSY; STE unchanged', (tt) => {
  const w = nestedWorld();
  const h = must(w.fd.allocNestedHwpt({ devId: w.d1, viommuId: w.vi.viommuId, dataType: 2, data: vsteBytes(S1_VSTE) })).hwptId;
  const before = w.port.readSte(0x20);
  tt.equal(w.fd.attach(2, h).errno, 'ENOENT', 'device 2 has no vDEVICE');
  tt.same(w.port.readSte(0x20), before);
  const byp = must(w.fd.allocNestedHwpt({ devId: w.d1, viommuId: w.vi.viommuId, dataType: 2, data: vsteBytes([1n | (4n << 1n), 0n]) })).hwptId;
  tt.equal(w.fd.attach(2, byp).errno, 0, 'bypass vSTE attaches without a vDEVICE');
  const v0 = must(w.fd.allocNestedHwpt({ devId: w.d1, viommuId: w.vi.viommuId, dataType: 2, data: vsteBytes([0n, 0n]) })).hwptId;
  tt.equal(w.fd.attach(2, v0).errno, 0, 'V=0 vSTE attaches without a vDEVICE');
  tt.equal(w.fd.handleEvent(0, [0x04n | (0x20n << 32n), 0n, 0n, 0n]), 'logged', 'no vDEVICE: no vmaster');
  // with a vDEVICE even a bypass attach has a vmaster: S1-class events are forwarded
  must(w.fd.attach(w.d1, byp));
  must(w.fd.allocVeventq({ viommuId: w.vi.viommuId, type: 1, depth: 2 }));
  tt.equal(w.fd.handleEvent(0, [0x04n | (0x10n << 32n), 0n, 0n, 0n]), 'vevent', 'bypass vSTE with vDEVICE: vmaster');
  w.fd.setPasidsAttached(w.d1, 1);
  tt.equal(w.fd.attach(w.d1, h).errno, 'EBUSY');
  tt.equal(w.fd.attach(3, h).errno, 'EINVAL', 'device on another SMMU');
  tt.equal(w.fd.destroy(byp).errno, 'EBUSY', 'attached nested HWPT');
  tt.equal(w.fd.destroy(w.parent.hwptId).errno, 'EBUSY', 'parent used by a vIOMMU');
  tt.end();
});

t.test('behaviours 14-18 through the ioctl: invalidate on a vIOMMU reaches the CMDQ', (tt) => {
  const w = nestedWorld();
  const inv = (cmds: bigint[][]) =>
    w.fd.invalidate(w.vi.viommuId, { dataType: INVALIDATE_DATA_ARM_SMMUV3, entryLen: 16, entryNum: cmds.length, data: commandsToBytes(cmds) });
  w.port.executed.length = 0;
  const r = inv([
    [BigInt(OP.TLBI_NH_VA) | (0x77n << 32n), 0x1000n],
    [BigInt(OP.CFGI_CD) | (1n << 32n), 1n],
  ]);
  tt.equal(r.errno, 0);
  tt.equal(r.entryNum, 2);
  tt.equal(w.port.executed[0]?.[0], BigInt(OP.TLBI_NH_VA) | (BigInt(w.parent.vmid ?? 0) << 32n), '11: VMID rewritten');
  tt.equal(w.port.executed[1]?.[0], BigInt(OP.CFGI_CD) | (0x10n << 32n), '13: vSID 1 → SID 0x10');
  tt.equal(opcodeOf(w.port.executed[2] ?? []), OP.CMD_SYNC);
  tt.equal(w.port.executed.length, 3);
  tt.equal(inv([[BigInt(OP.CFGI_STE), 0n]]).errno, 'EIO', '15: CFGI_STE');
  tt.equal(w.fd.invalidate(w.parent.hwptId, { dataType: 1, entryLen: 16, entryNum: 1, data: commandsToBytes([[0x10n, 0n]]) }).errno, 'EINVAL', 'paging HWPT');
  tt.equal(w.fd.invalidate(999, { dataType: 1, entryLen: 16, entryNum: 1, data: commandsToBytes([[0x10n, 0n]]) }).errno, 'ENOENT');
  tt.end();
});

t.test('behaviour 19 through the ioctl: an illegal allowed-opcode command is skipped by the host, ioctl returns 0', (tt) => {
  const port = new FakePort({ illegal: [OP.TLBI_NH_VA] });
  const fd = new Iommufd({ smmus: [{ name: 's', port }], devices: [dev('0000:01:00.0', 0x10)] });
  const p = must(fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT }));
  const vi = must(fd.allocViommu({ devId: 1, hwptId: p.hwptId, type: 1 }));
  const cmds = [
    [BigInt(OP.TLBI_NH_VA), 0n],
    [BigInt(OP.TLBI_NH_ALL), 0n],
  ];
  const r = fd.invalidate(vi.viommuId, { dataType: 1, entryLen: 16, entryNum: 2, data: commandsToBytes(cmds) });
  tt.equal(r.errno, 0);
  tt.equal(r.entryNum, 2);
  tt.ok(
    fd.log.some((l) => l.line.endsWith('Illegal command')),
    'dmesg shows it',
  );
  tt.same(
    port.executed.map((c) => opcodeOf(c)),
    [OP.CMD_SYNC, OP.TLBI_NH_ALL, OP.CMD_SYNC],
  );
  tt.end();
});

t.test('behaviour 18: host CMD_SYNC timeout during invalidate → ETIMEDOUT', (tt) => {
  const port = new FakePort({ stallAfter: 70 });
  const fd = new Iommufd({ smmus: [{ name: 's', port }], devices: [dev('0000:01:00.0', 0x10)] });
  const p = must(fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT }));
  const vi = must(fd.allocViommu({ devId: 1, hwptId: p.hwptId, type: 1 }));
  const cmds = Array.from({ length: 130 }, () => [BigInt(OP.TLBI_NH_ALL), 0n]);
  const r = fd.invalidate(vi.viommuId, { dataType: 1, entryLen: 16, entryNum: 130, data: commandsToBytes(cmds) });
  tt.equal(r.errno, 'ETIMEDOUT');
  tt.equal(r.entryNum, 125);
  tt.match(fd.log.at(-1)?.line ?? '', /^CMD_SYNC timeout at 0x/);
  tt.end();
});

t.test('unmap on a nest parent: TLBI_S2_IPA range, NH_ALL(VMID)+SYNC, ATC_INV for ATS masters', (tt) => {
  const w = nestedWorld();
  must(w.fd.attach(w.d1, must(w.fd.allocNestedHwpt({ devId: w.d1, viommuId: w.vi.viommuId, dataType: 2, data: vsteBytes([S1_VSTE[0], 1n << 28n]) })).hwptId));
  const r = must(w.fd.s2UnmapInvalidate(w.parent.hwptId, 0x4000_0000n, 0x20_0000n, 0x1000n));
  const ops = r.batches.map((b) => b.map((c) => opcodeOf(c)));
  tt.same(ops, [
    [OP.TLBI_S2_IPA, OP.CMD_SYNC],
    [OP.TLBI_NH_ALL, OP.CMD_SYNC],
    [OP.ATC_INV, OP.CMD_SYNC],
  ]);
  const [ipa0 = 0n, ipa1 = 0n] = r.batches[0]?.[0] ?? [];
  const ipa = [ipa0, ipa1] as const;
  tt.equal((ipa[0] >> 32n) & 0xffffn, BigInt(w.parent.vmid ?? 0), 'VMID');
  tt.equal((ipa[0] >> 20n) & 0x1fn, 9n, 'SCALE 9: 512 pages');
  tt.equal((ipa[0] >> 12n) & 0x1fn, 0n, 'NUM 0');
  tt.equal(ipa[1] & 0x00ff_ffff_ffff_f000n, 0x4000_0000n);
  tt.equal((ipa[1] >> 8n) & 3n, 3n, 'TTL 3 (4K leaf)');
  tt.equal((ipa[1] >> 10n) & 3n, 1n, 'TG 4K');
  const nr = setup({ ril: false });
  const p = must(nr.fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT }));
  const r2 = must(nr.fd.s2UnmapInvalidate(p.hwptId, 0x1000n, 0x3000n, 0x1000n));
  tt.same(
    r2.batches[0]?.slice(0, 3).map((c) => c[1]),
    [0x1001n, 0x2001n, 0x3001n],
    'one leaf TLBI per page without RIL',
  );
  // the batch as written: its CMD_SYNC is MSI-polled (IDR0.MSI, COHACC) and names its own slot (§3.4)
  tt.equal(Number(((r2.batches[0]?.[3]?.[0] ?? 0n) >> 12n) & 3n), 1, 'CMD_SYNC CS=SIG_IRQ');
  tt.not(r2.batches[0]?.[3]?.[1], 0n, 'CMD_SYNC MSIAddress = its slot');
  tt.end();
});

t.test('behaviour 21/22/23: event forwarding decision and vSID rewrite', (tt) => {
  const w = nestedWorld();
  must(w.fd.attach(w.d1, must(w.fd.allocNestedHwpt({ devId: w.d1, viommuId: w.vi.viommuId, dataType: 2, data: vsteBytes(S1_VSTE) })).hwptId));
  const q = must(w.fd.allocVeventq({ viommuId: w.vi.viommuId, type: 1, depth: 4 }));
  const fault = [0x10n | (0x10n << 32n), (1n << 35n) | (2n << 40n), 0x1000n, 0n];
  tt.equal(w.fd.handleEvent(0, fault), 'vevent', '21: S1 F_TRANSLATION forwarded');
  const rd = must(w.fd.readVeventq(q.veventqId, 4096));
  tt.equal(rd.records.length, 1);
  tt.same(rd.records[0]?.data, [0x10n | (1n << 32n), fault[1], fault[2], fault[3]], 'SID → vSID, rest verbatim');
  tt.equal(rd.bytes, 40);
  tt.equal(w.fd.log.length, 0, 'host silent');
  const s2f = [0x10n | (0x10n << 32n), (1n << 39n) | (1n << 40n), 0x1000n, 0x4000_0000n];
  tt.equal(w.fd.handleEvent(0, s2f), 'logged', '22: S2 fault not forwarded');
  tt.match(w.fd.log.map((l) => l.line).join('\n'), /event: F_TRANSLATION client: 0000:01:00\.0 sid: 0x10/);
  for (const type of [0x04n, 0x06n, 0x08n, 0x0an]) tt.equal(w.fd.handleEvent(0, [type | (0x10n << 32n), 0n, 0n, 0n]), 'vevent', `23: type ${type}`);
  for (const type of [0x03n, 0x09n, 0x0bn, 0x25n]) tt.equal(w.fd.handleEvent(0, [type | (0x10n << 32n), 0n, 0n, 0n]), 'logged', `23: type ${type} logged`);
  tt.equal(w.fd.handleEvent(0, [0x10n | (0x10n << 32n), 1n << 31n, 0n, 0n]), 'iopf', 'stall → IOPF');
  tt.equal(w.fd.handleEvent(0, [0x10n | (0x20n << 32n), 0n, 0n, 0n]), 'logged', 'no vmaster');
  tt.equal(w.fd.handleEvent(0, [0x10n | (0x99n << 32n), 0n, 0n, 0n]), 'logged', 'no master');
  tt.equal(w.fd.allocVeventq({ viommuId: w.vi.viommuId, type: 1, depth: 4 }).errno, 'EEXIST');
  tt.equal(w.fd.allocVeventq({ viommuId: w.vi.viommuId, type: 2, depth: 0 }).errno, 'EINVAL');
  tt.equal(w.fd.allocVeventq({ viommuId: w.vi.viommuId, type: 0, depth: 1 }).errno, 'EOPNOTSUPP');
  tt.end();
});

t.test('behaviour 24: depth N, N+k events → N records, one LOST_EVENTS header, sequence gap; no vEVENTQ → dmesg', (tt) => {
  const w = nestedWorld();
  must(w.fd.attach(w.d1, must(w.fd.allocNestedHwpt({ devId: w.d1, viommuId: w.vi.viommuId, dataType: 2, data: vsteBytes(S1_VSTE) })).hwptId));
  const fault = (i: number): bigint[] => [0x10n | (0x10n << 32n), 0n, BigInt(i) << 12n, 0n];
  tt.equal(w.fd.handleEvent(0, fault(0)), 'logged', 'no vEVENTQ yet: printed');
  const q = must(w.fd.allocVeventq({ viommuId: w.vi.viommuId, type: 1, depth: 2 }));
  const out = [0, 1, 2, 3].map((i) => w.fd.handleEvent(0, fault(i)));
  tt.same(out, ['vevent', 'vevent', 'lost', 'lost']);
  const rd = must(w.fd.readVeventq(q.veventqId, 4096));
  tt.same(
    rd.records.map((r) => [r.flags, r.sequence, r.data?.length ?? 0]),
    [
      [0, 0, 4],
      [0, 1, 4],
      [VEVENTQ_FLAG_LOST_EVENTS, 3, 0],
    ],
    'one LOST_EVENTS header at the tail, carrying the newest lost sequence',
  );
  tt.equal(rd.bytes, 40 + 40 + 8);
  tt.equal(w.fd.handleEvent(0, fault(4)), 'vevent', 'delivery resumes after draining');
  const rd2 = must(w.fd.readVeventq(q.veventqId, 4096));
  tt.equal(rd2.records[0]?.sequence, 4);
  tt.equal(must(w.fd.readVeventq(q.veventqId, 10)).records.length, 0);
  // a reader that frees room before reading the header: the next event replaces it, the gap remains
  for (let i = 5; i < 8; i++) w.fd.handleEvent(0, fault(i));
  const one = must(w.fd.readVeventq(q.veventqId, 40));
  tt.same(
    one.records.map((r) => r.sequence),
    [5],
  );
  tt.equal(w.fd.handleEvent(0, fault(8)), 'vevent');
  const rest = must(w.fd.readVeventq(q.veventqId, 4096));
  tt.same(
    rest.records.map((r) => [r.flags, r.sequence]),
    [
      [0, 6],
      [0, 8],
    ],
    'sequence 7 lost, header gone',
  );
  tt.end();
});
